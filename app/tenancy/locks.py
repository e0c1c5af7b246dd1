"""Row locks in tenant databases: of two concurrent writers, the second waits, then sees the first's work.

Read-then-write services (the next version number, "completed already?", "enrolled already?") call
`locked(stmt)` before reading: on PostgreSQL the rows are selected `FOR NO KEY UPDATE` (rows that
only reference them can still be inserted); SQLite locks whole databases, so the transaction takes the
write lock first (`BEGIN IMMEDIATE`) and reads what the previous writer committed. A wait longer than
`LOCK_WAIT_SECONDS` is a 409 `BUSY`, never a 500.
"""

from contextlib import contextmanager

import sqlalchemy as sa

from app.errors import Conflict
from app.extensions import db
from app.tenancy.context import require_tenant
from app.tenancy.engines import engine_for

LOCK_WAIT_SECONDS = 5  # the SQLite connections' busy_timeout is the same 5 s


def _busy():
    return Conflict("Someone else is changing this right now; try again.", code="BUSY")


def _is_lock_timeout(error):
    code = getattr(error.orig, "sqlstate", None) or getattr(error.orig, "pgcode", None)
    return code == "55P03" or "database is locked" in str(error.orig)


@contextmanager
def row_locks():
    """Within: rows this transaction selects `FOR [NO KEY] UPDATE` are held until it ends (SQLite: the
    transaction holds the database's write lock). For statements `locked` does not fit (columns, joins)."""
    connection = db.session.connection(bind_arguments={"bind": engine_for(require_tenant())})
    try:
        if connection.dialect.name == "sqlite":
            if not connection.connection.dbapi_connection.in_transaction:
                connection.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            connection.exec_driver_sql(f"SET LOCAL lock_timeout = '{LOCK_WAIT_SECONDS}s'")
        yield
    except sa.exc.OperationalError as error:
        if _is_lock_timeout(error):
            db.session.rollback()
            raise _busy() from None
        raise


def locked(stmt):
    """The objects `stmt` (a SELECT of one ORM entity) selects, reloaded and held by this transaction until
    it ends."""
    with row_locks():
        locking = stmt.with_for_update(key_share=True).execution_options(populate_existing=True)
        return db.session.scalars(locking).all()  # fetched: objects loaded before are refreshed only as rows arrive
