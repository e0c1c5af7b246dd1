"""Reports asked for (by a person, an API key or a schedule) and the schedules that ask for them."""

import sqlalchemy as sa

from app.tenancy.base import TenantModel
from app.tenancy.models import utcnow


class ReportStatus:
    QUEUED, RUNNING, DONE, FAILED, EXPIRED = "queued", "running", "done", "failed", "expired"
    WITHDRAWN = "withdrawn"  # its file deleted before it expired, because a person it may name was erased


class Report(TenantModel):
    __tablename__ = "reports"
    __table_args__ = (sa.Index("ix_reports_requester_created", "requested_by_id", "created_at"),)

    id = sa.Column(sa.Integer, primary_key=True)
    kind = sa.Column(sa.String(30), nullable=False)  # course_completion, learner_transcript, ... (reports.kinds)
    format = sa.Column(sa.String(5), nullable=False)  # csv, xlsx, pdf
    params = sa.Column(sa.JSON, nullable=False, default=dict)  # date_from, date_to, branch_id, class_id, ...
    status = sa.Column(sa.String(10), nullable=False, default=ReportStatus.QUEUED, index=True)
    rows_done = sa.Column(sa.Integer, nullable=False, default=0)
    rows_total = sa.Column(sa.Integer)  # none: not counted yet
    file_key = sa.Column(sa.String(300))
    file_name = sa.Column(sa.String(200))
    file_size = sa.Column(sa.Integer)
    error = sa.Column(sa.String(500))
    withdrawn_reason = sa.Column(sa.String(300))  # why the file was withdrawn (status withdrawn)
    requested_by_id = sa.Column(sa.Integer, sa.ForeignKey("users.id", ondelete="SET NULL"))
    requested_by_api_key_id = sa.Column(sa.Integer, sa.ForeignKey("api_keys.id", ondelete="SET NULL"))
    schedule_id = sa.Column(sa.Integer, sa.ForeignKey("report_schedules.id", ondelete="SET NULL"), index=True)
    recipient_ids = sa.Column(sa.JSON, nullable=False, default=list)  # people mailed the link (a schedule's)
    created_at = sa.Column(sa.DateTime, nullable=False, default=utcnow)
    started_at = sa.Column(sa.DateTime)
    finished_at = sa.Column(sa.DateTime)
    expires_at = sa.Column(sa.DateTime, index=True)  # the file is deleted then


class ReportSchedule(TenantModel):
    __tablename__ = "report_schedules"

    id = sa.Column(sa.Integer, primary_key=True)
    name = sa.Column(sa.String(200), nullable=False)
    kind = sa.Column(sa.String(30), nullable=False)
    format = sa.Column(sa.String(5), nullable=False)
    params = sa.Column(sa.JSON, nullable=False, default=dict)
    cadence = sa.Column(sa.String(10), nullable=False)  # daily, weekly, monthly
    weekday = sa.Column(sa.Integer)  # weekly: 0 Monday ... 6 Sunday
    month_day = sa.Column(sa.Integer)  # monthly: 1 ... 28
    hour = sa.Column(sa.Integer, nullable=False, default=6)  # UTC hour of the run
    recipient_ids = sa.Column(sa.JSON, nullable=False, default=list)  # people in the owner's scope
    owner_id = sa.Column(sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)
    active = sa.Column(sa.Boolean, nullable=False, default=True)
    next_run_at = sa.Column(sa.DateTime, index=True)
    last_run_at = sa.Column(sa.DateTime)
    last_report_id = sa.Column(sa.Integer)  # no FK: reports and schedules would point at each other
    created_at = sa.Column(sa.DateTime, nullable=False, default=utcnow)
    updated_at = sa.Column(sa.DateTime, nullable=False, default=utcnow, onupdate=utcnow)
