"""Review of issue 13: the public Open Badges routes, as an anonymous visitor and on the wrong host."""

from tests.support.badges import badge_course, create_badge


def _given(app, school):
    course_id, _items, _quiz = badge_course(app, school)
    teacher = school["teacher"]
    badge = create_badge(teacher, course_id=course_id, name="Public")
    given = teacher.post(f"/api/v1/badges/{badge['id']}/award", json={"user_id": school["students"][0]})
    assert given.status_code == 201, given.get_json()
    return badge, given.get_json()["data"]


def test_nothing_of_badges_is_served_on_the_platform_domain(app, school, api):
    badge, award = _given(app, school)
    platform = api(None)
    for path in (
        "/ob/v2/issuer",
        f"/ob/v2/badges/{badge['id']}",
        f"/ob/v2/badges/{badge['id']}/image.svg",
        f"/ob/v2/badges/{badge['id']}/image.png",
        award["urls"]["assertion"],
        award["urls"]["baked_png"],
        award["urls"]["baked_svg"],
        award["urls"]["page"],
    ):
        assert platform.get(path).status_code == 404, path


def test_public_routes_are_rate_limited_and_never_name_the_holder(app, school, api):
    badge, award = _given(app, school)
    anonymous = api(school["tenant"])
    for path in (f"/ob/v2/badges/{badge['id']}", award["urls"]["assertion"], award["urls"]["baked_png"]):
        response = anonymous.get(path)
        assert response.status_code == 200 and "X-RateLimit-Limit" in response.headers, path
    page = anonymous.get(award["urls"]["page"])
    assert page.status_code == 200
    assert "s0@example.org" not in page.get_data(as_text=True)
    for unknown in ("/ob/v2/assertions/" + "f" * 32, "/ob/v2/assertions/%00", "/badges/awards/" + "x" * 500):
        assert anonymous.get(unknown).status_code == 404, unknown
