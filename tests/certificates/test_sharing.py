"""The holder makes a certificate public or private; share link and LinkedIn's "Add to profile" link."""

from datetime import datetime
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.support.certificate_rows import make_certificate
from tests.support.quizzes import make_classroom


@pytest.fixture
def classroom(app, api, tenant):
    return make_classroom(app, api, tenant)


def test_the_holder_makes_it_public_and_the_verification_shows_name_and_course_at_once(app, api, classroom):
    certificate_id, code = make_certificate(
        app,
        classroom.tenant,
        classroom.course_id,
        classroom.ids["learner"],
        holder_name="Ada Byron",
        course_title="Physics",
        issued_at=datetime(2026, 3, 14, 9, 0),
        expires_at=datetime(2028, 3, 14, 9, 0),
    )
    anyone = api(classroom.tenant)
    assert anyone.get(f"/api/v1/verify/{code}").get_json()["data"]["holder_name"] is None  # private, and cached

    shared = classroom.learner.post(f"/api/v1/certificates/{certificate_id}/share", json={"public": True})
    assert shared.status_code == 200, shared.get_json()
    data = shared.get_json()["data"]
    assert data["is_public"] is True
    assert data["share_url"] == f"http://{classroom.tenant.slug}.localhost:5000/verify/{code}"
    link = urlsplit(data["linkedin_url"])
    assert (link.netloc, link.path) == ("www.linkedin.com", "/profile/add")
    assert parse_qs(link.query) == {
        "startTask": ["CERTIFICATION_NAME"],
        "name": ["Physics"],
        "organizationName": [f"Org {classroom.tenant.slug}"],
        "issueYear": ["2026"],
        "issueMonth": ["3"],
        "expirationYear": ["2028"],
        "expirationMonth": ["3"],
        "certUrl": [data["share_url"]],
        "certId": [code],
    }
    public = anyone.get(f"/api/v1/verify/{code}").get_json()["data"]
    assert (public["holder_name"], public["course_title"], public["public"]) == ("Ada Byron", "Physics", True)

    private = classroom.learner.post(f"/api/v1/certificates/{certificate_id}/share", json={"public": False})
    assert private.get_json()["data"]["is_public"] is False
    assert anyone.get(f"/api/v1/verify/{code}").get_json()["data"]["holder_name"] is None


def test_only_the_holder_shares_staff_are_refused_and_strangers_told_nothing(app, api, classroom, login_as):
    certificate_id, _ = make_certificate(app, classroom.tenant, classroom.course_id, classroom.ids["learner"])
    body = {"public": True}
    assert classroom.teacher.post(f"/api/v1/certificates/{certificate_id}/share", json=body).status_code == 403
    admin = api(classroom.tenant, login_as(classroom.tenant, "org_admin"))
    assert admin.post(f"/api/v1/certificates/{certificate_id}/share", json=body).status_code == 403
    assert classroom.outsider.post(f"/api/v1/certificates/{certificate_id}/share", json=body).status_code == 404
    wrong = classroom.learner.post(f"/api/v1/certificates/{certificate_id}/share", json={"public": "yes"})
    assert wrong.status_code == 422 and "public" in wrong.get_json()["error"]["details"]
