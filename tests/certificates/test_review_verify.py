"""Hostile review of the public verification (issue 13): what an anonymous visitor can learn by counting."""

import pytest

from tests.support.certificate_rows import make_certificate
from tests.support.quizzes import make_classroom


@pytest.fixture
def classroom(app, api, tenant):
    return make_classroom(app, api, tenant)


def test_counting_ids_does_not_reveal_private_certificates(app, api, classroom):
    """Ids are a counter: by id, an anonymous visitor learns of a private certificate exactly what an unknown id
    tells (no code to look up, no revocation reason, no expiry); a public one answers in full."""
    private_id, private_code = make_certificate(app, classroom.tenant, classroom.course_id, classroom.ids["learner"])
    public_id, public_code = make_certificate(
        app, classroom.tenant, classroom.course_id, classroom.ids["learner2"], is_public=True
    )
    anyone = api(classroom.tenant)
    unknown = anyone.get("/api/v1/certificates/999999/verify").get_json()["data"]
    private = anyone.get(f"/api/v1/certificates/{private_id}/verify").get_json()["data"]
    assert private["status"] == "unknown" and private_code not in str(private)
    assert {key: value for key, value in private.items() if key != "checked_at"} == {
        key: value for key, value in unknown.items() if key != "checked_at"
    }
    public = anyone.get(f"/api/v1/certificates/{public_id}/verify").get_json()["data"]
    assert public["status"] == "valid" and public["code"] == public_code and public["holder_name"] == "Ada Byron"
    # the code, which the holder hands out, still verifies the private one
    assert anyone.get(f"/api/v1/verify/{private_code}").get_json()["data"]["status"] == "valid"
