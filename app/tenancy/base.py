"""What tenant-side models and raw SQL build on."""

from app.extensions import db
from app.tenancy.context import require_tenant
from app.tenancy.engines import engine_for
from app.tenancy.session import TENANT_BIND_KEY


class TenantModel(db.Model):
    """Base of every model stored in a tenant's own database."""

    __abstract__ = True
    __bind_key__ = TENANT_BIND_KEY


def tenant_metadata():
    return db.metadatas[TENANT_BIND_KEY]


def execute_in_tenant(statement, params=None):
    """Run raw SQL (`text()`, Core statements) on the current tenant's database.

    Statements with no mapped entity carry no bind key and would otherwise reach the control plane.
    """
    engine = engine_for(require_tenant())
    return db.session.execute(statement, params, bind_arguments={"bind": engine})
