"""A guard over the whole suite: a transaction that changes memberships emits `memberships.changed` in it.

The read model's roll-ups by branch and class (issue 14) keep a copy of who belongs where and reconcile it when
told; a writer that forgets the event leaves them stale without any test noticing. So every SQL statement that
goes through SQLAlchemy, on every engine of this process, is looked at (`before/after_cursor_execute`):

- INSERT / UPDATE / DELETE on `branch_memberships` or `class_memberships` that touched a row (rowcount 0 is no
  change) marks the transaction as changing memberships;
- DELETE on `users`, `branches` or `classes` (their memberships go by ON DELETE CASCADE) counts the memberships
  before and after the statement on the same connection: a difference is a change too;
- INSERT INTO `event_outbox` of a `memberships.changed` row marks it as announced.

At the transaction's commit, a change without the event, or the event without a change ("a no-op emits
nothing"), is a violation: the test that caused it fails at teardown, naming the statement and where it came from.
A rolled back transaction or savepoint takes its marks with it. Cost: a prefix test on each statement's text;
two COUNTs only for a DELETE on users, branches or classes (rare).

Not seen: statements outside SQLAlchemy (raw DBAPI cursors, COPY: the analytics bench generator, which rebuilds the
read model; pg_restore and file copies of a restore), and other processes (a spawned RQ worker, gunicorn).

Opting out, only where skipping the event is right (a fixture seeding rows as data, a restore, a rebuild):
- a test: `@pytest.mark.memberships_without_event("why")`;
- a block: `with memberships_written_without_event("why"): ...`.
The reason is required: it is what a reviewer reads.
"""

import contextlib
import re
import traceback

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from config import BASE_DIR

MEMBERSHIP_TABLES = frozenset({"branch_memberships", "class_memberships"})
CASCADING_TABLES = frozenset({"users", "branches", "classes"})  # ON DELETE CASCADE to a membership table
OUTBOX_TABLE = "event_outbox"
EVENT = "memberships.changed"
ROOT = f"{BASE_DIR}/"
STATE = "tessera.membership_guard"  # key in the connection's info: this transaction's marks

_WRITE = re.compile(r'\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?(\w+)"?', re.IGNORECASE)
_COUNT_MEMBERSHIPS = "SELECT (SELECT count(*) FROM branch_memberships) + (SELECT count(*) FROM class_memberships)"

violations = []  # (message) of this process since the last test's teardown
_opted_out = []  # reasons of the `memberships_written_without_event` blocks open now


class _Marks:
    __slots__ = ("announced", "changes", "savepoints")

    def __init__(self):
        self.changes = []  # (statement, where) of each membership change
        self.announced = False
        self.savepoints = []  # (len(changes), announced) when each open savepoint began

    def begin_savepoint(self):
        self.savepoints.append((len(self.changes), self.announced))

    def end_savepoint(self, rolled_back):
        if not self.savepoints:
            return
        changes, announced = self.savepoints.pop()
        if rolled_back:
            del self.changes[changes:]
            self.announced = announced


def _marks(conn, create=True):
    marks = conn.info.get(STATE)
    if marks is None and create:
        marks = conn.info[STATE] = _Marks()
    return marks


def _verb(statement):
    return statement[:20].lstrip()[:6].upper()


def _table_written(statement):
    if _verb(statement) not in ("INSERT", "UPDATE", "DELETE"):
        return None
    match = _WRITE.match(statement)
    return match.group(1).lower() if match else None


def _where():
    """The project's frames that led here (the writer and the test), innermost first."""
    frames = [
        f"{frame.filename.removeprefix(ROOT)}:{frame.lineno} {frame.name}"
        for frame in traceback.extract_stack()
        if frame.filename.startswith(ROOT) and "/site-packages/" not in frame.filename and frame.filename != __file__
    ]
    return "\n    <- ".join(reversed(frames[-6:])) or "(no frame of the project)"


def _count_memberships(cursor):
    raw = cursor.connection.cursor()  # the DBAPI connection's own cursor: no SQLAlchemy events, same transaction
    try:
        raw.execute(_COUNT_MEMBERSHIPS)
        return raw.fetchone()[0]
    finally:
        raw.close()


