"""Host -> tenant, once per request, before any view runs."""

import threading
import time

from flask import abort, current_app, g, has_app_context, request
from sqlalchemy import event, select
from sqlalchemy.orm import Session, object_session

from app.errors import PermissionDenied, ServiceUnavailable
from app.extensions import db
from app.security.principal_cache import EXTENSION as PRINCIPALS
from app.security.principal_cache import PrincipalCache, principal_cache
from app.tenancy.engines import init_engine_registry
from app.tenancy.invalidation import EXTENSION, TenantChanges
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


def active_tenants():
    """Every active tenant (TenantRef), for sweeps and commands that visit each organization (app context)."""
    return [t.ref() for t in db.session.scalars(select(Tenant).where(Tenant.status == TenantStatus.ACTIVE))]


class ActiveTenantCache:
    """Active tenants (TenantRef) by slug, kept per process: the registry read was a fifth of a request's CPU.
    A miss or an inactive tenant is never kept. A change to a tenant's row committed in this process drops its
    entry at once (`_note_changed_tenant`) and is published to the other processes, which drop theirs when they
    hear it (app/tenancy/invalidation.py). While this process is listening, entries live `listening_seconds`;
    while it is not, the seconds its caller gives (docs/decisions.md). Shared by request resolution and the job
    runner (app/jobs.py)."""

    hears = ("",)  # the listener's message kind of a change to an organization (app/tenancy/invalidation.py)

    def __init__(self, listening_seconds=0):
        self._entries = {}  # slug -> (TenantRef, time.monotonic() of the registry read)
        self.listening_seconds = listening_seconds
        self.listening = False  # set by the listener while it is subscribed
        self._drops = 0  # counts forgets: a row read while one happened may be the row the change replaced
        self._lock = threading.Lock()

    def cached(self, slug, seconds):
        """The tenant read less than `seconds` ago (longer while changes are heard), or None; 0: never kept."""
        entry = self._entries.get(slug)
        if entry is None or seconds <= 0:
            return None
        if self.listening:
            seconds = max(seconds, self.listening_seconds)
        if time.monotonic() - entry[1] > seconds:
            return None
        return entry[0]

    def load(self, slug):
        """Read the registry now (app context needed) and keep the answer if it is an active tenant, unless a
        change was heard while reading (it may have been read before that change's commit: kept, it would be
        served for the whole listening lifetime)."""
        drops = self._drops
        tenant = find_active_tenant(slug)
        with self._lock:
            if tenant is None:
                self._entries.pop(slug, None)
            elif drops == self._drops:
                self._entries[slug] = (tenant, time.monotonic())
        return tenant

    def active(self, slug, seconds):
        return self.cached(slug, seconds) or self.load(slug)

    def forget(self, slug):
        with self._lock:
            self._drops += 1
            self._entries.pop(slug, None)

    def forget_all(self):
        with self._lock:
            self._drops += 1
            self._entries.clear()


def tenant_cache(app=None):
    """This app's cache in this process; with caching on, its listener for other processes' changes runs (and
    people's principals are kept while it listens: app/security/principal_cache.py)."""
    app = app or current_app
    cache = app.extensions.get("active_tenants")
    if cache is None:
        cache = app.extensions["active_tenants"] = ActiveTenantCache(app.config["TENANT_CACHE_LISTENING_SECONDS"])
        if app.config["TENANT_CACHE_SECONDS"] > 0:
            principals = app.extensions[PRINCIPALS] = PrincipalCache(app.config["PRINCIPAL_CACHE_SECONDS"])
            app.extensions[EXTENSION] = TenantChanges(app, [cache, principals])
    changes = app.extensions.get(EXTENSION)
    if changes is not None:
        changes.ensure_listening()
    return cache


@event.listens_for(Tenant, "after_update")
@event.listens_for(Tenant, "after_delete")
def _note_changed_tenant(_mapper, _connection, tenant):
    # Dropped at the flush and again at the commit: a request of another thread between the two would
    # otherwise keep the row as it was before the commit for the whole TTL.
    if not has_app_context():
        return
    _forget_here(tenant.slug)
    session = object_session(tenant)
    if session is not None:
        session.info.setdefault("changed_tenants", set()).add(tenant.slug)


@event.listens_for(Session, "after_commit")
def _announce_changed_tenants(session):
    slugs = _forget_changed_tenants(session)
    changes = current_app.extensions.get(EXTENSION) if slugs else None
    if changes is not None:
        changes.publish(slugs)


@event.listens_for(Session, "after_soft_rollback")
def _forget_changed_tenants(session, *_args):
    """Drop this process's entries of the tenants the session changed; their slugs (or None)."""
    slugs = session.info.pop("changed_tenants", None)
    if not slugs or not has_app_context():
        return None
    for slug in slugs:
        _forget_here(slug)
    return slugs


def _forget_here(slug):
    """Drop an organization in this process: its cached row and its people's principals."""
    tenant_cache().forget(slug)
    principals = principal_cache()
    if principals is not None:
        principals.forget(slug)


# Answer on every host, also an unknown one or a bare address: static files, and the operations probes and
# metrics (a load balancer asks by IP).
ANY_HOST = ("static", "operations.healthz", "operations.readyz", "operations.metrics")
REQUEST_SCOPED = ("tenant", "principal", "actor", "api_meta", "api_fields", "style_nonce")


def resolve_tenant_for_request():
    """Set `g.tenant` from the Host header; 404 for unknown hosts and inactive tenants."""
    # An application context can outlive its request (a streamed response not yet closed) and be
    # reused by the next one: nothing request-scoped may carry over.
    for name in REQUEST_SCOPED:
        g.pop(name, None)
    if request.endpoint in ANY_HOST:
        return None
    slug = slug_from_host(request.host, current_app.config["LMS_BASE_DOMAIN"])
    g.tenant = None
    if slug == PLATFORM:
        return None
    tenant = tenant_cache().active(slug, current_app.config["TENANT_CACHE_SECONDS"]) if slug else None
    if tenant is None:
        status = status_of(slug) if slug else None
        if status == TenantStatus.MAINTENANCE:
            raise ServiceUnavailable(
                "This organization is being maintained (its data is moving or being restored). Try again in a "
                "minute: nothing in it is lost.",
                code="ORGANIZATION_MAINTENANCE",
                headers={"Retry-After": "30"},
            )
        if status == TenantStatus.SUSPENDED:  # its people are told why, rather than a 404 that looks like a typo
            raise PermissionDenied(
                "This organization is suspended: nobody can sign in or use its API until a platform operator "
                "reactivates it. Nothing in it is lost.",
                code="ORGANIZATION_SUSPENDED",
            )
        abort(404, "No organization answers at this address.")
    g.tenant = tenant
    return None


def status_of(slug):
    return db.session.scalar(select(Tenant.status).where(Tenant.slug == slug))


def init_tenancy(app):
    init_engine_registry(app)
    app.before_request(resolve_tenant_for_request)
