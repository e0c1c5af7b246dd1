"""The tenant registry: the control plane's one table about organizations."""

from dataclasses import dataclass, field
from datetime import UTC, datetime

import sqlalchemy as sa

from app.extensions import db


def utcnow():
    return datetime.now(UTC).replace(tzinfo=None)


class TenantStatus:
    PROVISIONING = "provisioning"  # registry row reserved, database being built
    ACTIVE = "active"
    SUSPENDED = "suspended"
    ARCHIVED = "archived"
    # briefly, while an operator moves its database to another server or restores it (docs/operations.md):
    # its requests are answered 503 with Retry-After, its jobs wait
    MAINTENANCE = "maintenance"
    ALL = (PROVISIONING, ACTIVE, SUSPENDED, ARCHIVED, MAINTENANCE)


class Tenant(db.Model):
    __tablename__ = "tenants"

    id = sa.Column(sa.Integer, primary_key=True)
    slug = sa.Column(sa.String(40), nullable=False, unique=True)
    name = sa.Column(sa.String(200), nullable=False)
    status = sa.Column(sa.String(20), nullable=False, default=TenantStatus.PROVISIONING, index=True)
    database_url = sa.Column(sa.String(500), nullable=False)
    # The configured database server holding it (app/tenancy/servers.py); "default" without TENANT_DATABASE_SERVERS.
    database_server = sa.Column(sa.String(40), nullable=False, default="default", server_default="default", index=True)
    settings = sa.Column(sa.JSON, nullable=False, default=dict)
    created_at = sa.Column(sa.DateTime, nullable=False, default=utcnow)
    updated_at = sa.Column(sa.DateTime, nullable=False, default=utcnow, onupdate=utcnow)
    archived_at = sa.Column(sa.DateTime)
    backup_path = sa.Column(sa.String(500))

    def ref(self):
        return TenantRef(
            id=self.id,
            slug=self.slug,
            name=self.name,
            status=self.status,
            database_url=self.database_url,
            settings=dict(self.settings or {}),
        )

    def __repr__(self):
        return f"<Tenant {self.slug} {self.status}>"


@dataclass(frozen=True)
class TenantRef:
    """An immutable snapshot of a tenant, safe to keep in `g` across sessions and contexts."""

    id: int
    slug: str
    name: str
    status: str
    database_url: str
    settings: dict = field(default_factory=dict, compare=False)
