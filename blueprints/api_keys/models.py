"""Service-to-service credentials of one organization."""

import sqlalchemy as sa

from app.tenancy.base import TenantModel
from app.tenancy.models import utcnow


class ApiKey(TenantModel):
    """A service-to-service credential: `tsk_<prefix>_<secret>`; only the secret's hash is kept."""

    __tablename__ = "api_keys"

    id = sa.Column(sa.Integer, primary_key=True)
    name = sa.Column(sa.String(100), nullable=False)
    prefix = sa.Column(sa.String(16), nullable=False, unique=True)
    key_hash = sa.Column(sa.String(64), nullable=False)
    roles = sa.Column(sa.JSON, nullable=False, default=list)
    created_by_id = sa.Column(sa.Integer, sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_by_api_key_id = sa.Column(sa.Integer, sa.ForeignKey("api_keys.id", ondelete="SET NULL"))  # or a key
    created_at = sa.Column(sa.DateTime, nullable=False, default=utcnow)
    last_used_at = sa.Column(sa.DateTime)
    revoked_at = sa.Column(sa.DateTime)
    # a key made for one integration reaches that integration's routes only (docs/integrations.md, "API keys")
    integration_id = sa.Column(sa.Integer, sa.ForeignKey("integrations.id", ondelete="CASCADE"), index=True)

    @property
    def is_active(self):
        return self.revoked_at is None
