"""Hostile review of the public verification (issue 13): what an anonymous visitor can learn by counting."""

import pytest

from app.tenancy.context import tenant_context
from blueprints.certificates import lifecycle, verification
from tests.support.certificate_rows import make_certificate
from tests.support.quizzes import acting, make_classroom


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


def test_answers_are_revalidated_by_every_cache_and_the_api_is_not_indexed(app, api, client, classroom):
    """A shared cache (a CDN, a company proxy) in front of the site must ask again before it repeats "valid":
    otherwise a revoked certificate stays valid there. The API's JSON is no page for search engines."""
    certificate_id, code = make_certificate(
        app, classroom.tenant, classroom.course_id, classroom.ids["learner"], is_public=True
    )
    host = {"Host": f"{classroom.tenant.slug}.localhost:5000"}
    for path in (
        f"/verify/{code}",
        "/verify",
        f"/api/v1/verify/{code}",
        f"/api/v1/certificates/{certificate_id}/verify",
    ):
        response = client.get(path, headers=host)
        assert response.status_code == 200, path
        assert "no-cache" in response.headers.get("Cache-Control", ""), path
        if path.startswith("/api/"):
            assert response.headers.get("X-Robots-Tag") == "noindex", path


def test_a_revocation_committed_while_a_visitor_reads_is_not_hidden_by_the_cache(app, classroom, monkeypatch):
    """A visitor's check reads the row (valid), the teacher's revocation commits and drops the cache entry, and
    only then does the visitor's check store what it read: that stale "valid" must not be kept, or the page
    says valid for the next ten minutes."""
    certificate_id, code = make_certificate(app, classroom.tenant, classroom.course_id, classroom.ids["learner"])
    read_the_row = verification._facts_from_database

    def revoked_meanwhile(plain_code):
        facts = read_the_row(plain_code)
        with acting(app, classroom.tenant, classroom.ids["teacher"]) as teacher:
            lifecycle.revoke(certificate_id, "Issued to the wrong learner", teacher)
        return facts

    with tenant_context(classroom.tenant, app):
        monkeypatch.setattr(verification, "_facts_from_database", revoked_meanwhile)
        assert verification.verify_code(code)["status"] == "valid"  # what it read, before the commit
        monkeypatch.setattr(verification, "_facts_from_database", read_the_row)
        assert verification.verify_code(code)["status"] == "revoked"
