"""Organizations as the API shows them: the registry on the platform, one's own on a tenant host."""

from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app

from app.api.listing import ListSpec, run_list_query
from app.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from app.extensions import db
from app.jobs import enqueue
from app.tenancy import provisioning
from app.tenancy.models import Tenant, TenantStatus
from blueprints.auth.services import invite_users
from blueprints.organizations.figures import refresh_figures
from blueprints.organizations.models import OrganizationFigures
from blueprints.users.services import count_users

ORGANIZATION_LIST = ListSpec(
    filters={
        "id": Tenant.id,
        "slug": Tenant.slug,
        "name": Tenant.name,
        "status": Tenant.status,
        "created_at": Tenant.created_at,
    },
    sorts={"id": Tenant.id, "slug": Tenant.slug, "name": Tenant.name, "created_at": Tenant.created_at},
    default_sort=("name",),
    fields=frozenset({"id", "slug", "name", "status", "url", "settings", "created_at", "updated_at", "archived_at"}),
    tiebreaker=Tenant.id,
)


@dataclass
class OrganizationView:
    """An organization with what the response adds to it, leaving the model free of request state."""

    organization: Tenant
    stats: dict | None = None
    admin: dict | None = None

    def __getattr__(self, name):
        return getattr(self.organization, name)


def organization_url(slug):
    config = current_app.config
    return f"{config['LMS_URL_SCHEME']}://{slug}.{config['LMS_BASE_DOMAIN']}/"


def list_organizations(query, tenant):
    """All organizations for the platform; only its own for a tenant."""
    stmt = sa.select(Tenant).where(Tenant.status != TenantStatus.PROVISIONING)
    if tenant is not None:
        stmt = stmt.where(Tenant.id == tenant.id)
    return run_list_query(db.session, stmt, query, ORGANIZATION_LIST)


def get_organization(organization_id, tenant):
    """One organization; a tenant sees only itself (any other id is 404), with its figures."""
    if tenant is not None and organization_id != tenant.id:
        raise NotFound("No such organization.")
    organization = provisioning.get_tenant(organization_id)
    if tenant is None:
        return OrganizationView(organization)

    return OrganizationView(organization, stats={"users": count_users()})


def create_organization(data):
    provisioned = provisioning.provision_tenant(
        data["slug"], data["name"], data["admin_email"], data.get("admin_password"), data.get("admin_name", "")
    )
    admin = {"email": provisioned.admin_email, "password": provisioned.admin_password}
    return OrganizationView(provisioned.tenant, admin=admin)


def update_organization(organization_id, data, tenant):
    """Operators change anything; an org admin (on its host) renames its own organization only."""
    if tenant is not None:
        if organization_id != tenant.id:
            raise NotFound("No such organization.")
        if "status" in data or "settings" in data:
            raise PermissionDenied(
                "Status is for platform operators; settings go to /settings.", code="FORBIDDEN_FIELD"
            )
    organization = provisioning.get_tenant(organization_id)
    return provisioning.update_tenant(
        organization, name=data.get("name"), status=data.get("status"), settings=data.get("settings")
    )


def archive_organization(organization_id, purge=False):
    return provisioning.archive_tenant(provisioning.get_tenant(organization_id), purge=purge)


# --- the operators' console (pages on the platform domain) ----------------------------------------

CONSOLE_PAGE_SIZE = 25


@dataclass
class ConsolePage:
    rows: list  # (Tenant, OrganizationFigures or None)
    total: int
    page: int
    last_page: int
    as_of: object  # the oldest refresh among the figures shown, None when none was read yet


def console_page(search="", status="", page=1):
    """Organizations matching `search` (slug or name) and `status`, with their figures, one page of them."""
    stmt = sa.select(Tenant, OrganizationFigures).outerjoin(
        OrganizationFigures, OrganizationFigures.tenant_id == Tenant.id
    )
    stmt = stmt.where(Tenant.status != TenantStatus.PROVISIONING)
    search = (search or "").strip()
    if search:
        pattern = "%" + search.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        stmt = stmt.where(
            sa.or_(Tenant.slug.like(pattern, escape="\\"), sa.func.lower(Tenant.name).like(pattern, escape="\\"))
        )
    if status in TenantStatus.ALL:
        stmt = stmt.where(Tenant.status == status)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(stmt.subquery()))
    last_page = max(1, -(-total // CONSOLE_PAGE_SIZE))
    page = min(max(1, page), last_page)
    rows = db.session.execute(
        stmt.order_by(sa.func.lower(Tenant.name), Tenant.id)
        .limit(CONSOLE_PAGE_SIZE)
        .offset((page - 1) * CONSOLE_PAGE_SIZE)
    ).all()
    refreshed = [figures.refreshed_at for _, figures in rows if figures is not None]
    return ConsolePage([tuple(row) for row in rows], total, page, last_page, min(refreshed) if refreshed else None)


def console_organization(organization_id):
    """One organization and its figures (None before the first refresh)."""
    organization = provisioning.get_tenant(organization_id)
    return organization, db.session.get(OrganizationFigures, organization.id)


def create_organization_and_invite(slug, name, admin_email):
    """Provision an organization whose first admin chooses their password from an invitation e-mail."""
    provisioned = provisioning.provision_tenant(slug, name, admin_email, invite=True)
    organization = provisioned.tenant
    enqueue(organization.ref(), invite_users, [provisioned.admin_email])
    refresh_figures([organization.id])
    return organization


def set_organization_status(organization_id, status):
    """Suspend (its people are refused, with a page or a 403 saying so) or reactivate an organization."""
    organization = provisioning.update_tenant(provisioning.get_tenant(organization_id), status=status)
    return organization


def archive_confirmed(organization_id, typed_slug):
    """Back up and archive an organization, once the operator typed its slug to confirm."""
    organization = provisioning.get_tenant(organization_id)
    if (typed_slug or "").strip().lower() != organization.slug:
        raise ValidationFailed(
            "Type the organization's address to confirm.", {"confirm_slug": [f"Type {organization.slug} to archive."]}
        )
    if organization.status == TenantStatus.ARCHIVED:
        raise Conflict("This organization is already archived.")
    return provisioning.archive_tenant(organization)
