"""Hostile review of who sees which certificate (issue 13): the least trusted signed-in user."""

import pytest

from tests.conftest import run_jobs
from tests.support.certificate_rows import make_certificate
from tests.support.quizzes import make_classroom


@pytest.fixture
def classroom(app, api, tenant):
    return make_classroom(app, api, tenant)


def test_a_persons_certificates_tell_a_stranger_nothing_of_whether_the_person_exists(classroom):
    """`GET /users/{id}/certificates` by a student: someone else's id and an id nobody has answer alike, so the
    route is no way to count or probe the organization's people. Org admins still get a 404 for nobody."""
    someone = classroom.outsider.get(f"/api/v1/users/{classroom.ids['learner']}/certificates")
    nobody = classroom.outsider.get("/api/v1/users/999999/certificates")
    assert (someone.status_code, nobody.status_code) == (200, 200)
    assert someone.get_json() == nobody.get_json()
    assert nobody.get_json()["data"] == []


def test_a_teacher_taken_off_the_course_can_no_longer_fetch_its_archive(app, api, classroom, login_as):
    """The ZIP holds every learner's certificate: asking for it once is no lasting right to it. Whoever no longer
    manages the course (a teacher taken off it) is told it does not exist, its progress and its file."""
    course_id = classroom.course_id
    make_certificate(app, classroom.tenant, course_id, classroom.ids["learner"], pdf=b"%PDF-1.4 test")
    archive_id = classroom.teacher.post(f"/api/v1/courses/{course_id}/certificates/archive").get_json()["data"]["id"]
    run_jobs(app)
    assert classroom.teacher.get(f"/api/v1/certificate-archives/{archive_id}/download").status_code == 200
    admin = api(classroom.tenant, login_as(classroom.tenant, "org_admin"))
    changed = admin.put(f"/api/v1/courses/{course_id}", json={"teacher_ids": [classroom.ids["other_teacher"]]})
    assert changed.status_code == 200, changed.get_json()
    assert classroom.teacher.get(f"/api/v1/certificate-archives/{archive_id}").status_code == 404
    assert classroom.teacher.get(f"/api/v1/certificate-archives/{archive_id}/download").status_code == 404
