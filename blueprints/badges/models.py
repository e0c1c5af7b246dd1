"""Badge definitions and their awards (docs/credentials.md)."""

import sqlalchemy as sa

from app.tenancy.base import TenantModel
from app.tenancy.models import utcnow


class BadgeStatus:
    DRAFT, ACTIVE, ARCHIVED = "draft", "active", "archived"
    ALL = (DRAFT, ACTIVE, ARCHIVED)


class Badge(TenantModel):
    """A badge of the organization. `course_id`: a course's badge, managed by whoever manages the course;
    NULL: an organization badge (org admins, or branch managers for the branches in `badge_branches`)."""

    __tablename__ = "badges"

    id = sa.Column(sa.Integer, primary_key=True)
    name = sa.Column(sa.String(120), nullable=False)
    description = sa.Column(sa.String(1000), nullable=False, default="")
    course_id = sa.Column(sa.Integer, sa.ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    status = sa.Column(sa.String(20), nullable=False, default=BadgeStatus.DRAFT, index=True)
    image_key = sa.Column(sa.String(300))  # an uploaded PNG/SVG in the media storage; NULL: generated
    colour = sa.Column(sa.String(7), nullable=False, default="#1d4ed8")  # of the generated image
    accent = sa.Column(sa.String(7), nullable=False, default="#f59e0b")
    initials = sa.Column(sa.String(3), nullable=False, default="")
    criteria_strategy = sa.Column(sa.String(40), nullable=False)  # a key of the strategy registry
    criteria = sa.Column(sa.JSON, nullable=False, default=dict)  # the strategy's parameters
    valid_months = sa.Column(sa.Integer)  # an award expires this long after it is made; NULL: never
    created_by_id = sa.Column(sa.Integer, sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_by_api_key_id = sa.Column(sa.Integer, sa.ForeignKey("api_keys.id", ondelete="SET NULL"))
    created_at = sa.Column(sa.DateTime, nullable=False, default=utcnow)
    updated_at = sa.Column(sa.DateTime, nullable=False, default=utcnow, onupdate=utcnow)


badge_branches = sa.Table(  # no rows: the whole organization
    "badge_branches",
    Badge.metadata,  # the tenant bind's metadata
    sa.Column("badge_id", sa.ForeignKey("badges.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("branch_id", sa.ForeignKey("branches.id", ondelete="CASCADE"), primary_key=True),
)


class BadgeAward(TenantModel):
    """A badge given to a learner: once per learner and badge (a revoked award may be given again, which
    brings the same row back with a new credential)."""

    __tablename__ = "badge_awards"
    __table_args__ = (sa.UniqueConstraint("badge_id", "user_id"),)

    id = sa.Column(sa.Integer, primary_key=True)
    badge_id = sa.Column(sa.Integer, sa.ForeignKey("badges.id", ondelete="CASCADE"), nullable=False)
    user_id = sa.Column(sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)
    public_id = sa.Column(sa.String(32), nullable=False, unique=True)  # in the Open Badges URLs
    awarded_at = sa.Column(sa.DateTime, nullable=False, default=utcnow)
    expires_at = sa.Column(sa.DateTime)
    # both NULL: awarded automatically; else the person or the API key that gave it by hand
    awarded_by_id = sa.Column(sa.Integer, sa.ForeignKey("users.id", ondelete="SET NULL"))
    awarded_by_api_key_id = sa.Column(sa.Integer, sa.ForeignKey("api_keys.id", ondelete="SET NULL"))
    reason = sa.Column(sa.String(500), nullable=False, default="")  # a manual award's reason
    evidence = sa.Column(sa.JSON, nullable=False, default=dict)  # what was met (the strategy's report)
    recipient_salt = sa.Column(sa.String(32), nullable=False)  # Open Badges 2.0 hashed recipient
    credential_jwt = sa.Column(sa.Text)  # the signed OpenBadgeCredential (VC-JWT)
    revoked_at = sa.Column(sa.DateTime)
    revoked_by_id = sa.Column(sa.Integer, sa.ForeignKey("users.id", ondelete="SET NULL"))
    revoked_by_api_key_id = sa.Column(sa.Integer, sa.ForeignKey("api_keys.id", ondelete="SET NULL"))
    revocation_reason = sa.Column(sa.String(500))


class BadgeCredentialStatus(TenantModel):
    """One bit of the badges' revocation list (W3C Bitstring Status List) per credential ever signed: `id` is the
    credential's `statusListIndex`; `revoked` is set when the award it was signed for is revoked. A re-given award
    gets a new credential and a new bit, so the revoked credential stays revoked."""

    __tablename__ = "badge_credential_statuses"

    id = sa.Column(sa.Integer, primary_key=True)
    award_id = sa.Column(sa.Integer, sa.ForeignKey("badge_awards.id", ondelete="SET NULL"), index=True)
    revoked = sa.Column(sa.Boolean, nullable=False, default=False)
    created_at = sa.Column(sa.DateTime, nullable=False, default=utcnow)
