"""Branches of an organization, and who belongs to which (with what role there)."""

import sqlalchemy as sa

from app.tenancy.base import TenantModel
from app.tenancy.models import utcnow


class Branch(TenantModel):
    __tablename__ = "branches"

    id = sa.Column(sa.Integer, primary_key=True)
    code = sa.Column(sa.String(40), nullable=False, unique=True)  # what CSV files and integrators name
    name = sa.Column(sa.String(200), nullable=False, unique=True)
    external_id = sa.Column(sa.String(100), unique=True)  # the key of another system (a OneRoster org sourcedId)
    settings = sa.Column(sa.JSON, nullable=False, default=dict)  # overrides the organization's where set
    created_at = sa.Column(sa.DateTime, nullable=False, default=utcnow)
    updated_at = sa.Column(sa.DateTime, nullable=False, default=utcnow, onupdate=utcnow)
    archived_at = sa.Column(sa.DateTime)


class BranchMembership(TenantModel):
    __tablename__ = "branch_memberships"
    __table_args__ = (sa.UniqueConstraint("branch_id", "user_id"),)

    id = sa.Column(sa.Integer, primary_key=True)
    branch_id = sa.Column(sa.Integer, sa.ForeignKey("branches.id", ondelete="CASCADE"), nullable=False)
    user_id = sa.Column(sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)
    role = sa.Column(sa.String(30), nullable=False)  # branch_manager, teacher or student in this branch
    created_at = sa.Column(sa.DateTime, nullable=False, default=utcnow)
