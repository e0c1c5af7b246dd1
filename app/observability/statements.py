"""How many SQL statements a request or job sent, on every engine (control plane and tenants)."""

import threading

import sqlalchemy as sa
from sqlalchemy.engine import Engine

_counts = threading.local()  # a request (or job) runs in one thread from start to end


def _count_statement(*_args):
    _counts.value = getattr(_counts, "value", 0) + 1


def count_statements():
    """Listen on every engine, also the tenant engines built later (app/tenancy/engines.py): a class-level
    listener. Once per process."""
    if not sa.event.contains(Engine, "before_cursor_execute", _count_statement):
        sa.event.listen(Engine, "before_cursor_execute", _count_statement)


def restart_statement_count():
    _counts.value = 0


def statement_count():
    return getattr(_counts, "value", 0)
