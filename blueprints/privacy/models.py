"""A person's data on request and archiving by policy (docs/operations.md, part privacy).

`data_exports`: one ZIP of everything about a person, made by a job, kept like reports and then deleted.
`person_erasures`: who was erased when; its id is the `<n>` of "Erased person #<n>", and certificates ask it
whether their holder was erased. `archiving_policies`: the organization's one policy row. `archiving_runs`: what
each run changed (ids and the statuses they had), so that a run can be reversed exactly.
"""

import sqlalchemy as sa

from app.tenancy.base import TenantModel
from app.tenancy.models import utcnow


class ExportStatus:
    QUEUED, RUNNING, DONE, FAILED, EXPIRED = "queued", "running", "done", "failed", "expired"
    ALL = (QUEUED, RUNNING, DONE, FAILED, EXPIRED)


class DataExport(TenantModel):
    __tablename__ = "data_exports"
    __table_args__ = (sa.Index("ix_data_exports_user_created", "user_id", "created_at"),)

    id = sa.Column(sa.Integer, primary_key=True)
    # the person the export is about: erasing them deletes their exports (files and rows) with them
    user_id = sa.Column(sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    status = sa.Column(sa.String(10), nullable=False, default=ExportStatus.QUEUED, index=True)
    rows_done = sa.Column(sa.Integer, nullable=False, default=0)
    rows_total = sa.Column(sa.Integer)  # none: not counted yet
    file_key = sa.Column(sa.String(300))
    file_name = sa.Column(sa.String(200))
    file_size = sa.Column(sa.Integer)
    error = sa.Column(sa.String(500))
    requested_by_id = sa.Column(sa.Integer, sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    requested_by_api_key_id = sa.Column(sa.Integer, sa.ForeignKey("api_keys.id", ondelete="SET NULL"))
    created_at = sa.Column(sa.DateTime, nullable=False, default=utcnow)
    started_at = sa.Column(sa.DateTime)
    finished_at = sa.Column(sa.DateTime)
    expires_at = sa.Column(sa.DateTime, index=True)  # the file is deleted then


class PersonErasure(TenantModel):
    __tablename__ = "person_erasures"

    id = sa.Column(sa.Integer, primary_key=True)  # the n of "Erased person #n"
    user_id = sa.Column(sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, unique=True)
    erased_at = sa.Column(sa.DateTime, nullable=False, default=utcnow)
    erased_by_id = sa.Column(sa.Integer, sa.ForeignKey("users.id", ondelete="SET NULL"))
    erased_by_api_key_id = sa.Column(sa.Integer, sa.ForeignKey("api_keys.id", ondelete="SET NULL"))
    # what the erasure did beyond the person's own rows: copies deleted, log entries redacted or keeping a name
    # (written before the log kept names out of its chain), reports withdrawn (erasure.OUTCOME)
    outcome = sa.Column(sa.JSON, nullable=False, default=dict)

    @property
    def pseudonym(self):
        return f"Erased person #{self.id}"


class ArchivingPolicy(TenantModel):
    """The organization's policy (at most one row); a null number of months: that half is off."""

    __tablename__ = "archiving_policies"

    id = sa.Column(sa.Integer, primary_key=True)
    course_months = sa.Column(sa.Integer)  # archive courses with no activity for this many months
    people_months = sa.Column(sa.Integer)  # deactivate people with no sign-in and no progress for this many
    updated_at = sa.Column(sa.DateTime, nullable=False, default=utcnow, onupdate=utcnow)
    updated_by_id = sa.Column(sa.Integer, sa.ForeignKey("users.id", ondelete="SET NULL"))


class RunTrigger:
    SCHEDULE, HAND = "schedule", "hand"


class ArchivingRun(TenantModel):
    __tablename__ = "archiving_runs"

    id = sa.Column(sa.Integer, primary_key=True)
    trigger = sa.Column(sa.String(10), nullable=False)  # schedule (the daily sweep) or hand (an admin's "run now")
    policy = sa.Column(sa.JSON, nullable=False, default=dict)  # the months applied
    # what it changed: [[course id, status before], ...] and [user id, ...]
    courses = sa.Column(sa.JSON, nullable=False, default=list)
    user_ids = sa.Column(sa.JSON, nullable=False, default=list)
    ran_at = sa.Column(sa.DateTime, nullable=False, default=utcnow, index=True)
    ran_by_id = sa.Column(sa.Integer, sa.ForeignKey("users.id", ondelete="SET NULL"))
    reversed_at = sa.Column(sa.DateTime)
    reversed_by_id = sa.Column(sa.Integer, sa.ForeignKey("users.id", ondelete="SET NULL"))
    # what the reversal restored (a course or person changed by hand since is left as it is)
    restored = sa.Column(sa.JSON)

    @property
    def course_count(self):
        return len(self.courses or [])

    @property
    def people_count(self):
        return len(self.user_ids or [])
