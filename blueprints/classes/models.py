"""Classes: one branch, one term, teachers and students."""

import sqlalchemy as sa

from app.tenancy.base import TenantModel
from app.tenancy.models import utcnow


class SchoolClass(TenantModel):
    __tablename__ = "classes"
    __table_args__ = (sa.UniqueConstraint("branch_id", "name"),)

    id = sa.Column(sa.Integer, primary_key=True)
    branch_id = sa.Column(sa.Integer, sa.ForeignKey("branches.id", ondelete="RESTRICT"), nullable=False, index=True)
    name = sa.Column(sa.String(200), nullable=False)
    term_start = sa.Column(sa.Date)
    term_end = sa.Column(sa.Date)
    external_id = sa.Column(sa.String(100), unique=True)  # the key of another system (a OneRoster class sourcedId)
    created_at = sa.Column(sa.DateTime, nullable=False, default=utcnow)
    updated_at = sa.Column(sa.DateTime, nullable=False, default=utcnow, onupdate=utcnow)
    archived_at = sa.Column(sa.DateTime)


class ClassMembership(TenantModel):
    __tablename__ = "class_memberships"
    __table_args__ = (sa.UniqueConstraint("class_id", "user_id"),)

    id = sa.Column(sa.Integer, primary_key=True)
    class_id = sa.Column(sa.Integer, sa.ForeignKey("classes.id", ondelete="CASCADE"), nullable=False)
    user_id = sa.Column(sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)
    role = sa.Column(sa.String(20), nullable=False)  # teacher or student
    created_at = sa.Column(sa.DateTime, nullable=False, default=utcnow)
