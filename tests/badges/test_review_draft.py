"""Review of issue 13: an awarded badge keeps its public BadgeClass."""

from tests.support.badges import badge_course, create_badge


def _given(app, school):
    course_id, _items, _quiz = badge_course(app, school)
    teacher = school["teacher"]
    badge = create_badge(teacher, course_id=course_id, name="Public")
    given = teacher.post(f"/api/v1/badges/{badge['id']}/award", json={"user_id": school["students"][0]})
    assert given.status_code == 201, given.get_json()
    return badge, given.get_json()["data"]


def test_an_awarded_badge_cannot_go_back_to_draft(app, school, api):
    """A draft badge does not exist publicly (404): an awarded badge sent back to draft would break every
    holder's hosted assertion (its BadgeClass gone). Once given, a badge is active or archived."""
    badge, award = _given(app, school)
    teacher = school["teacher"]
    back = teacher.put(f"/api/v1/badges/{badge['id']}", json={"status": "draft"})
    assert back.status_code in (409, 422), back.get_json()
    anonymous = api(school["tenant"])
    assert anonymous.get(f"/ob/v2/badges/{badge['id']}").status_code == 200
    assert teacher.put(f"/api/v1/badges/{badge['id']}", json={"status": "archived"}).status_code == 200
    assert anonymous.get(award["urls"]["assertion"]).status_code == 200
