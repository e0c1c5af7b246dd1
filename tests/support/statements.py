"""The SQL a tenant's database (or any engine) ran: for tests of statement counts, query plans and what one
transaction wrote."""

from contextlib import contextmanager
from dataclasses import dataclass, field

import sqlalchemy as sa

from app.tenancy.engines import engine_for


@dataclass
class Recorded:
    """`statements`: (SQL, parameters) in the order run; `transactions`: the SQL of each transaction (a commit or a
    rollback of its connection ends one), the empty ones left out, in the order they ended (open ones last)."""

    statements: list = field(default_factory=list)
    _ended: list = field(default_factory=list)
    _open: dict = field(default_factory=dict)  # id of a connection -> the SQL of its transaction so far

    @property
    def transactions(self):
        return [sqls for sqls in (*self._ended, *self._open.values()) if sqls]


@contextmanager
def recorded_statements(app, tenant):
    """Within: every statement the tenant's engine runs is recorded (`Recorded`)."""
    with app.app_context():
        engine = engine_for(tenant)
    with recorded_on(engine) as recorded:
        yield recorded


@contextmanager
def recorded_on(engine):
    """Within: every statement `engine` runs is recorded (`Recorded`). For the control database give `db.engine`;
    for every database at once (a tenant's and the control one, or the engines of several apps) the `Engine` class."""
    recorded = Recorded()

    def statement(conn, _cursor, sql, parameters, *_args):
        recorded.statements.append((sql, parameters))
        recorded._open.setdefault(id(conn), []).append(sql)

    def ended(conn):  # per connection: another thread's commit does not cut this one's transaction
        recorded._ended.append(recorded._open.pop(id(conn), []))

    listeners = (("before_cursor_execute", statement), ("commit", ended), ("rollback", ended))
    for name, listener in listeners:
        sa.event.listen(engine, name, listener)
    try:
        yield recorded
    finally:
        for name, listener in listeners:
            sa.event.remove(engine, name, listener)


def count_statements(app, tenant, call):
    """How many statements the tenant's database ran during `call()`."""
    with recorded_statements(app, tenant) as recorded:
        call()
    return len(recorded.statements)
