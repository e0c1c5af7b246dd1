"""Review of issue 13: nobody gives a badge to themselves by hand."""

import sqlalchemy as sa

from app.extensions import db
from app.tenancy.context import tenant_context
from blueprints.users.models import User
from tests.conftest import make_user, user_token
from tests.support.badges import badge_course, create_badge


def test_nobody_gives_a_badge_to_themselves(app, school, api):
    """A teacher enrolled in their own course (to try it as a learner) is on its roster; an org admin reaches
    everyone. Neither may award a badge to themselves by hand: 403 `SELF_AWARD`; another manager may."""
    tenant = school["tenant"]
    course_id, _items, _quiz = badge_course(app, school)
    teacher = school["teacher"]
    with tenant_context(tenant, app):
        teacher_id = db.session.scalar(sa.select(User.id).where(User.email == "teacher@example.org"))
        admin_id = make_user(app, tenant, "org_admin", email="boss@example.org")
        admin = api(tenant, user_token(app, tenant, admin_id, "org_admin"))
    enrolled = teacher.post(f"/api/v1/courses/{course_id}/enrollments", json={"user_ids": [teacher_id]})
    assert enrolled.status_code in (200, 201), enrolled.get_json()
    badge = create_badge(teacher, course_id=course_id, name="Star")
    own = teacher.post(f"/api/v1/badges/{badge['id']}/award", json={"user_id": teacher_id})
    assert (own.status_code, own.get_json()["error"]["code"]) == (403, "SELF_AWARD")

    organization = create_badge(admin, name="Staff star")
    mine = admin.post(f"/api/v1/badges/{organization['id']}/award", json={"user_id": admin_id})
    assert (mine.status_code, mine.get_json()["error"]["code"]) == (403, "SELF_AWARD")
    assert admin.post(f"/api/v1/badges/{badge['id']}/award", json={"user_id": teacher_id}).status_code == 201
