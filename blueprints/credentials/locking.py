"""One writer at a time for the organization's keys and its issuance log.

Both are read-then-write: "is there a key yet?" then make one; "what is the last entry?" then append the
next. Of two concurrent writers the second must wait and then read what the first committed. PostgreSQL:
a transaction-scoped advisory lock per purpose (the first key is a row that does not exist yet, so there is
no row to lock); SQLite: the database's write lock, taken before the read (`app.tenancy.locks.row_locks`).
A wait longer than `LOCK_WAIT_SECONDS` is a 409 `BUSY`.
"""

import zlib
from contextlib import contextmanager

import sqlalchemy as sa

from app.tenancy.base import execute_in_tenant
from app.tenancy.context import require_tenant
from app.tenancy.engines import engine_for
from app.tenancy.locks import row_locks


def _lock_id(purpose):
    return zlib.crc32(f"tessera.credentials.{purpose}".encode())


@contextmanager
def exclusive(purpose):
    """Within: this transaction alone holds `purpose` ("keys", "ledger") until it commits or rolls back."""
    with row_locks():
        if engine_for(require_tenant()).dialect.name == "postgresql":
            execute_in_tenant(sa.text("SELECT pg_advisory_xact_lock(:id)"), {"id": _lock_id(purpose)})
        yield
