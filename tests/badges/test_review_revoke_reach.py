"""Review of issue 13: an award stays revocable by its badge's managers after its holder left the course."""

from tests.support.badges import badge_course, create_badge


def test_a_holder_who_left_the_course_can_still_lose_the_badge(app, school):
    """A learner given a course's badge and then unenrolled (without completing) is off the roster; the
    award stays valid and public. Its managers must still see it in the badge's awards and revoke it (an org
    admin too), or nobody could ever take it back."""
    course_id, _items, _quiz = badge_course(app, school)
    teacher, admin, me = school["teacher"], school["admin"], school["students"][0]
    badge = create_badge(teacher, course_id=course_id, name="Early bird")
    assert teacher.post(f"/api/v1/badges/{badge['id']}/award", json={"user_id": me}).status_code == 201
    left = teacher.delete(f"/api/v1/courses/{course_id}/enrollments/{me}")
    assert left.status_code in (200, 204), left.get_json()

    listed = teacher.get(f"/api/v1/badges/{badge['id']}/awards").get_json()["data"]
    assert [a["user_id"] for a in listed] == [me]
    assert teacher.post(f"/api/v1/badges/{badge['id']}/award", json={"user_id": me}).status_code == 404  # off roster
    revoked = admin.post(f"/api/v1/badges/{badge['id']}/revoke", json={"user_id": me, "reason": "Left early"})
    assert revoked.status_code == 200, revoked.get_json()
    assert teacher.get(f"/api/v1/badges/{badge['id']}/awards?filter[revoked]=true").get_json()["meta"]["total"] == 1


def test_the_teacher_revokes_a_holder_who_left(app, school):
    course_id, _items, _quiz = badge_course(app, school)
    teacher, me = school["teacher"], school["students"][1]
    badge = create_badge(teacher, course_id=course_id, name="Helper")
    assert teacher.post(f"/api/v1/badges/{badge['id']}/award", json={"user_id": me}).status_code == 201
    assert teacher.delete(f"/api/v1/courses/{course_id}/enrollments/{me}").status_code in (200, 204)
    revoked = teacher.post(f"/api/v1/badges/{badge['id']}/revoke", json={"user_id": me, "reason": "Left early"})
    assert revoked.status_code == 200, revoked.get_json()
    other = school["learners"][2]
    assert other.post(f"/api/v1/badges/{badge['id']}/revoke", json={"user_id": me, "reason": "x"}).status_code == 403
