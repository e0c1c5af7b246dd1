"""Organizations as the API shows them: the registry on the platform, one's own on a tenant host."""

from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app

from app.api.listing import ListSpec, run_list_query
from app.errors import NotFound, PermissionDenied
from app.extensions import db
from app.tenancy import provisioning
from app.tenancy.models import Tenant, TenantStatus
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
