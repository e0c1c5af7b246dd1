"""`/api/v1/certificates`, `/api/v1/users/{id}/certificates`, `/api/v1/courses/{id}/certificate-settings`:
issue by hand, scoped reading, the PDF."""

import pytest

from blueprints.certificates import issuance
from tests.conftest import run_jobs
from tests.support.certificates import build_certificate_course, pdf_text

pytestmark = pytest.mark.skipif(
    not issuance.credentials_ready(), reason="needs the credentials part's signing, log and PDF embedding"
)


@pytest.fixture
def course(app, api, tenant, login_as):
    return build_certificate_course(app, api, tenant, login_as)


def test_a_teacher_issues_by_hand_and_the_learner_downloads_it(app, api, tenant, login_as, course):
    teacher, learner_id = course["teacher"], course["learner_ids"][1]
    issued = teacher.post("/api/v1/certificates", json={"course_id": course["course_id"], "user_id": learner_id})
    assert issued.status_code == 201, issued.get_json()
    certificate = issued.get_json()["data"]
    assert certificate["status"] == "pending" and certificate["holder_name"] == "Zoë Ångström"
    assert certificate["pdf_url"] is None and certificate["credential"] is None
    again = teacher.post("/api/v1/certificates", json={"course_id": course["course_id"], "user_id": learner_id})
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "CERTIFICATE_EXISTS"
    assert teacher.get(f"/api/v1/certificates/{certificate['id']}/pdf").status_code == 404  # not made yet

    run_jobs(app)
    learner = course["learners"][1]
    detail = learner.get(f"/api/v1/certificates/{certificate['id']}").get_json()["data"]
    assert detail["status"] == "ready" and detail["credential"].count(".") == 2
    pdf = learner.get(detail["pdf_url"])
    assert pdf.status_code == 200 and pdf.headers["Content-Type"] == "application/pdf"
    assert "Zoë Ångström" in pdf_text(pdf.data)

    mine = learner.get("/api/v1/certificates").get_json()
    assert [row["id"] for row in mine["data"]] == [certificate["id"]] and mine["meta"]["total"] == 1
    other = course["learners"][0]
    assert other.get("/api/v1/certificates").get_json()["data"] == []
    assert other.get(f"/api/v1/certificates/{certificate['id']}").status_code == 404
    assert other.get(f"/api/v1/certificates/{certificate['id']}/pdf").status_code == 404
    assert other.get(f"/api/v1/users/{learner_id}/certificates").get_json()["data"] == []
    by_user = course["admin"].get(f"/api/v1/users/{learner_id}/certificates?filter[status]=ready").get_json()
    assert [row["id"] for row in by_user["data"]] == [certificate["id"]]
    assert course["admin"].get("/api/v1/users/999999/certificates").status_code == 404
    outsider = api(tenant, login_as(tenant, "teacher"))
    assert outsider.get("/api/v1/certificates").get_json()["data"] == []
    refused = outsider.post("/api/v1/certificates", json={"course_id": course["course_id"], "user_id": learner_id})
    assert refused.status_code in (403, 422)
    assert course["learners"][0].post("/api/v1/certificates", json={"course_id": 1, "user_id": 1}).status_code == 403


def test_course_settings_by_its_managers(course):
    teacher, path = course["teacher"], f"/api/v1/courses/{course['course_id']}/certificate-settings"
    assert teacher.get(path).get_json()["data"] == {
        "course_id": course["course_id"],
        "enabled": True,
        "template_id": None,
        "valid_months": None,
    }
    changed = teacher.put(path, json={"valid_months": 24, "enabled": False})
    assert changed.status_code == 200 and changed.get_json()["data"]["valid_months"] == 24
    assert teacher.put(path, json={"valid_months": 0}).status_code == 422
    assert teacher.put(path, json={}).status_code == 422
    assert course["learners"][0].get(path).status_code == 403
