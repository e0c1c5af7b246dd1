"""A guard over the whole suite: a transaction that changes memberships emits `memberships.changed` in it.

The read model's roll-ups by branch and class (issue 14) keep a copy of who belongs where and reconcile it when
told; a writer that forgets the event leaves them stale without any test noticing. So every SQL statement that
goes through SQLAlchemy, on every engine of this process, is looked at (`before/after_cursor_execute`):

- INSERT / UPDATE / DELETE on `branch_memberships` or `class_memberships` that touched a row (rowcount 0 is no
  change) marks the transaction as changing memberships;
- DELETE on `users`, `branches` or `classes` (their memberships go by ON DELETE CASCADE) reads the memberships
  before and after the statement on the same connection: rows gone are a change too;
- INSERT INTO `event_outbox` of a `memberships.changed` row marks it as announced.

Whom each change concerns is found too: an INSERT's user_ids from its parameters, an UPDATE's or DELETE's by
asking its own WHERE first (`SELECT user_id FROM <table> WHERE ...`, same parameters, same transaction), a
cascade's by the membership rows gone; the events' from their payloads.

At the transaction's commit, a change without the event, the event without a change ("a no-op emits nothing"),
or a person whose memberships changed and whom no event of the transaction names, is a violation: the test that
caused it fails at teardown, naming the statement and where it came from. A rolled back transaction or savepoint
takes its marks with it. Cost: a prefix test on each statement's text; one SELECT more per membership UPDATE or
DELETE; the memberships' ids read before and after a DELETE on users, branches or classes (rare).

Not seen: statements outside SQLAlchemy (raw DBAPI cursors, COPY: the analytics bench generator, which rebuilds the
read model; pg_restore and file copies of a restore), and other processes (a spawned RQ worker, gunicorn).

Opting out, only where skipping the event is right (a fixture seeding rows as data, a restore, a rebuild):
- a test: `@pytest.mark.memberships_without_event("why")`;
- a block: `with memberships_written_without_event("why"): ...`.
The reason is required: it is what a reviewer reads.
"""

import contextlib
import functools
import json
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
# `INSERT INTO t (columns) VALUES ...`, or PostgreSQL's insertmanyvalues `... SELECT p0, p1 FROM (VALUES ...)`
_INSERT_COLUMNS = re.compile(
    r'\s*INSERT\s+INTO\s+"?\w+"?\s*\(([^)]*)\)\s*(?:VALUES\b|SELECT\b.*\bFROM\s*\(\s*VALUES\b)', re.I | re.S
)
_UPDATE = re.compile(r'\s*UPDATE\s+"?(\w+)"?\s+SET\s+(.*?)\s+WHERE\s+(.*)$', re.IGNORECASE | re.DOTALL)
_DELETE = re.compile(r'\s*DELETE\s+FROM\s+"?(\w+)"?(?:\s+WHERE\s+(.*))?$', re.IGNORECASE | re.DOTALL)
_RETURNING = re.compile(r"\s+RETURNING\s+.*$", re.IGNORECASE | re.DOTALL)
_USER_ID_KEY = re.compile(r"user_id(?:__\d+)?")  # a single row's bind, or one of an insertmanyvalues batch
_MEMBERS = "SELECT 'b', id, user_id FROM branch_memberships UNION ALL SELECT 'c', id, user_id FROM class_memberships"

violations = []  # (message) of this process since the last test's teardown
_opted_out = []  # reasons of the `memberships_written_without_event` blocks open now


class _Marks:
    """One transaction's membership changes and announcements. `people` is None once a change's people could not
    be told (a statement shape the guard does not parse): then only the event's presence is checked."""

    __slots__ = ("announced", "changes", "named", "people", "savepoints")

    def __init__(self):
        self.changes = []  # (statement, where, people) of each membership change
        self.people = set()  # whose memberships changed
        self.announced = False
        self.named = set()  # whom the transaction's events name
        self.savepoints = []  # the marks when each open savepoint began

    def changed(self, statement, people):
        # Where the first change came from is what a failure shows; the stack is not walked for the others.
        self.changes.append((" ".join(statement.split())[:160], None if self.changes else _where(), people))
        self.people = None if people is None or self.people is None else self.people | people

    def begin_savepoint(self):
        people = None if self.people is None else set(self.people)
        self.savepoints.append((len(self.changes), people, self.announced, set(self.named)))

    def end_savepoint(self, rolled_back):
        if not self.savepoints:
            return
        changes, people, announced, named = self.savepoints.pop()
        if rolled_back:
            del self.changes[changes:]
            self.people, self.announced, self.named = people, announced, named


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


def _query(cursor, sql, parameters=()):
    raw = cursor.connection.cursor()  # the DBAPI connection's own cursor: no SQLAlchemy events, same transaction
    try:
        raw.execute(sql, parameters)
        return raw.fetchall()
    finally:
        raw.close()


def _rows(parameters, executemany):
    """The parameter rows of a statement: one, several (executemany), or one flattened batch (insertmanyvalues,
    reported as executemany too)."""
    if (
        executemany
        and isinstance(parameters, (tuple, list))
        and isinstance(next(iter(parameters), None), (tuple, list, dict))
    ):
        return list(parameters)
    return [parameters]


def _values(row):
    return list(row.values()) if isinstance(row, dict) else list(row)


