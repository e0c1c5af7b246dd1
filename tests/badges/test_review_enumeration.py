"""Review of issue 13: an anonymous visitor counting badge ids learns nothing of badges nobody was given.

A BadgeClass must be public for its holders' assertions to verify; before any award it only told the
internet the organization's badge names and, in its criteria, the titles of courses and assessments that
are not public (a branch's course, a course for staff)."""

from tests.support.badges import badge_course, create_badge


def test_a_badge_class_is_public_once_given(app, school, api):
    course_id, _items, _quiz = badge_course(app, school)
    teacher = school["teacher"]
    badge = create_badge(teacher, course_id=course_id, name="Unissued", criteria_strategy="course_completed")
    anonymous = api(school["tenant"])
    assert anonymous.get(f"/ob/v2/badges/{badge['id']}").status_code == 404
    given = teacher.post(f"/api/v1/badges/{badge['id']}/award", json={"user_id": school["students"][0]})
    assert given.status_code == 201
    served = anonymous.get(f"/ob/v2/badges/{badge['id']}")
    assert served.status_code == 200 and served.get_json()["name"] == "Unissued"
    teacher.post(f"/api/v1/badges/{badge['id']}/revoke", json={"user_id": school["students"][0], "reason": "x"})
    assert anonymous.get(f"/ob/v2/badges/{badge['id']}").status_code == 200  # the revoked assertion names it
