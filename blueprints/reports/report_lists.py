"""What the reports pages list: a person's reports (an org admin's: everyone's), with who asked for them."""

import sqlalchemy as sa

from app.extensions import db
from app.security.permissions import ORG_ADMIN
from blueprints.reports.models import Report
from blueprints.users.queries import names_of

PAGE_SIZE = 50


def may_see_everyones(actor):
    return actor.kind == "user" and ORG_ADMIN in actor.roles


def reports_for(actor, everyone=False, limit=PAGE_SIZE):
    """The newest reports the actor asked for or was mailed (everyone's for an org admin who asks), and
    {user id: name} of their requesters."""
    stmt = sa.select(Report).order_by(Report.created_at.desc(), Report.id.desc()).limit(limit)
    if not (everyone and may_see_everyones(actor)):
        stmt = stmt.where(
            sa.or_(Report.requested_by_id == actor.id, sa.and_(Report.schedule_id.is_not(None), _mailed_to(actor.id)))
        )
    reports = db.session.scalars(stmt).all()
    if not (everyone and may_see_everyones(actor)):  # the text match above only narrows: keep the exact rule
        reports = [r for r in reports if r.requested_by_id == actor.id or actor.id in (r.recipient_ids or [])]
    return reports, names_of({r.requested_by_id for r in reports if r.requested_by_id})


def _mailed_to(user_id):
    """`recipient_ids` (a JSON array of ids, "[3, 12]") holds `user_id` as a whole element: a bare `%12%` would also
    match 112 and 120, and enough of those reports would push the person's own ones past the list's LIMIT."""
    text = sa.func.replace(sa.func.coalesce(sa.cast(Report.recipient_ids, sa.String), ""), " ", "")
    return sa.or_(
        *(text.like(pattern) for pattern in (f"[{user_id}]", f"[{user_id},%", f"%,{user_id},%", f"%,{user_id}]"))
    )