def _people_inserted(statement, parameters, executemany):
    """The user_ids of an INSERT ... VALUES, from its parameters; None when the statement has another shape."""
    match = _INSERT_COLUMNS.match(statement)
    if not match:
        return None
    columns = [column.strip().strip('"') for column in match.group(1).split(",")]
    if "user_id" not in columns:
        return None
    people = set()
    for row in _rows(parameters, executemany):
        if isinstance(row, dict):
            people |= {value for key, value in row.items() if _USER_ID_KEY.fullmatch(key)}
        elif len(row) % len(columns) == 0:  # one row, or an insertmanyvalues batch of rows, flattened
            people |= set(row[columns.index("user_id") :: len(columns)])
        else:
            return None
    return people


def _people_matched(cursor, statement, parameters, executemany):
    """The user_ids of the rows an UPDATE or DELETE is about to touch (its WHERE, asked first); None if unparsed."""
    statement = _RETURNING.sub("", statement)
    if match := _UPDATE.match(statement):
        table, assignments, where = match.groups()
    elif match := _DELETE.match(statement):
        (table, where), assignments = match.groups(), ""
    else:
        return None
    select = f"SELECT user_id FROM {table}" + (f" WHERE {where}" if where else "")  # noqa: S608 (SQLAlchemy's own)
    people = set()
    for row in _rows(parameters, executemany):
        # Positional parameters: the SET's come first. Named ones: the WHERE's are among them.
        where_parameters = row if isinstance(row, dict) else tuple(row)[assignments.count("?") :]
        people |= {user_id for (user_id,) in _query(cursor, select, where_parameters)}
    return people


def _announced(parameters, executemany):
    """(whether these outbox rows hold `memberships.changed`, the user_ids they name)."""
    found, named = False, set()
    for row in _rows(parameters, executemany):
        values = _values(row)
        for position, value in enumerate(values):
            if value != EVENT:
                continue
            found = True
            for later in values[position + 1 :]:  # the row's payload follows its name
                payload = getattr(later, "obj", later)  # psycopg's Json wrapper
                if isinstance(payload, str) and payload.startswith("{"):
                    payload = json.loads(payload)
                if isinstance(payload, dict):
                    named |= set(payload.get("user_ids", ()))
                    break
    return found, named


def _never_raises(listener):
    """The guard's own failure is the test's failure, never the application's: it is recorded, not raised into
    the statement being executed."""

    @functools.wraps(listener)
    def guarded(*args):
        try:
            return listener(*args)
        except Exception as error:
            violations.append(f"The membership guard failed in {listener.__name__}: {error!r}")
            return None

    return guarded


@_never_raises
def _before_cursor_execute(conn, cursor, statement, parameters, context, executemany):
    table = _table_written(statement)
    if table is None or _opted_out:
        return
    verb = _verb(statement)
    if table == OUTBOX_TABLE and verb == "INSERT":
        if EVENT in str(parameters):
            found, named = _announced(parameters, executemany)
            marks = _marks(conn)
            marks.announced |= found
            marks.named |= named
    elif table in MEMBERSHIP_TABLES and verb in ("UPDATE", "DELETE"):
        try:
            context._membership_guard_people = _people_matched(cursor, statement, parameters, executemany)
        except Exception as error:  # the guard's own failure, shown (on PostgreSQL it fails the transaction too)
            violations.append(f"The guard could not ask whom this statement touches ({error}): {statement[:160]}")
            context._membership_guard_people = None
    elif table in CASCADING_TABLES and verb == "DELETE":
        context._membership_guard_before = set(_query(cursor, _MEMBERS))


@_never_raises
def _after_cursor_execute(conn, cursor, statement, parameters, context, executemany):
    table = _table_written(statement)
    if table is None or _opted_out:
        return
    if table in MEMBERSHIP_TABLES:
        # An INSERT of values inserts (sqlite3 reports 0 rows for one with RETURNING until they are fetched);
        # an UPDATE or DELETE matching nothing, or an INSERT ... SELECT / ON CONFLICT doing nothing, changes nothing.
        plain_insert = _verb(statement) == "INSERT" and not re.search(r"\bSELECT\b|\bON CONFLICT\b", statement, re.I)
        if plain_insert or cursor.rowcount != 0 or "RETURNING" in statement.upper():
            if _verb(statement) == "INSERT":
                people = _people_inserted(statement, parameters, executemany)
            else:
                people = getattr(context, "_membership_guard_people", None)
            _marks(conn).changed(statement, people)
    elif (before := getattr(context, "_membership_guard_before", None)) is not None:
        gone = before - set(_query(cursor, _MEMBERS))
        if gone:
            _marks(conn).changed(statement, {user_id for _table, _id, user_id in gone})


@_never_raises
def _on_commit(conn):
    marks = conn.info.pop(STATE, None)
    if marks is None or _opted_out:
        return
    if marks.changes and not marks.announced:
        statement, where, _people = marks.changes[0]
        violations.append(
            f"A transaction changed memberships ({len(marks.changes)} statement(s)) and committed without emitting "
            f"`{EVENT}`.\n  first: {statement}\n  from: {where}"
        )
    elif marks.announced and not marks.changes:
        violations.append(f"A transaction emitted `{EVENT}` without changing any membership (a no-op emits nothing).")
    elif marks.people and (unnamed := marks.people - marks.named):
        statement = next(statement for statement, _where, people in marks.changes if people and people & unnamed)
        violations.append(
            f"A transaction changed the memberships of {sorted(unnamed)} and its `{EVENT}` does not name them "
            f"(it names {sorted(marks.named)}).\n  by: {statement}\n  the transaction's first change from: "
            f"{marks.changes[0][1]}"
        )


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