def _before_cursor_execute(conn, cursor, statement, parameters, context, executemany):
    table = _table_written(statement)
    if table is None or _opted_out:
        return
    if table == OUTBOX_TABLE and _verb(statement) == "INSERT":
        if EVENT in str(parameters):
            _marks(conn).announced = True
    elif table in CASCADING_TABLES and _verb(statement) == "DELETE":
        context._membership_guard_before = _count_memberships(cursor)


def _after_cursor_execute(conn, cursor, statement, parameters, context, executemany):
    table = _table_written(statement)
    if table is None or _opted_out:
        return
    if table in MEMBERSHIP_TABLES:
        # An INSERT of values inserts (sqlite3 reports 0 rows for one with RETURNING until they are fetched);
        # an UPDATE or DELETE matching nothing, or an INSERT ... SELECT / ON CONFLICT doing nothing, changes nothing.
        plain_insert = _verb(statement) == "INSERT" and not re.search(r"\bSELECT\b|\bON CONFLICT\b", statement, re.I)
        changed = plain_insert or cursor.rowcount != 0 or "RETURNING" in statement.upper()
    elif (before := getattr(context, "_membership_guard_before", None)) is not None:
        changed = _count_memberships(cursor) != before
    else:
        return
    if changed:
        marks = _marks(conn)
        # Where the first change came from is what a failure shows; the stack is not walked for the others.
        marks.changes.append((" ".join(statement.split())[:160], None if marks.changes else _where()))


def _on_commit(conn):
    marks = conn.info.pop(STATE, None)
    if marks is None or _opted_out:
        return
    if marks.changes and not marks.announced:
        statement, where = marks.changes[0]
        violations.append(
            f"A transaction changed memberships ({len(marks.changes)} statement(s)) and committed without emitting "
            f"`{EVENT}`.\n  first: {statement}\n  from: {where}"
        )
    elif marks.announced and not marks.changes:
        violations.append(f"A transaction emitted `{EVENT}` without changing any membership (a no-op emits nothing).")


def _on_rollback(conn):
    conn.info.pop(STATE, None)


def _on_savepoint(conn, name):
    _marks(conn).begin_savepoint()


def _on_rollback_savepoint(conn, name, context):
    if marks := _marks(conn, create=False):
        marks.end_savepoint(rolled_back=True)


def _on_release_savepoint(conn, name, context):
    if marks := _marks(conn, create=False):
        marks.end_savepoint(rolled_back=False)


def _on_pool_reset(dbapi_connection, connection_record, reset_state):
    """A connection back in the pool without a commit or rollback event (closed, invalidated): forget its marks."""
    connection_record.info.pop(STATE, None)


_LISTENERS = (
    (Engine, "before_cursor_execute", _before_cursor_execute),
    (Engine, "after_cursor_execute", _after_cursor_execute),
    (Engine, "commit", _on_commit),
    (Engine, "rollback", _on_rollback),
    (Engine, "savepoint", _on_savepoint),
    (Engine, "rollback_savepoint", _on_rollback_savepoint),
    (Engine, "release_savepoint", _on_release_savepoint),
    (sa.pool.Pool, "reset", _on_pool_reset),
)


def install():
    for target, name, listener in _LISTENERS:
        if not sa.event.contains(target, name, listener):
            sa.event.listen(target, name, listener)


def uninstall():
    for target, name, listener in _LISTENERS:
        if sa.event.contains(target, name, listener):
            sa.event.remove(target, name, listener)


@contextlib.contextmanager
def memberships_written_without_event(reason):
    """Membership writes in this block (in any thread of this process) are not checked; `reason` says why."""
    if not reason:
        raise ValueError("Say why these memberships may change without `memberships.changed`.")
    _opted_out.append(reason)
    try:
        yield
    finally:
        _opted_out.remove(reason)


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "memberships_without_event(reason): this test's membership writes need not emit memberships.changed "
        "(tests/support/membership_guard.py)",
    )
    install()


@pytest.fixture(autouse=True)
def _memberships_changed_is_emitted(request):
    """Fails a test whose code committed a membership change without `memberships.changed` (module docstring)."""
    violations.clear()
    yield
    found, violations[:] = list(violations), []
    marker = request.node.get_closest_marker("memberships_without_event")
    if marker is not None:
        if not (marker.args and marker.args[0]):
            pytest.fail("memberships_without_event needs a reason.")
        return
    if found:
        pytest.fail("\n\n".join(dict.fromkeys(found)), pytrace=False)
