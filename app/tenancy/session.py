"""The database session that sends tenant models to the current tenant's engine."""

import sqlalchemy as sa
from flask_sqlalchemy.session import Session

from app.tenancy.context import require_tenant

TENANT_BIND_KEY = "tenant"


def _bind_key_of(mapper=None, clause=None):
    table = None
    if mapper is not None:
        table = sa.inspect(mapper).local_table
    elif isinstance(clause, sa.Table):
        table = clause
    elif isinstance(clause, sa.UpdateBase) and isinstance(clause.table, sa.Table):
        table = clause.table
    if table is None:
        return None
    return table.metadata.info.get("bind_key")


class TenantRoutingSession(Session):
    """Tenant-bound tables go to the tenant's engine; everything else to the control plane.

    With no tenant in context a tenant table raises `NoTenantContext`: there is no fallback
    database, so a forgotten context can never read another tenant's rows.
    """

    def get_bind(self, mapper=None, clause=None, bind=None, **kwargs):
        if bind is not None:
            return bind
        if _bind_key_of(mapper, clause) == TENANT_BIND_KEY:
            from app.tenancy.engines import engine_for

            return engine_for(require_tenant())
        return super().get_bind(mapper=mapper, clause=clause, bind=bind, **kwargs)
