"""Creating, suspending, migrating and archiving tenants: one service for the CLI and the API."""

import logging
import re
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError

from app.audit.platform import record_platform
from app.emails import normalize_email
from app.errors import Conflict, NotFound, ValidationFailed
from app.events import emit_after_commit
from app.extensions import db
from app.security.passwords import generate_password
from app.tenancy import backups, databases, servers
from app.tenancy.context import tenant_context
from app.tenancy.engines import create_tenant_engine, enable_wal, engine_registry
from app.tenancy.migrations import upgrade_tenant_database
from app.tenancy.models import Tenant, TenantStatus, utcnow

log = logging.getLogger(__name__)

FIRST_ADMIN_HOOK = "tessera.first_admin"

SLUG_PATTERN = re.compile(r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$")
RESERVED_SLUGS = frozenset(
    [
        "www",
        "api",
        "admin",
        "app",
        "apps",
        "assets",
        "auth",
        "billing",
        "blog",
        "cdn",
        "control",
        "dashboard",
        "dev",
        "docs",
        "ftp",
        "help",
        "imap",
        "login",
        "mail",
        "media",
        "ns1",
        "ns2",
        "platform",
        "pop",
        "pop3",
        "portal",
        "root",
        "smtp",
        "sso",
        "static",
        "staging",
        "status",
        "support",
        "test",
        "tessera",
        "webmail",
    ]
)


@dataclass
class ProvisionedTenant:
    tenant: Tenant
    admin_email: str
    admin_password: str | None  # set when it was generated here, to be handed to the admin once


def validate_slug(slug):
    """A DNS label of 3-40 characters that is not reserved."""
    slug = (slug or "").strip().lower()
    problems = []
    if not 3 <= len(slug) <= 40:
        problems.append("Must be 3 to 40 characters long.")
    if not SLUG_PATTERN.match(slug):
        problems.append("Use lowercase letters, digits and hyphens; no hyphen at either end.")
    if "--" in slug:
        problems.append("No two hyphens in a row.")
    if slug in RESERVED_SLUGS:
        problems.append(f"{slug!r} is reserved.")
    if problems:
        raise ValidationFailed("Invalid organization slug.", {"slug": problems})
    return slug


def database_url_for(slug, server=None):
    """Where `slug`'s database goes: on the named server, or on the least loaded (app/tenancy/servers.py)."""
    return servers.pick_server(server).database_url(slug)


def reserve(slug, name, server=None, settings=None):
    """Insert the registry row first: the unique slug is the lock against a concurrent twin."""
    on = servers.pick_server(server)
    tenant = Tenant(
        slug=slug,
        name=name,
        status=TenantStatus.PROVISIONING,
        database_url=on.database_url(slug),
        database_server=on.name,
        settings=settings or {},
    )
    db.session.add(tenant)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise Conflict(f"An organization with slug {slug!r} already exists.", {"slug": ["Already taken."]}) from None
    return tenant


def _migrate_new_database(database_url):
    engine = create_tenant_engine(database_url, pool_size=1, max_overflow=0)
    try:
        if engine.url.get_backend_name() == "sqlite":
            enable_wal(engine)
        upgrade_tenant_database(engine)
    finally:
        engine.dispose()


def register_first_admin_hook(app, create_first_admin):
    """How a new organization gets its first org admin: the users feature says (the core imports no feature).

    `create_first_admin(email, password, first_name, last_name)` runs inside the new tenant's context."""
    app.extensions[FIRST_ADMIN_HOOK] = create_first_admin


def _seed_admin(tenant_ref, admin_email, admin_password, admin_name):
    create_first_admin = current_app.extensions.get(FIRST_ADMIN_HOOK)
    if create_first_admin is None:
        raise RuntimeError("No feature registered how to create a first org admin (the users feature does).")
    first, _, last = (admin_name or "").partition(" ")
    with tenant_context(tenant_ref):
        create_first_admin(admin_email, admin_password, first, last)


def template_for(database_url):
    """The tests' migrated template (config.py) when it is on the new database's server: a database is copied
    from a template on its own server only."""
    template = current_app.config.get("TENANT_DATABASE_TEMPLATE")
    if not template:
        return None
    ours, theirs = make_url(database_url), make_url(template)
    same_server = (ours.get_backend_name(), ours.host, ours.port) == (
        theirs.get_backend_name(),
        theirs.host,
        theirs.port,
    )
    return template if same_server else None


def undo_reservation(tenant_id, database_url, database_created):
    """Remove every trace of a half-provisioned tenant: registry row and database."""
    engine_registry().remove(tenant_id)
    if database_created:
        try:
            databases.drop_database(database_url)
        except Exception:
            log.exception("Could not drop the database of failed tenant %s", tenant_id)
    db.session.rollback()
    db.session.execute(sa.delete(Tenant).where(Tenant.id == tenant_id))
    db.session.commit()


def provision_tenant(slug, name, admin_email, admin_password=None, admin_name="", invite=False, server=None):
    """Create an organization: registry row, database at head (on the named database server, or the least loaded),
    its first org admin.

    With `invite`, the admin gets no password: they choose one from the invitation the caller sends."""
    slug = validate_slug(slug)
    name = (name or "").strip()
    if not name:
        raise ValidationFailed("The organization needs a name.", {"name": ["Required."]})
    admin_email = normalize_email(admin_email)
    generated = not admin_password and not invite
    if generated:
        admin_password = generate_password()

    tenant = reserve(slug, name, server)
    tenant_id, database_url = tenant.id, tenant.database_url
    database_created = False
    try:
        # Tests set a migrated template to copy (config.py); the upgrade then has nothing left to do.
        databases.create_database(database_url, template=template_for(database_url))
        database_created = True
        _migrate_new_database(database_url)
        _seed_admin(tenant.ref(), admin_email, admin_password, admin_name)
        tenant.status = TenantStatus.ACTIVE
        emit_after_commit(db.session, "tenant.created", tenant=slug, tenant_id=tenant_id, slug=slug)
        record_platform(
            "organization.created",
            tenant,
            details={"name": name, "admin_email": admin_email, "server": tenant.database_server, "invited": invite},
        )
        db.session.commit()
    except BaseException:
        undo_reservation(tenant_id, database_url, database_created)
        raise
    return ProvisionedTenant(tenant, admin_email, admin_password if generated else None)


def get_tenant(tenant_id):
    tenant = db.session.get(Tenant, tenant_id)
    if tenant is None or tenant.status == TenantStatus.PROVISIONING:
        raise NotFound("No such organization.")
    return tenant


def get_tenant_by_slug(slug):
    tenant = db.session.scalar(sa.select(Tenant).where(Tenant.slug == slug))
    if tenant is None:
        raise NotFound(f"No organization with slug {slug!r}.")
    return tenant


def update_tenant(tenant, name=None, status=None, settings=None):
    """Rename, suspend or reactivate, change settings; each change an operator (or the CLI) makes is in the
    platform's audit trail."""
    before = {"name": tenant.name, "status": tenant.status, "settings": dict(tenant.settings or {})}
    if name is not None:
        if not name.strip():
            raise ValidationFailed("The organization needs a name.", {"name": ["Required."]})
        tenant.name = name.strip()
    if status is not None and status != tenant.status:
        allowed = {TenantStatus.ACTIVE, TenantStatus.SUSPENDED}
        if status not in allowed or tenant.status not in allowed:
            raise ValidationFailed(
                f"Cannot change status from {tenant.status} to {status}.",
                {"status": ["Only active <-> suspended; archive with DELETE."]},
            )
        tenant.status = status
    if settings is not None:
        tenant.settings = {**(tenant.settings or {}), **settings}
    _record_update(tenant, before)
    db.session.commit()
    if tenant.status != TenantStatus.ACTIVE:
        engine_registry().remove(tenant.id)
    return tenant


def _record_update(tenant, before):
    """`organization.suspended`/`activated` for a new status; `organization.updated` with each changed name or
    setting before/after."""
    if tenant.status != before["status"]:
        action = "organization.suspended" if tenant.status == TenantStatus.SUSPENDED else "organization.activated"
        record_platform(action, tenant, details={"status": {"before": before["status"], "after": tenant.status}})
    changed = {}
    if tenant.name != before["name"]:
        changed["name"] = {"before": before["name"], "after": tenant.name}
    after_settings = tenant.settings or {}
    for key in sorted(set(before["settings"]) | set(after_settings)):
        if before["settings"].get(key) != after_settings.get(key):
            changed[f"settings.{key}"] = {"before": before["settings"].get(key), "after": after_settings.get(key)}
    if changed:
        record_platform("organization.updated", tenant, details={"changed": changed})


def suspend_tenant(tenant):
    return update_tenant(tenant, status=TenantStatus.SUSPENDED)


def activate_tenant(tenant):
    return update_tenant(tenant, status=TenantStatus.ACTIVE)


def archive_tenant(tenant, purge=False):
    """Back the organization up (`flask tenants backup`'s file: `flask tenants restore … --as` brings it back),
    mark it archived; with `purge`, then drop its database."""
    if tenant.status == TenantStatus.PROVISIONING:
        raise Conflict("This organization is still being provisioned.")
    engine_registry().remove(tenant.id)
    if tenant.status != TenantStatus.ARCHIVED or not tenant.backup_path:
        tenant.backup_path = str(backups.backup_tenant(tenant).path)
    tenant.status = TenantStatus.ARCHIVED
    tenant.archived_at = tenant.archived_at or utcnow()
    record_platform("organization.archived", tenant, details={"backup": tenant.backup_path, "purge": purge})
    if not purge:
        _emit_archived(tenant, purged=False)
    db.session.commit()
    if purge:
        if not Path(tenant.backup_path).exists():
            raise Conflict("The backup is missing; the database was not dropped.")
        databases.drop_database(tenant.database_url)
        tenant.settings = {**(tenant.settings or {}), "purged_at": utcnow().isoformat()}
        _emit_archived(tenant, purged=True)
        db.session.commit()
    return tenant


def _emit_archived(tenant, purged):
    emit_after_commit(
        db.session, "tenant.archived", tenant=tenant.slug, tenant_id=tenant.id, slug=tenant.slug, purged=purged
    )


@dataclass
class UpgradeResult:
    slug: str
    ok: bool
    message: str


def upgrade_tenants(slug=None):
    """Migrate every (or one) tenant database to head; one result per tenant, failures included."""
    stmt = sa.select(Tenant).where(Tenant.status.in_([TenantStatus.ACTIVE, TenantStatus.SUSPENDED]))
    if slug:
        stmt = sa.select(Tenant).where(Tenant.slug == slug)
    tenants = db.session.scalars(stmt.order_by(Tenant.slug)).all()
    if slug and not tenants:
        raise NotFound(f"No organization with slug {slug!r}.")
    results = []
    for tenant in tenants:
        engine = None
        try:
            engine = create_tenant_engine(tenant.database_url, pool_size=1, max_overflow=0)
            upgrade_tenant_database(engine)
            results.append(UpgradeResult(tenant.slug, True, "ok"))
        except Exception as error:  # report and go on to the next tenant
            results.append(UpgradeResult(tenant.slug, False, f"{type(error).__name__}: {error}"))
        finally:
            if engine is not None:
                engine.dispose()
    return results
