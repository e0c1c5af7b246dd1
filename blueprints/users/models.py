"""People of one organization, stored in its own database."""

import sqlalchemy as sa

from app.tenancy.base import TenantModel
from app.tenancy.models import utcnow


class User(TenantModel):
    __tablename__ = "users"

    id = sa.Column(sa.Integer, primary_key=True)
    email = sa.Column(sa.String(254), nullable=False, unique=True)
    external_id = sa.Column(sa.String(100), unique=True)  # the key of another system (HR, SIS)
    first_name = sa.Column(sa.String(100), nullable=False, default="")
    last_name = sa.Column(sa.String(100), nullable=False, default="")
    role = sa.Column(sa.String(30), nullable=False, index=True)
    password_hash = sa.Column(sa.String(255))  # NULL until the person sets a password
    is_active = sa.Column(sa.Boolean, nullable=False, default=True, index=True)
    # the archiving run (blueprints/privacy) that deactivated the person; cleared when they are reactivated (by
    # hand or by the run's reversal) or erased. No foreign key: runs are never deleted (migration 0033 says why).
    archived_by_run_id = sa.Column(sa.Integer, index=True)
    notification_email = sa.Column(sa.String(254))  # where mail goes, when not the login e-mail
    time_zone = sa.Column(sa.String(64))  # IANA name for digests and dates; none: the organization's
    last_login_at = sa.Column(sa.DateTime)
    invited_at = sa.Column(sa.DateTime)  # when the set-your-password invitation went out
    created_at = sa.Column(sa.DateTime, nullable=False, default=utcnow)
    updated_at = sa.Column(sa.DateTime, nullable=False, default=utcnow, onupdate=utcnow)

    @property
    def status(self):
        """active, invited (no password chosen yet) or inactive."""
        if not self.is_active:
            return "inactive"
        return "active" if self.password_hash else "invited"

    @property
    def mail_address(self):
        return self.notification_email or self.email

    @property
    def full_name(self):
        return f"{self.first_name} {self.last_name}".strip() or self.email

    def __repr__(self):
        return f"<User {self.email} {self.role}>"
