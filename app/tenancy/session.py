"""The database session that sends tenant models to the current tenant's engine."""

import contextlib
import weakref

import sqlalchemy as sa
from flask_sqlalchemy.session import Session
from sqlalchemy.sql.util import find_tables

from app.tenancy.context import require_tenant
from app.tenancy.engines import engine_for

TENANT_BIND_KEY = "tenant"


# Every statement asks which database it goes to: the answer per mapper, and per statement built once at import
# (weakly kept), is remembered; walking a statement's tables was a tenth of a small API read's CPU.
_MAPPER_BIND_KEYS = {}
_CLAUSE_BIND_KEYS = weakref.WeakKeyDictionary()


def _bind_key_of(mapper=None, clause=None):
    if mapper is not None:
        try:
            return _MAPPER_BIND_KEYS[mapper]
        except KeyError:
            key = _MAPPER_BIND_KEYS[mapper] = sa.inspect(mapper).local_table.metadata.info.get("bind_key")
            return key
    if clause is None:
        return None
    try:
        return _CLAUSE_BIND_KEYS[clause]
    except (KeyError, TypeError):
        pass
    key = _tables_bind_key(clause)
    with contextlib.suppress(TypeError):  # a clause that cannot be weakly referenced is simply not remembered
        _CLAUSE_BIND_KEYS[clause] = key
    return key


def _tables_bind_key(clause):
    # Core statements on plain tables (association tables, bulk inserts) carry no mapper: look at
    # the tables they touch. One statement never mixes databases, so any tenant table decides.
    for table in find_tables(clause, include_crud=True, include_joins=True):
        if table.metadata.info.get("bind_key") == TENANT_BIND_KEY:
            return TENANT_BIND_KEY
    return None


class TenantRoutingSession(Session):
    """Tenant-bound tables go to the tenant's engine; everything else to the control plane.

    With no tenant in context a tenant table raises `NoTenantContext`: there is no fallback
    database, so a forgotten context can never read another tenant's rows.
    """

    def commit(self):
        """Commit, then relay the events written with `emit_after_commit` (never after a failure).

        While an event's subscriber runs (`app.events.relay.held_commits`), commit only flushes: the
        subscriber's work and its delivery's done mark commit together, after it returns."""
        # A real cycle: app.extensions builds this session, and the events' models need app.extensions.
        from app.events import HOLD_COMMITS, drop_pending, relay_after_commit  # noqa: PLC0415

        if self.info.get(HOLD_COMMITS):
            self.flush()
            return
        try:
            super().commit()
        except BaseException:
            drop_pending(self)
            raise
        relay_after_commit(self)

    def rollback(self):
        from app.events import drop_pending  # noqa: PLC0415 (the cycle named in commit)

        drop_pending(self)
        super().rollback()

    def get_bind(self, mapper=None, clause=None, bind=None, **kwargs):
        if bind is not None:
            return bind
        if _bind_key_of(mapper, clause) == TENANT_BIND_KEY:
            return engine_for(require_tenant())
        return super().get_bind(mapper=mapper, clause=clause, bind=bind, **kwargs)
