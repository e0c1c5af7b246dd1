"""Which tenant the current code runs for.

The tenant lives in `g` of the current application context. Requests get it from their host;
jobs, CLI commands and provisioning enter it with `tenant_context(tenant)`, which pushes a fresh
application context so that the scoped database session is new too: a session never mixes two
tenants' connections.
"""

from contextlib import contextmanager

from flask import current_app, g, has_app_context
from werkzeug.local import LocalProxy


class NoTenantContext(RuntimeError):
    """A tenant model was touched where no tenant is in context."""


def get_current_tenant():
    """The tenant of this request or job, or None on the platform (bare) domain."""
    if not has_app_context():
        return None
    return g.get("tenant")


current_tenant = LocalProxy(get_current_tenant)


def require_tenant():
    tenant = get_current_tenant()
    if tenant is None:
        raise NoTenantContext(
            "A tenant model was used with no tenant in context: run it inside a tenant request, "
            "a job enqueued for a tenant, or `with tenant_context(tenant):`."
        )
    return tenant


@contextmanager
def tenant_context(tenant, app=None):
    """Run the block as `tenant`, with its own application context and database session."""
    app = app or current_app._get_current_object()
    with app.app_context():
        g.tenant = tenant
        yield tenant
