"""Badge definitions through the API: who creates, sees, changes and deletes which badge; criteria checked
per strategy with field-level 422s; pictures uploaded (PNG re-encoded, SVG cleaned) or drawn."""

import io

from PIL import Image

from tests.support.badges import badge_course, create_badge
from tests.support.courses import make_course


def test_a_teacher_makes_a_badge_of_their_course_and_learners_see_it_once_active(app, school):
    course_id, _items, quiz_id = badge_course(app, school)
    teacher, learner = school["teacher"], school["learners"][0]
    badge = create_badge(
        teacher, name="Algebra done", course_id=course_id, criteria_strategy="course_completed", status="draft"
    )
    assert badge["criteria"] == {"course_id": course_id}  # a course's badge: that course by default
    assert badge["initials"] == "AD" and badge["image_url"].startswith(f"/ob/v2/badges/{badge['id']}/image.svg")
    assert learner.get(f"/api/v1/badges/{badge['id']}").status_code == 404  # a draft: not for learners
    assert [b["id"] for b in learner.get("/api/v1/badges").get_json()["data"]] == []

    changed = teacher.put(f"/api/v1/badges/{badge['id']}", json={"status": "active", "valid_months": 12})
    assert changed.status_code == 200 and changed.get_json()["data"]["valid_months"] == 12
    assert learner.get(f"/api/v1/badges/{badge['id']}").status_code == 200
    listed = learner.get("/api/v1/badges?filter[course_id]=" + str(course_id)).get_json()
    assert [b["id"] for b in listed["data"]] == [badge["id"]] and listed["meta"]["total"] == 1

    refused = learner.put(f"/api/v1/badges/{badge['id']}", json={"name": "Mine"})
    assert refused.status_code == 403  # courses.manage: a learner has it not
    score = create_badge(
        teacher,
        name="Ace",
        course_id=course_id,
        criteria_strategy="assessment_score",
        criteria={"quiz_id": quiz_id, "min_percent": 90},
    )
    assert score["criteria"] == {"quiz_id": quiz_id, "min_percent": 90.0}


def test_criteria_are_checked_per_strategy_with_a_message_per_field(app, school):
    course_id, _items, quiz_id = badge_course(app, school)
    teacher, admin = school["teacher"], school["admin"]
    other_course, _ = make_course(admin, title="Not yours", publish=False)
    cases = [
        ({"criteria_strategy": "courses", "criteria": {"course_ids": [], "mode": "all"}}, "criteria.course_ids"),
        (
            {"criteria_strategy": "courses", "criteria": {"course_ids": [course_id], "mode": "n_of", "n": 3}},
            "criteria.n",
        ),
        ({"criteria_strategy": "courses", "criteria": {"course_ids": [course_id], "mode": "most"}}, "criteria.mode"),
        ({"criteria_strategy": "courses", "criteria": {"course_ids": [other_course]}}, "criteria.course_ids"),
        ({"criteria_strategy": "courses", "criteria": {"course_ids": [2**31 - 1]}}, "criteria.course_ids"),
        ({"criteria_strategy": "assessment_passed", "criteria": {"quiz_id": 999999}}, "criteria.quiz_id"),
        (
            {"criteria_strategy": "assessment_score", "criteria": {"quiz_id": quiz_id, "min_percent": 0}},
            "criteria.min_percent",
        ),
        (
            {"criteria_strategy": "assessment_score", "criteria": {"quiz_id": quiz_id, "min_percent": 101}},
            "criteria.min_percent",
        ),
        ({"criteria_strategy": "manual", "criteria": {"why": 1}}, "criteria.why"),
        ({"criteria_strategy": "course_completed", "criteria": {"course_id": "x"}}, "criteria.course_id"),
        ({"criteria_strategy": "astrology"}, "criteria_strategy"),
        ({"criteria_strategy": "manual", "colour": "red"}, "colour"),
        ({"criteria_strategy": "manual", "name": " "}, "name"),
    ]
    for fields, field in cases:
        refused = teacher.post("/api/v1/badges", json={"name": "B", "course_id": course_id, **fields})
        assert refused.status_code == 422, (fields, refused.get_json())
        assert field in refused.get_json()["error"]["details"], (fields, refused.get_json())
    ok = create_badge(
        teacher,
        course_id=course_id,
        criteria_strategy="courses",
        criteria={"course_ids": [course_id, course_id], "mode": "n_of", "n": 1},
    )
    assert ok["criteria"] == {"course_ids": [course_id], "mode": "n_of", "n": 1}


