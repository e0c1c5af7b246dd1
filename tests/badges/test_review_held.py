"""Review of issue 13: attacks on badges that the code already stops (kept so that it stays so)."""

import io
import threading

import sqlalchemy as sa
from PIL import Image

from app.extensions import db
from app.tenancy.context import tenant_context
from blueprints.badges import awards
from blueprints.badges.models import BadgeCredentialStatus
from blueprints.credentials import ledger
from tests.conftest import user_token
from tests.support.badges import badge_course, create_badge
from tests.support.browser import Browser
from tests.support.courses import make_course


def test_the_least_trusted_roles_reach_nothing_of_others(app, school, api, make_tenant):
    tenant = school["tenant"]
    course_id, _items, _quiz = badge_course(app, school)
    teacher, admin = school["teacher"], school["admin"]
    learner, other_learner = school["learners"][0], school["learners"][1]
    me, other = school["students"][0], school["students"][1]
    badge = create_badge(teacher, course_id=course_id, name="Mine", criteria_strategy="course_completed")
    manual = create_badge(teacher, course_id=course_id, name="By hand")

    # A learner: no award, no revoke, no edit by any path; nobody else's progress or badges.
    for path, body in (
        (f"/api/v1/badges/{manual['id']}/award", {"user_id": me}),
        (f"/api/v1/badges/{manual['id']}/revoke", {"user_id": other, "reason": "x"}),
    ):
        assert learner.post(path, json=body).status_code == 403, path
    assert learner.put(f"/api/v1/badges/{badge['id']}", json={"criteria_strategy": "manual"}).status_code == 403
    assert learner.post("/api/v1/badges", json={"name": "Me", "criteria_strategy": "manual"}).status_code == 403
    assert learner.get(f"/api/v1/badges/{badge['id']}/progress?user_id={other}").status_code == 404
    assert learner.get(f"/api/v1/badges/{badge['id']}/progress").get_json()["data"]["user_id"] == me
    assert learner.get(f"/api/v1/users/{other}/badges").status_code == 404

    # Another teacher's course: its badge is not theirs to change, give, or list; nor its learners' progress.
    other_course, _ = make_course(admin, title="Chemistry")
    theirs = create_badge(admin, course_id=other_course, name="Chem")
    assert teacher.put(f"/api/v1/badges/{theirs['id']}", json={"name": "Mine now"}).status_code == 403
    assert teacher.post(f"/api/v1/badges/{theirs['id']}/award", json={"user_id": me}).status_code == 403
    assert teacher.get(f"/api/v1/badges/{theirs['id']}/awards").status_code == 403
    assert teacher.get(f"/api/v1/badges/{theirs['id']}/progress?user_id={me}").status_code == 404
    assert teacher.get(f"/api/v1/users/{me}/badges").status_code == 404  # no people list for teachers
    assert teacher.post("/api/v1/badges", json={"name": "Org", "criteria_strategy": "manual"}).status_code == 403

    # A learner outside the roster cannot be given the course's badge.
    outsider = school["students"][2]
    assert teacher.delete(f"/api/v1/courses/{course_id}/enrollments/{outsider}").status_code in (200, 204)
    assert teacher.post(f"/api/v1/badges/{manual['id']}/award", json={"user_id": outsider}).status_code == 404

    # Another organization's admin: their token is no key to this organization.
    elsewhere = make_tenant(slug="elsewhere")
    with app.app_context():
        foreign_token = user_token(app, elsewhere, 1, "org_admin")
    foreign = api(tenant, foreign_token)
    assert foreign.get(f"/api/v1/badges/{badge['id']}").status_code == 401
    assert foreign.post(f"/api/v1/badges/{manual['id']}/award", json={"user_id": me}).status_code == 401
    assert other_learner.get(f"/api/v1/badges/{badge['id']}").status_code == 200  # a learner of the course


