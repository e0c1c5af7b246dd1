"""Review of issue 13: search text from the address bar with a NUL in it (PostgreSQL refuses it in a
parameter) is answered, never a 500."""

from tests.support.badges import badge_course, create_badge
from tests.support.browser import Browser


def test_a_nul_in_search_text_is_no_server_error(app, school):
    course_id, _items, _quiz = badge_course(app, school)
    teacher = school["teacher"]
    badge = create_badge(teacher, course_id=course_id)
    for path in (
        f"/api/v1/badges/{badge['id']}/awards?filter[q]=a%00b",
        "/api/v1/badges?filter[name]=a%00b",
    ):
        assert teacher.get(path).status_code < 500, path
    page = Browser(app, school["tenant"])
    page.sign_in("teacher@example.org")
    for path in (f"/badges/{badge['id']}?q=a%00b", f"/badges/{badge['id']}/learners?q=a%00b"):
        assert page.get(path).status_code < 500, path
