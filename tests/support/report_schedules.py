"""Report schedules for tests: the demo's (the crawler's page ids), and rows for the escalation matrix's world."""

from datetime import timedelta

import sqlalchemy as sa

from app.extensions import db
from app.tenancy.models import utcnow
from blueprints.reports.models import Report, ReportSchedule


def demo_report_ids():
    """The demo's finished report and its weekly schedule (inside the demo tenant)."""
    return {
        "report_id": db.session.scalar(sa.select(Report.id).order_by(Report.id)),
        "schedule_id": db.session.scalar(sa.select(ReportSchedule.id).order_by(ReportSchedule.id)),
    }


def schedule_row(owner_id, name, recipient_ids=()):
    """A weekly schedule of `owner_id` (inside the tenant), made straight from the model: no run job queued."""
    schedule = ReportSchedule(
        name=name,
        kind="course_completion",
        format="csv",
        params={},
        cadence="weekly",
        weekday=0,
        hour=6,
        recipient_ids=list(recipient_ids),
        owner_id=owner_id,
        active=True,
        next_run_at=utcnow().replace(minute=0, second=0, microsecond=0) + timedelta(days=7),
    )
    db.session.add(schedule)
    db.session.commit()
    return schedule.id
