"""A student's pages: where signing in lands, the catalogue always at hand, the end of a course, leaving one."""

import pytest

from tests.conftest import make_user, user_token
from tests.test_auth_pages import Browser
from tests.test_courses import make_course


@pytest.fixture
def classroom(app, api, tenant):
    """A teacher (API client) and a student (signed-in browser, and an API client of their own)."""
    teacher_id = make_user(app, tenant, "teacher", email="teacher@example.org")
    student_id = make_user(app, tenant, "student", email="sam@example.org", first_name="Sam")
    with app.app_context():
        teacher = api(tenant, user_token(app, tenant, teacher_id, "teacher"))
        student_api = api(tenant, user_token(app, tenant, student_id, "student"))
    browser = Browser(app, tenant)
    browser.sign_in("sam@example.org")
    return {"teacher": teacher, "student_id": student_id, "student_api": student_api, "browser": browser}


def nav_of(html):
    return html.split('<header class="site-header">', 1)[1].split("</header>", 1)[0]


@pytest.mark.parametrize(
    ("role", "landing"),
    [("student", "/learn"), ("teacher", "/teach"), ("branch_manager", "/people"), ("org_admin", "/people")],
)
def test_signing_in_lands_on_the_working_page_of_ones_role(app, tenant, role, landing):
    email = f"{role}@example.org"
    make_user(app, tenant, role, email=email)
    response = Browser(app, tenant).sign_in(email)
    assert response.status_code == 302 and response.headers["Location"] == landing


def test_signing_in_follows_a_safe_next_and_ignores_another_sites(app, tenant):
    make_user(app, tenant, "student", email="sam@example.org")
    followed = Browser(app, tenant).sign_in("sam@example.org", next_path="/catalog")
    assert followed.headers["Location"] == "/catalog"
    for elsewhere in ("https://evil.example/", "//evil.example/x"):
        refused = Browser(app, tenant).sign_in("sam@example.org", next_path=elsewhere)
        assert refused.headers["Location"] == "/learn"


def test_the_catalogue_stays_in_the_navigation_with_a_course_in_progress(classroom):
    teacher, browser = classroom["teacher"], classroom["browser"]
    course_id, item_ids = make_course(teacher, title="Algebra", items=2)
    teacher.post(f"/api/v1/courses/{course_id}/enrollments", json={"user_ids": [classroom["student_id"]]})
    browser.post(f"/learn/{course_id}/{item_ids[0]}/complete", csrf_from=f"/learn/{course_id}")
    for path in ("/learn", f"/learn/{course_id}", "/profile"):
        page = browser.get(path).get_data(as_text=True)
        assert '<a href="/catalog">Catalogue</a>' in nav_of(page), path
    assert "Algebra" in browser.get("/learn").get_data(as_text=True)
