"""The reports feature's part of the demo: the org admin's weekly branch summary (PDF, mailed to her and the
branch manager every Monday at 06:00 UTC) and one report already made, so that Reports is not empty."""

import sqlalchemy as sa

from app.extensions import db
from app.security.actor import Actor
from blueprints.reports import generation, schedules
from blueprints.reports.models import Report, ReportSchedule
from blueprints.users.services import find_user_by_email, principal_for_user

WEEKLY = "Weekly branch summary"


def seed_reports(_password):
    """The demo's schedule and finished report (idempotent)."""
    if db.session.scalar(sa.select(ReportSchedule.id).where(ReportSchedule.name == WEEKLY)):
        return
    admin_user, manager = find_user_by_email("admin@demo.example"), find_user_by_email("manager@demo.example")
    if admin_user is None:
        return
    admin = Actor(principal_for_user(admin_user.id))
    recipients = [admin_user.id] + ([manager.id] if manager is not None else [])
    schedule = schedules.create_schedule(
        {
            "name": WEEKLY,
            "kind": "branch_summary",
            "format": "pdf",
            "cadence": "weekly",
            "weekday": 0,
            "hour": 6,
            "params": {"period_days": 7},
            "recipient_ids": recipients,
        },
        admin,
    )
    yield f"scheduled {WEEKLY} (PDF, {schedules.cadence_in_words(schedule)}, mailed to {len(recipients)} people)"
    if db.session.scalar(sa.select(Report.id).where(Report.requested_by_id == admin_user.id)) is None:
        report, _job = generation.request_report("branch_summary", "pdf", {}, actor=admin)
        generation.generate_report(report.id)  # made now, so that the page shows a finished one at once
        yield f"made report {report.id} (branch summary, PDF) for {admin_user.email}"
