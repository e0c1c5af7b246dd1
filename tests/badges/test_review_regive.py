"""Review of issue 13: an automatic award racing a revocation does not undo it."""

import sqlalchemy as sa

from app.extensions import db
from app.tenancy.context import tenant_context
from blueprints.badges import awards
from blueprints.badges.models import BadgeAward
from tests.support.badges import badge_course, create_badge


def test_an_automatic_award_does_not_bring_back_a_revoked_one(app, school):
    """A course completion read the learner's awards before a manager gave and then revoked the badge by
    hand; its award comes after: it must not silently re-give what was just taken back (only a manager
    gives a revoked badge again)."""
    tenant = school["tenant"]
    course_id, _items, _quiz = badge_course(app, school)
    teacher, me = school["teacher"], school["students"][0]
    badge = create_badge(teacher, course_id=course_id, name="Taken back")
    assert teacher.post(f"/api/v1/badges/{badge['id']}/award", json={"user_id": me}).status_code == 201
    revoked = teacher.post(f"/api/v1/badges/{badge['id']}/revoke", json={"user_id": me, "reason": "Copied"})
    assert revoked.status_code == 200

    with tenant_context(tenant, app):
        assert awards.award(badge["id"], me, evidence={"event": "course.completed"}) is None
        row = db.session.scalar(sa.select(BadgeAward).where(BadgeAward.badge_id == badge["id"]))
        assert row.revoked_at is not None and row.revocation_reason == "Copied"

    regiven = teacher.post(f"/api/v1/badges/{badge['id']}/award", json={"user_id": me, "reason": "Appeal won"})
    assert regiven.status_code == 201 and regiven.get_json()["data"]["revoked"] is False
