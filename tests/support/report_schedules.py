"""Report schedules for tests: the demo's, for the crawler's page ids."""

import sqlalchemy as sa

from app.extensions import db
from blueprints.reports.models import Report, ReportSchedule


def demo_report_ids():
    """The demo's finished report and its weekly schedule (inside the demo tenant)."""
    return {
        "report_id": db.session.scalar(sa.select(Report.id).order_by(Report.id)),
        "schedule_id": db.session.scalar(sa.select(ReportSchedule.id).order_by(ReportSchedule.id)),
    }
