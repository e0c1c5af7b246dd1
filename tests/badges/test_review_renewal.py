"""Review of issue 13: an expired award can be renewed by its managers (it was "held already" for ever)."""

from datetime import timedelta

import sqlalchemy as sa

from app.extensions import db
from app.tenancy.context import tenant_context
from app.tenancy.models import utcnow
from blueprints.badges import awards
from blueprints.badges.models import BadgeAward
from tests.support.badges import badge_course, create_badge


def test_an_expired_award_is_renewed_by_hand_but_never_by_itself(app, school):
    tenant = school["tenant"]
    course_id, _items, _quiz = badge_course(app, school)
    teacher, me = school["teacher"], school["students"][0]
    badge = create_badge(teacher, course_id=course_id, name="First aid", valid_months=12)
    first = teacher.post(f"/api/v1/badges/{badge['id']}/award", json={"user_id": me}).get_json()["data"]
    held = teacher.post(f"/api/v1/badges/{badge['id']}/award", json={"user_id": me})
    assert (held.status_code, held.get_json()["error"]["code"]) == (409, "ALREADY_AWARDED")  # still valid

    with tenant_context(tenant, app):
        row = db.session.scalar(sa.select(BadgeAward).where(BadgeAward.id == first["id"]))
        row.awarded_at = utcnow() - timedelta(days=400)
        row.expires_at = utcnow() - timedelta(days=35)
        db.session.commit()
        assert awards.award(badge["id"], me) is None  # an automatic award does not renew by itself

    renewed = teacher.post(f"/api/v1/badges/{badge['id']}/award", json={"user_id": me, "reason": "Refresher done"})
    assert renewed.status_code == 201, renewed.get_json()
    data = renewed.get_json()["data"]
    assert data["public_id"] == first["public_id"]
    assert data["expires_at"] >= first["expires_at"] > utcnow().isoformat()  # a year from the renewal again
    assert data["reason"] == "Refresher done"
