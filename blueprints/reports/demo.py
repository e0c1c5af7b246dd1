"""The reports feature's part of the demo: the org admin's branch summary (PDF) and course completion (XLSX),
and the branch manager's course completion (CSV) of their branch's people; `make run`'s worker makes them."""

import sqlalchemy as sa

from app.extensions import db
from app.security.actor import Actor
from blueprints.reports.generation import request_report
from blueprints.reports.models import Report
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