def test_picture_uploads_that_are_no_pictures_or_too_big_are_refused(app, school):
    course_id, _items, _quiz = badge_course(app, school)
    teacher = school["teacher"]
    badge = create_badge(teacher, course_id=course_id)

    def upload(data, name):
        return teacher.put(f"/api/v1/badges/{badge['id']}/image", data={"file": (io.BytesIO(data), name)})

    bomb = io.BytesIO()
    Image.new("1", (20_000, 20_000)).save(bomb, "PNG")  # 400 million pixels in a few kilobytes
    assert len(bomb.getvalue()) < 2 * 1024 * 1024
    entity = (
        b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "aaaa">]><svg xmlns="http://www.w3.org/2000/svg">&a;</svg>'
    )
    for data, name in (
        (bomb.getvalue(), "bomb.png"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 3 * 1024 * 1024, "huge.png"),
        (entity, "entity.svg"),
        (b"<script>alert(1)</script>", "x.png"),
        (b"%PDF-1.4", "x.png"),
    ):
        refused = upload(data, name)
        assert refused.status_code == 422 and "image" in refused.get_json()["error"]["details"], name


def test_page_forms_refuse_a_post_without_the_csrf_token(app, school):
    tenant = school["tenant"]
    course_id, _items, _quiz = badge_course(app, school)
    badge = create_badge(school["teacher"], course_id=course_id)
    page = Browser(app, tenant)
    page.sign_in("teacher@example.org")
    for path, data in (
        (f"/badges/{badge['id']}/award", {"user_id": school["students"][0]}),
        (f"/badges/{badge['id']}/revoke", {"user_id": school["students"][0], "reason": "x"}),
        (f"/badges/{badge['id']}/image", {"remove": "1"}),
        (f"/badges/{badge['id']}/edit", {"name": "Hijacked"}),
    ):
        assert page.post(path, data).status_code == 400, path
    assert school["teacher"].get(f"/api/v1/badges/{badge['id']}/awards").get_json()["meta"]["total"] == 0


def test_concurrent_awards_of_several_badges_keep_the_log_and_the_revocation_bits_whole(app, school):
    """Awards of different badges do not share a badge lock: the log and the status bits serialize them."""
    tenant = school["tenant"]
    course_id, _items, _quiz = badge_course(app, school)
    ids = [create_badge(school["teacher"], course_id=course_id, name=f"B{n}")["id"] for n in range(3)]
    people = school["students"]
    barrier, errors = threading.Barrier(len(ids) * len(people)), []

    def give(badge_id, user_id):
        try:
            with tenant_context(tenant, app):
                barrier.wait(timeout=20)
                awards.award(badge_id, user_id)
        except Exception as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=give, args=(b, u)) for b in ids for u in people]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    with tenant_context(tenant, app):
        audit = ledger.audit()
        assert audit.ok and audit.checked == len(threads)
        indices = db.session.scalars(sa.select(BadgeCredentialStatus.id)).all()
        assert len(indices) == len(set(indices)) == len(threads)


def test_a_branch_manager_reaches_no_other_branch_through_an_organization_badge(district):
    admin, manager = district["admin"], district["manager"]
    people = district["people"]
    tenant_id = admin.get("/api/v1/organizations").get_json()["data"][0]["id"]
    branches = {r["code"]: r["id"] for r in admin.get(f"/api/v1/organizations/{tenant_id}/branches").get_json()["data"]}
    whole = create_badge(admin, name="Everyone")  # no branches: the whole organization's, org admins only
    both = create_badge(admin, name="Both", branch_ids=[branches["north"], branches["south"]])
    for badge in (whole, both):
        assert manager.put(f"/api/v1/badges/{badge['id']}", json={"name": "Mine"}).status_code == 403
        assert manager.post(f"/api/v1/badges/{badge['id']}/award", json={"user_id": people["north"]}).status_code == 403
        assert manager.get(f"/api/v1/badges/{badge['id']}/awards").status_code == 403
    assert create_badge(manager, expect=422, name="All")["error"]["details"]["branch_ids"]
    mine = create_badge(manager, name="North", branch_ids=[branches["north"]])
    widened = manager.put(f"/api/v1/badges/{mine['id']}", json={"branch_ids": [branches["north"], branches["south"]]})
    assert widened.status_code == 422 and "branch_ids" in widened.get_json()["error"]["details"]
    emptied = manager.put(f"/api/v1/badges/{mine['id']}", json={"branch_ids": []})
    assert emptied.status_code == 422
    assert manager.post(f"/api/v1/badges/{mine['id']}/award", json={"user_id": people["south"]}).status_code == 404
    assert manager.get(f"/api/v1/badges/{mine['id']}/progress?user_id={people['south']}").status_code == 404
