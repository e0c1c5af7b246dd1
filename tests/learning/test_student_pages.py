"""A student's pages: where signing in lands, the catalogue always at hand, the end of a course, leaving one."""

import pytest

from tests.conftest import make_user, user_token
from tests.support.browser import Browser
from tests.support.courses import make_course


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


def test_completing_the_last_item_ends_on_a_summary_with_what_next(classroom):
    teacher, browser = classroom["teacher"], classroom["browser"]
    course_id, item_ids = make_course(teacher, title="Algebra", items=2)
    other_id, _ = make_course(teacher, title="Geometry", items=1)
    teacher.put(f"/api/v1/courses/{other_id}", json={"self_enrollment": True})
    teacher.post(f"/api/v1/courses/{course_id}/enrollments", json={"user_ids": [classroom["student_id"]]})
    assert browser.get(f"/learn/{course_id}/finished").headers["Location"] == f"/learn/{course_id}"  # not yet

    first = browser.post(f"/learn/{course_id}/{item_ids[0]}/complete", csrf_from=f"/learn/{course_id}")
    assert first.headers["Location"] == f"/learn/{course_id}/{item_ids[0]}"
    classroom["student_api"].post(f"/api/v1/content/{item_ids[1]}/time", json={"seconds": 90})
    last = browser.post(f"/learn/{course_id}/{item_ids[1]}/complete", csrf_from=f"/learn/{course_id}")
    assert last.headers["Location"] == f"/learn/{course_id}/finished"

    page = browser.get(f"/learn/{course_id}/finished").get_data(as_text=True)
    assert "Congratulations, you completed Algebra!" in page
    assert "Lesson 1" in page and "Lesson 2" in page and "2 items" in page
    assert "time spent: 1 min" in page
    assert "Geometry" in page and f'action="/catalog/{other_id}/enroll"' in page  # what next: join another
    assert 'href="/learn"' in page and 'href="/catalog"' in page


def test_the_htmx_completion_of_the_last_item_links_to_the_summary(classroom):
    teacher, browser = classroom["teacher"], classroom["browser"]
    course_id, item_ids = make_course(teacher, title="Algebra", items=1)
    teacher.post(f"/api/v1/courses/{course_id}/enrollments", json={"user_ids": [classroom["student_id"]]})
    done = browser.post(
        f"/learn/{course_id}/{item_ids[0]}/complete", csrf_from=f"/learn/{course_id}", headers={"HX-Request": "true"}
    ).get_data(as_text=True)
    assert f'href="/learn/{course_id}/finished"' in done and "course completed" in done


def test_a_student_leaves_a_course_they_joined_after_confirming_and_may_join_again(classroom):
    teacher, browser = classroom["teacher"], classroom["browser"]
    course_id, item_ids = make_course(teacher, title="Open algebra", items=2)
    teacher.put(f"/api/v1/courses/{course_id}", json={"self_enrollment": True})
    browser.post(f"/catalog/{course_id}/enroll", csrf_from="/catalog")
    browser.post(f"/learn/{course_id}/{item_ids[0]}/complete", csrf_from=f"/learn/{course_id}")
    assert f'href="/learn/{course_id}/leave"' in browser.get(f"/learn/{course_id}").get_data(as_text=True)

    confirm = browser.get(f"/learn/{course_id}/leave").get_data(as_text=True)
    assert "Leave Open algebra?" in confirm and "Yes, leave this course" in confirm
    left = browser.post(f"/learn/{course_id}/leave", csrf_from=f"/learn/{course_id}/leave")
    assert left.status_code == 302 and left.headers["Location"] == "/learn"
    assert "You left Open algebra." in browser.get("/learn").get_data(as_text=True)
    assert "Open algebra" not in browser.get("/learn").get_data(as_text=True)
    assert browser.get(f"/learn/{course_id}").status_code == 404
    catalog = browser.get("/catalog").get_data(as_text=True)
    assert f'action="/catalog/{course_id}/enroll"' in catalog  # open to join again, not "Continue"

    browser.post(f"/catalog/{course_id}/enroll", csrf_from="/catalog")
    assert "1 of 2" in browser.get("/learn").get_data(as_text=True)  # the progress came back


def test_a_course_the_teacher_enrolled_one_in_cannot_be_left_and_the_page_says_so(classroom):
    teacher, browser = classroom["teacher"], classroom["browser"]
    course_id, _ = make_course(teacher, title="Required algebra", items=1)
    teacher.put(f"/api/v1/courses/{course_id}", json={"self_enrollment": True})
    teacher.post(f"/api/v1/courses/{course_id}/enrollments", json={"user_ids": [classroom["student_id"]]})
    browser.post(f"/catalog/{course_id}/enroll", csrf_from="/catalog")  # joining too does not make it theirs

    page = browser.get(f"/learn/{course_id}/leave").get_data(as_text=True)
    assert "Your teachers enrolled you" in page and "Yes, leave this course" not in page
    refused = browser.post(f"/learn/{course_id}/leave", csrf_from="/catalog")
    assert refused.status_code == 403 and "ask them" in refused.get_data(as_text=True)
    assert "Required algebra" in browser.get("/learn").get_data(as_text=True)


def test_leaving_through_the_api_only_a_course_one_joined(classroom):
    teacher, student = classroom["teacher"], classroom["student_api"]
    open_id, _ = make_course(teacher, title="Open", items=1)
    teacher.put(f"/api/v1/courses/{open_id}", json={"self_enrollment": True})
    assigned_id, _ = make_course(teacher, title="Assigned", items=1)
    teacher.post(f"/api/v1/courses/{assigned_id}/enrollments", json={"user_ids": [classroom["student_id"]]})

    joined = student.post(f"/api/v1/courses/{open_id}/enrollment")
    assert joined.status_code == 201 and joined.get_json()["data"]["self_enrolled"] is True
    assert student.post(f"/api/v1/courses/{assigned_id}/enrollment").status_code == 403  # not open to join

    refused = student.delete(f"/api/v1/courses/{assigned_id}/enrollment")
    assert refused.status_code == 403 and refused.get_json()["error"]["code"] == "ENROLLED_BY_STAFF"
    left = student.delete(f"/api/v1/courses/{open_id}/enrollment")
    assert left.status_code == 200 and left.get_json()["data"] == {"id": open_id, "outcome": "unenrolled"}
    assert student.delete(f"/api/v1/courses/{open_id}/enrollment").status_code == 404  # not enrolled any more
    mine = student.get(f"/api/v1/users/{classroom['student_id']}/enrollments").get_json()["data"]
    assert {(row["title"], row["status"], row["self_enrolled"]) for row in mine} == {
        ("Open", "unenrolled", True),
        ("Assigned", "active", False),
    }
    spec = student.get("/api/v1/openapi.json").get_json()
    assert {"post", "delete"} <= set(spec["paths"]["/api/v1/courses/{course_id}/enrollment"])