def test_organization_badges_are_org_admins_and_branch_managers_for_their_branches(app, district):
    admin, manager, teacher = district["admin"], district["manager"], district["teacher"]
    whole = create_badge(admin, name="Welcome")
    assert whole["course_id"] is None and whole["branch_ids"] == []
    refused = create_badge(teacher, expect=403, name="Mine")  # no course named, no branches of theirs
    assert refused["error"]["code"] == "NOT_BADGE_MANAGER"
    assert create_badge(manager, expect=422, name="All")["error"]["details"]["branch_ids"]
    north = _branch_id(admin, "north")
    south = _branch_id(admin, "south")
    local = create_badge(manager, name="North star", branch_ids=[north])
    assert local["branch_ids"] == [north]
    assert "branch_ids" in create_badge(manager, expect=422, name="South", branch_ids=[south])["error"]["details"]
    assert manager.put(f"/api/v1/badges/{whole['id']}", json={"name": "Mine"}).status_code == 403
    assert manager.put(f"/api/v1/badges/{local['id']}", json={"name": "North stars"}).status_code == 200


def _branch_id(admin, code):
    tenant_id = admin.tenant.id
    rows = admin.get(f"/api/v1/organizations/{tenant_id}/branches").get_json()["data"]
    return next(row["id"] for row in rows if row["code"] == code)


def test_a_badge_nobody_holds_is_deleted_one_held_is_archived(app, school):
    course_id, _items, _quiz = badge_course(app, school)
    teacher = school["teacher"]
    spare = create_badge(teacher, course_id=course_id, name="Spare")
    gone = teacher.delete(f"/api/v1/badges/{spare['id']}")
    assert gone.get_json()["data"] == {"id": spare["id"], "outcome": "deleted"}
    assert teacher.get(f"/api/v1/badges/{spare['id']}").status_code == 404

    held = create_badge(teacher, course_id=course_id, name="Held")
    given = teacher.post(
        f"/api/v1/badges/{held['id']}/award", json={"user_id": school["students"][0], "reason": "Helped"}
    )
    assert given.status_code == 201, given.get_json()
    kept = teacher.delete(f"/api/v1/badges/{held['id']}")
    assert kept.get_json()["data"]["outcome"] == "archived"
    assert teacher.get(f"/api/v1/badges/{held['id']}").get_json()["data"]["status"] == "archived"
    again = teacher.post(f"/api/v1/badges/{held['id']}/award", json={"user_id": school["students"][1]})
    assert (again.status_code, again.get_json()["error"]["code"]) == (409, "BADGE_NOT_ACTIVE")


def _png(size=(300, 200), colour="purple"):
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "PNG")
    return out.getvalue()


EVIL_SVG = b"""<?xml version="1.0"?>
<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="64" height="64"
     onload="alert(1)">
  <script>alert(2)</script>
  <foreignObject><div xmlns="http://www.w3.org/1999/xhtml">hi</div></foreignObject>
  <circle cx="32" cy="32" r="30" fill="teal" onclick="alert(3)" style="fill:url(http://evil.example/x)"/>
  <a href="javascript:alert(4)"><rect width="10" height="10"/></a>
  <use xlink:href="http://evil.example/sprite.svg#x"/>
  <text x="5" y="40" fill="white">OK</text>
</svg>"""


def test_pictures_upload_as_cleaned_svg_or_reencoded_png_and_are_served_safely(app, school, client):
    course_id, _items, _quiz = badge_course(app, school)
    teacher = school["teacher"]
    badge = create_badge(teacher, course_id=course_id, name="Picture")

    def upload(data, name):
        return teacher.put(f"/api/v1/badges/{badge['id']}/image", data={"file": (io.BytesIO(data), name)})

    uploaded = upload(EVIL_SVG, "evil.svg")
    assert uploaded.status_code == 200, uploaded.get_json()
    served = teacher.get(uploaded.get_json()["data"]["image_url"])
    assert served.status_code == 200 and served.mimetype == "image/svg+xml"
    body = served.get_data()
    for bad in (b"script", b"onload", b"onclick", b"foreignObject", b"javascript", b"evil.example"):
        assert bad not in body, bad
    assert b"<circle" in body and b">OK<" in body
    assert "sandbox" in served.headers["Content-Security-Policy"]

    png = upload(_png(), "pic.png")
    assert png.status_code == 200 and png.get_json()["data"]["image_url"].split("?")[0].endswith("image.png")
    picture = Image.open(io.BytesIO(teacher.get(png.get_json()["data"]["image_url"]).get_data()))
    assert picture.format == "PNG" and picture.size == (300, 200)

    for data, name in ((b"GIF89a....", "x.gif"), (b"<html><body>no</body></html>", "x.svg"), (b"", "x.png")):
        refused = upload(data, name)
        assert refused.status_code == 422 and "image" in refused.get_json()["error"]["details"], name
    back = teacher.delete(f"/api/v1/badges/{badge['id']}/image")
    assert back.get_json()["data"]["uploaded_image"] is False
