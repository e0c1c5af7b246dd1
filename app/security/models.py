"""Platform operators: the people who run Tessera itself (control-plane accounts)."""

import sqlalchemy as sa

from app.extensions import db
from app.tenancy.models import utcnow


class PlatformOperator(db.Model):
    __tablename__ = "platform_operators"

    id = sa.Column(sa.Integer, primary_key=True)
    email = sa.Column(sa.String(254), nullable=False, unique=True)
    name = sa.Column(sa.String(200), nullable=False, default="")
    password_hash = sa.Column(sa.String(255), nullable=False)
    is_active = sa.Column(sa.Boolean, nullable=False, default=True)
    created_at = sa.Column(sa.DateTime, nullable=False, default=utcnow)


class OperatorSignIn(db.Model):
    """One sign-in of a platform operator (page session or access token); closed on sign-out."""

    __tablename__ = "operator_sign_ins"

    id = sa.Column(sa.String(32), primary_key=True)
    operator_id = sa.Column(
        sa.Integer, sa.ForeignKey("platform_operators.id", ondelete="CASCADE"), nullable=False, index=True
    )
    kind = sa.Column(sa.String(10), nullable=False)
    user_agent = sa.Column(sa.String(200))
    created_at = sa.Column(sa.DateTime, nullable=False, default=utcnow)
    revoked_at = sa.Column(sa.DateTime)
