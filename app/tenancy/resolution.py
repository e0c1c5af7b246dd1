"""Host -> tenant, once per request, before any view runs."""

from flask import abort, current_app, g, request
from sqlalchemy import select

from app.errors import PermissionDenied
from app.extensions import db
from app.tenancy.engines import init_engine_registry
from app.tenancy.models import Tenant, TenantStatus

PLATFORM = "platform"


def _hostname(host):
    return host.rsplit(":", 1)[0] if not host.endswith("]") else host


def slug_from_host(host, base_domain):
    """PLATFORM for the bare base domain, the subdomain label for a tenant host, None otherwise.

    Ports are ignored: `acme.localhost:5001` is still tenant `acme` of base `localhost:5000`.
    """
    hostname = _hostname(host or "").lower().rstrip(".")
    base = _hostname(base_domain).lower()
    if hostname == base:
        return PLATFORM
    suffix = "." + base
    if hostname.endswith(suffix):
        label = hostname[: -len(suffix)]
        if label and "." not in label:
            return label
    return None


def find_active_tenant(slug):
    """The active tenant `slug` as a TenantRef, or None (unknown, suspended, archived)."""
    tenant = db.session.scalar(select(Tenant).where(Tenant.slug == slug, Tenant.status == TenantStatus.ACTIVE))
    return tenant.ref() if tenant else None


REQUEST_SCOPED = ("tenant", "principal", "actor", "api_meta", "api_fields", "style_nonce")


def resolve_tenant_for_request():
    """Set `g.tenant` from the Host header; 404 for unknown hosts and inactive tenants."""
    # An application context can outlive its request (a streamed response not yet closed) and be
    # reused by the next one: nothing request-scoped may carry over.
    for name in REQUEST_SCOPED:
        g.pop(name, None)
    if request.endpoint == "static":
        return None
    slug = slug_from_host(request.host, current_app.config["LMS_BASE_DOMAIN"])
    g.tenant = None
    if slug == PLATFORM:
        return None
    tenant = find_active_tenant(slug) if slug else None
    if tenant is None:
        if slug and is_suspended(slug):  # its people are told why, rather than a 404 that looks like a typo
            raise PermissionDenied(
                "This organization is suspended: nobody can sign in or use its API until a platform operator "
                "reactivates it. Nothing in it is lost.",
                code="ORGANIZATION_SUSPENDED",
            )
        abort(404, "No organization answers at this address.")
    g.tenant = tenant
    return None


def is_suspended(slug):
    return db.session.scalar(select(Tenant.status).where(Tenant.slug == slug)) == TenantStatus.SUSPENDED


def init_tenancy(app):
    init_engine_registry(app)
    app.before_request(resolve_tenant_for_request)
