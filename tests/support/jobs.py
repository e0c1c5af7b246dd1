"""Job functions the tests enqueue; the worker imports them by dotted name like any job."""

import sqlalchemy as sa

from app.extensions import db
from app.tenancy.context import require_tenant
from blueprints.users.models import User


def emails_seen_by_job():
    return {"tenant": require_tenant().slug, "emails": sorted(db.session.scalars(sa.select(User.email)))}


def look_up_user(user_id):
    user = db.session.get(User, user_id)
    return user.email if user else None
