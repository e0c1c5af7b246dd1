"""One rule per need, whichever way a course is reached: a lesson's files follow the lesson."""

import io

from tests.conftest import make_user, user_token
from tests.support.courses import make_course

PDF = b"%PDF-1.4\n" + b"x" * 2000


def test_a_file_is_read_by_the_lessons_rule_prerequisites_included(app, api, tenant, login_as):
    teacher = api(tenant, login_as(tenant, "teacher"))
    learner_id = make_user(app, tenant, "student", email="files@example.org")
    with app.app_context():
        learner = api(tenant, user_token(app, tenant, learner_id, "student"))
    basics_id, (basics_item,) = make_course(teacher, title="Basics", items=1)
    advanced_id, _ = make_course(teacher, title="Advanced", items=0)
    handout = teacher.post(
        f"/api/v1/courses/{advanced_id}/content", json={"kind": "file", "title": "Handout", "module_title": "M"}
    ).get_json()["data"]["id"]
    file_url = teacher.post(
        f"/api/v1/content/{handout}/media",
        content_type="multipart/form-data",
        data={"file": (io.BytesIO(PDF), "h.pdf")},
    ).get_json()["data"]["url"]
    teacher.put(f"/api/v1/courses/{advanced_id}", json={"status": "published", "prerequisite_ids": [basics_id]})

    assert learner.get(f"/api/v1/courses/{advanced_id}").status_code == 200  # the course is in the catalogue
    for path in (f"/api/v1/content/{handout}", f"/api/v1/content/{handout}/media", file_url):
        assert learner.get(path).status_code == 404, path  # not enrolled: no lesson, no file
    for course_id in (basics_id, advanced_id):
        teacher.post(f"/api/v1/courses/{course_id}/enrollments", json={"user_ids": [learner_id]})
    for path in (f"/api/v1/content/{handout}", f"/api/v1/content/{handout}/media", file_url):
        refused = learner.get(path)
        assert refused.status_code == 403, path
        assert refused.get_json()["error"]["code"] == "PREREQUISITES_NOT_MET"
    learner.post(f"/api/v1/content/{basics_item}/complete")
    opened = learner.get(file_url)
    assert opened.status_code == 200 and opened.data == PDF
    assert teacher.get(file_url).status_code == 200  # its teacher, never enrolled


def test_a_file_is_removed_by_its_courses_managers_only(app, api, tenant, login_as):
    teacher = api(tenant, login_as(tenant, "teacher"))
    other_teacher = api(tenant, login_as(tenant, "teacher"))
    course_id, _ = make_course(teacher, title="Chemistry", items=0)
    item_id = teacher.post(
        f"/api/v1/courses/{course_id}/content", json={"kind": "file", "title": "Sheet", "module_title": "M"}
    ).get_json()["data"]["id"]
    media_id = teacher.post(
        f"/api/v1/content/{item_id}/media",
        content_type="multipart/form-data",
        data={"file": (io.BytesIO(PDF), "s.pdf")},
    ).get_json()["data"]["id"]
    teacher.put(f"/api/v1/courses/{course_id}", json={"status": "published"})

    refused = other_teacher.delete(f"/api/v1/media/{media_id}")
    assert refused.status_code == 403  # sees the published course, does not teach it
    assert refused.get_json()["error"]["code"] == "NOT_COURSE_MANAGER"
    assert teacher.delete(f"/api/v1/media/{media_id}").status_code == 200
    assert teacher.delete(f"/api/v1/media/{media_id}").status_code == 404
