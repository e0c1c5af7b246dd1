"""What other features may read of reports."""

from dataclasses import dataclass
from datetime import datetime

from app.extensions import db
from blueprints.reports.kinds import KINDS
from blueprints.reports.models import Report, ReportSchedule, ReportStatus
from blueprints.reports.schedules import RECIPIENT_ROLES
from blueprints.users import queries as people


@dataclass(frozen=True)
class ReadyReport:
    id: int
    name: str  # the schedule's name, or the kind's title for a report asked for by hand
    expires_at: datetime | None
    requested_by_id: int | None
    scheduled: bool
    recipient_ids: tuple  # a schedule's recipients still active staff (checked at the run, and again now)


def ready_report(report_id):
    """A finished report: its name, when it expires, who asked and whom a schedule sends it to; None otherwise."""
    report = db.session.get(Report, report_id)
    if report is None or report.status != ReportStatus.DONE:
        return None
    schedule = db.session.get(ReportSchedule, report.schedule_id) if report.schedule_id else None
    kind = KINDS.get(report.kind)
    name = schedule.name if schedule else (kind.title if kind else report.kind)
    return ReadyReport(
        id=report.id,
        name=name,
        expires_at=report.expires_at,
        requested_by_id=report.requested_by_id,
        scheduled=report.schedule_id is not None,
        recipient_ids=tuple(_still_recipients(report.recipient_ids)),
    )


def _still_recipients(user_ids):
    if not user_ids:
        return []
    return sorted(
        person.id for person in people.active_people_with_roles(RECIPIENT_ROLES, None, user_ids=list(user_ids))
    )
