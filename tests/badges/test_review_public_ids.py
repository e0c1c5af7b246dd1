"""Review of issue 13: an award's public id from the address bar is any text; odd ones are a 404 on both
databases (PostgreSQL refuses a NUL in a query parameter: that was a 500)."""

from tests.support.badges import badge_course, create_badge


def test_odd_public_ids_are_404_everywhere(app, school, api):
    course_id, _items, _quiz = badge_course(app, school)
    badge = create_badge(school["teacher"], course_id=course_id)
    given = school["teacher"].post(f"/api/v1/badges/{badge['id']}/award", json={"user_id": school["students"][0]})
    real = given.get_json()["data"]["public_id"]
    anonymous, learner = api(school["tenant"]), school["learners"][0]
    for odd in ("%00", real + "%00", "%C3%A9" * 20, real.upper() + "x", "-" * 32):
        for path in (
            f"/ob/v2/assertions/{odd}",
            f"/ob/v2/assertions/{odd}/baked.png",
            f"/ob/v2/assertions/{odd}/baked.svg",
            f"/badges/awards/{odd}",
        ):
            assert anonymous.get(path).status_code == 404, path
        assert learner.get(f"/api/v1/badge-awards/{odd}/credential").status_code == 404, odd
    assert anonymous.get(f"/ob/v2/assertions/{real}").status_code == 200
