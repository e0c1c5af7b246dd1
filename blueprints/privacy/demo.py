"""The privacy feature's part of the demo: a data export of a learner asked for by the org admin (the worker makes
it), and an archiving policy saved but off for people (courses: 24 months), so the Settings page shows a dry run."""

import sqlalchemy as sa

from app.extensions import db
from app.security.actor import Actor
from blueprints.privacy import archiving
from blueprints.privacy.exports import request_export
from blueprints.privacy.models import ArchivingPolicy, DataExport
from blueprints.users.models import User
from blueprints.users.services import find_user_by_email, principal_for_user


def seed_privacy(_password):
    """Idempotent: the export and the policy are made once."""
    admin = find_user_by_email("admin@demo.example")
    if admin is None:
        return
    actor = Actor(principal_for_user(admin.id))
    if db.session.scalar(sa.select(ArchivingPolicy.id).limit(1)) is None:
        archiving.save_policy({"course_months": 24, "people_months": None}, actor)
        yield "saved an archiving policy: courses with no activity for 24 months (people: off)"
    if db.session.scalar(sa.select(DataExport.id).limit(1)) is None:
        learner = db.session.scalar(sa.select(User).where(User.role == "student").order_by(User.id).limit(1))
        if learner is not None:
            request_export(learner.id, actor)
            yield f"asked for a data export of {learner.email} as {admin.email}"
