"""Credentials other than passwords, stored hashed in the tenant's own database."""

import sqlalchemy as sa

from app.tenancy.base import TenantModel
from app.tenancy.models import utcnow


class RefreshToken(TenantModel):
    """One link of a rotation chain; all links of one login share a family."""

    __tablename__ = "refresh_tokens"

    id = sa.Column(sa.Integer, primary_key=True)
    user_id = sa.Column(sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)
    family = sa.Column(sa.String(32), nullable=False, index=True)
    token_hash = sa.Column(sa.String(64), nullable=False, unique=True)
    created_at = sa.Column(sa.DateTime, nullable=False, default=utcnow)
    expires_at = sa.Column(sa.DateTime, nullable=False)
    used_at = sa.Column(sa.DateTime)  # spent by a rotation: presenting it again is reuse
    revoked_at = sa.Column(sa.DateTime)


class PasswordResetToken(TenantModel):
    __tablename__ = "password_reset_tokens"

    id = sa.Column(sa.Integer, primary_key=True)
    user_id = sa.Column(sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)
    token_hash = sa.Column(sa.String(64), nullable=False, unique=True)
    created_at = sa.Column(sa.DateTime, nullable=False, default=utcnow)
    expires_at = sa.Column(sa.DateTime, nullable=False)
    used_at = sa.Column(sa.DateTime)


class SignIn(TenantModel):
    """One sign-in of a person: a browser session, or an API login and the refresh-token family it rotates.

    Page cookies and access tokens name their sign-in, and every request checks it is still open: signing
    out, a password change or reset, and deactivation close sign-ins, and whatever names them stops working
    at once (a copied cookie or a stolen token included).
    """

    __tablename__ = "sign_ins"

    id = sa.Column(sa.String(32), primary_key=True)  # random; the refresh-token family of an API sign-in
    user_id = sa.Column(sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)
    kind = sa.Column(sa.String(10), nullable=False)  # "page" or "api"
    user_agent = sa.Column(sa.String(200))
    created_at = sa.Column(sa.DateTime, nullable=False, default=utcnow)
    revoked_at = sa.Column(sa.DateTime)
