"""The reports feature's part of the demo: the org admin's branch summary (PDF) and course completion (XLSX),
and the branch manager's course completion (CSV) of their branch's people; `make run`'s worker makes them.
And the org admin's weekly schedule of the branch summary (`seed_report_schedules`)."""

import sqlalchemy as sa

from app.extensions import db
from app.security.actor import Actor
from blueprints.reports import schedules
from blueprints.reports.generation import request_report
from blueprints.reports.models import Report, ReportSchedule
from blueprints.users.services import find_user_by_email, principal_for_user

DEMO_REPORTS = (
    ("admin@demo.example", "branch_summary", "pdf"),
    ("admin@demo.example", "course_completion", "xlsx"),
    ("manager@demo.example", "course_completion", "csv"),
)


def seed_reports(_password):
    """The demo's reports (idempotent: asked for once)."""
    if db.session.scalar(sa.select(Report.id).limit(1)) is not None:
        return
    for email, kind, format in DEMO_REPORTS:
        person = find_user_by_email(email)
        if person is None:
            continue
        request_report(kind, format, {}, actor=Actor(principal_for_user(person.id)))
        yield f"asked for the {kind.replace('_', ' ')} report ({format}) as {email}"


WEEKLY = "Weekly branch summary"


def seed_report_schedules(_password):
    """The org admin's weekly branch summary (PDF), mailed every Monday at 06:00 UTC to her and the branch manager
    (idempotent)."""
    if db.session.scalar(sa.select(ReportSchedule.id).where(ReportSchedule.name == WEEKLY)):
        return
    admin, manager = find_user_by_email("admin@demo.example"), find_user_by_email("manager@demo.example")
    if admin is None:
        return
    recipients = [admin.id] + ([manager.id] if manager is not None else [])
    fields = {"name": WEEKLY, "kind": "branch_summary", "format": "pdf", "cadence": "weekly", "weekday": 0, "hour": 6}
    schedule = schedules.create_schedule(
        fields | {"params": {"period_days": 7}, "recipient_ids": recipients}, Actor(principal_for_user(admin.id))
    )
    yield f"scheduled {WEEKLY} (PDF, {schedules.cadence_in_words(schedule)}, mailed to {len(recipients)} people)"
