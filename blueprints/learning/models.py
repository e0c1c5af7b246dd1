"""A learner's side of a course: enrollments, the items they completed and the time they spent."""

import sqlalchemy as sa

from app.tenancy.base import TenantModel
from app.tenancy.models import utcnow


class Enrollment(TenantModel):
    __tablename__ = "enrollments"
    __table_args__ = (sa.UniqueConstraint("course_id", "user_id"),)

    id = sa.Column(sa.Integer, primary_key=True)
    course_id = sa.Column(sa.Integer, sa.ForeignKey("courses.id", ondelete="CASCADE"), nullable=False, index=True)
    user_id = sa.Column(sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)
    class_id = sa.Column(sa.Integer, sa.ForeignKey("classes.id", ondelete="SET NULL"))  # enrolled with a class
    status = sa.Column(sa.String(20), nullable=False, default="active")  # active or unenrolled (history kept)
    self_enrolled = sa.Column(sa.Boolean, nullable=False, default=False, server_default=sa.false())  # may leave
    enrolled_at = sa.Column(sa.DateTime, nullable=False, default=utcnow)
    due_at = sa.Column(sa.DateTime)
    completed_at = sa.Column(sa.DateTime)
    last_item_id = sa.Column(sa.Integer, sa.ForeignKey("content_items.id", ondelete="SET NULL"))  # resume here
    seconds_spent = sa.Column(sa.Integer, nullable=False, default=0, server_default="0")  # all items together
    last_reported_at = sa.Column(sa.DateTime)  # the last time report: credit never outruns the clock


class ItemProgress(TenantModel):
    __tablename__ = "item_progress"
    __table_args__ = (sa.UniqueConstraint("enrollment_id", "item_id"),)

    id = sa.Column(sa.Integer, primary_key=True)
    enrollment_id = sa.Column(sa.Integer, sa.ForeignKey("enrollments.id", ondelete="CASCADE"), nullable=False)
    item_id = sa.Column(sa.Integer, sa.ForeignKey("content_items.id", ondelete="CASCADE"), nullable=False)
    completed_at = sa.Column(sa.DateTime, nullable=False, default=utcnow)


class ItemTime(TenantModel):
    """Seconds a learner spent on an item, reported by the player while the page is in view and in use."""

    __tablename__ = "item_time"
    __table_args__ = (sa.UniqueConstraint("enrollment_id", "item_id"),)

    id = sa.Column(sa.Integer, primary_key=True)
    enrollment_id = sa.Column(sa.Integer, sa.ForeignKey("enrollments.id", ondelete="CASCADE"), nullable=False)
    item_id = sa.Column(sa.Integer, sa.ForeignKey("content_items.id", ondelete="CASCADE"), nullable=False)
    seconds = sa.Column(sa.Integer, nullable=False, default=0)
    updated_at = sa.Column(sa.DateTime, nullable=False, default=utcnow, onupdate=utcnow)


class TimeByDay(TenantModel):
    """Seconds a learner spent in a course on one day (UTC), added by each time report: engagement over time."""

    __tablename__ = "time_by_day"

    enrollment_id = sa.Column(sa.Integer, sa.ForeignKey("enrollments.id", ondelete="CASCADE"), primary_key=True)
    day = sa.Column(sa.Date, primary_key=True)
    seconds = sa.Column(sa.Integer, nullable=False, default=0)
