"""verify_code: what anyone may learn of a certificate code, cached, and changed at once by a revocation."""

import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.tenancy.context import tenant_context
from app.tenancy.models import utcnow
from blueprints.certificates import lifecycle, sharing, verification
from blueprints.certificates.models import Certificate
from blueprints.credentials import ledger
from tests.conftest import build_app
from tests.support.certificate_rows import certificate_row, make_certificate
from tests.support.quizzes import acting, make_classroom


@pytest.fixture
def classroom(app, api, tenant):
    return make_classroom(app, api, tenant)


def test_a_private_certificate_says_valid_and_who_issued_it_and_nothing_of_its_holder(app, classroom):
    with tenant_context(classroom.tenant, app):
        certificate = certificate_row(classroom.course_id, classroom.ids["learner"])
        answer = verification.verify_code(certificate.code)
        head = ledger.head()
    assert answer["status"] == "valid"
    assert answer["code"] == certificate.code
    assert answer["public"] is False
    assert answer["holder_name"] is None and answer["course_title"] is None and answer["completed_at"] is None
    assert answer["issuer"]["name"] == f"Org {classroom.tenant.slug}"
    assert answer["issuer"]["jwks_url"] == f"http://{classroom.tenant.slug}.localhost:5000/.well-known/jwks.json"
    assert answer["log_head"] == head and head["seq"] >= 1
    assert "@" not in str(answer)


def test_a_public_certificate_shows_holder_course_and_dates_but_never_an_email(app, classroom):
    learner = classroom.ids["learner"]
    certificate_id, code = make_certificate(
        app, classroom.tenant, classroom.course_id, learner, holder_name="Ada Byron", course_title="Physics"
    )
    with acting(app, classroom.tenant, learner) as actor:
        sharing.share(certificate_id, True, actor)
        answer = verification.verify_code(code)
    assert answer["status"] == "valid" and answer["public"] is True
    assert answer["holder_name"] == "Ada Byron" and answer["course_title"] == "Physics"
    assert answer["completed_at"].tzinfo is not None and answer["issued_at"] >= answer["completed_at"]
    assert "ada@example.org" not in str(answer)


def test_the_code_is_read_in_any_case_with_or_without_dashes_and_spaces(app, classroom):
    with tenant_context(classroom.tenant, app):
        code = certificate_row(classroom.course_id, classroom.ids["learner"]).code
        for typed in (code.lower(), code.replace("-", ""), f"  {code.replace('-', ' ')} "):
            answer = verification.verify_code(typed)
            assert (answer["status"], answer["code"]) == ("valid", code), typed


def test_unknown_codes_and_nonsense_are_unknown_with_the_issuer(app, classroom):
    with tenant_context(classroom.tenant, app):
        for typed in ("AAAA-BBBB-CCCC", "", "-- --", "x" * 5000, "<script>"):
            answer = verification.verify_code(typed)
            assert answer["status"] == "unknown" and answer["certificate_id"] is None
            assert answer["issuer"]["name"]


def test_an_expired_certificate_says_expired_with_its_date_and_one_expiring_later_is_valid(app, classroom):
    now = utcnow()
    with tenant_context(classroom.tenant, app):
        expired = certificate_row(classroom.course_id, classroom.ids["learner"], expires_at=now - timedelta(days=2))
        later = certificate_row(classroom.course_id, classroom.ids["learner2"], expires_at=now + timedelta(days=20))
        assert verification.verify_code(expired.code)["status"] == "expired"
        assert verification.verify_code(expired.code)["expires_at"].date() == (now - timedelta(days=2)).date()
        assert verification.verify_code(later.code)["status"] == "valid"


def test_answers_are_cached_and_a_revocation_shows_at_once(app, classroom):
    certificate_id, code = make_certificate(app, classroom.tenant, classroom.course_id, classroom.ids["learner"])
    with tenant_context(classroom.tenant, app):
        assert verification.verify_code(code)["status"] == "valid"
        # a change behind the services' back is not seen: the answer came from the cache
        db.session.execute(sa.update(Certificate).where(Certificate.id == certificate_id).values(is_public=True))
        db.session.commit()
        assert verification.verify_code(code)["public"] is False
    with acting(app, classroom.tenant, classroom.ids["teacher"]) as teacher:
        lifecycle.revoke(certificate_id, "Issued to the wrong learner", teacher)
        answer = verification.verify_code(code)
    assert answer["status"] == "revoked"
    assert answer["revocation_reason"] == "Issued to the wrong learner" and answer["revoked_at"]


def test_a_reissued_certificate_says_superseded_and_names_its_successor(app, classroom):
    old_id, old_code = make_certificate(app, classroom.tenant, classroom.course_id, classroom.ids["learner"])
    with tenant_context(classroom.tenant, app):
        assert verification.verify_code(old_code)["status"] == "valid"
    with acting(app, classroom.tenant, classroom.ids["teacher"]) as teacher:
        new = lifecycle.reissue(old_id, teacher)
        answer = verification.verify_code(old_code)
        assert (answer["status"], answer["superseded_by"]) == ("superseded", new.code)
        assert verification.verify_code(new.code)["status"] == "valid"


def test_the_api_answers_anyone_by_code_or_id_and_the_platform_address_has_no_certificates(app, api, classroom):
    certificate_id, code = make_certificate(
        app, classroom.tenant, classroom.course_id, classroom.ids["learner"], is_public=True
    )
    anyone = api(classroom.tenant)
    by_code = anyone.get(f"/api/v1/verify/{code.lower().replace('-', '')}")
    assert by_code.status_code == 200 and by_code.get_json()["data"]["status"] == "valid"
    by_id = anyone.get(f"/api/v1/certificates/{certificate_id}/verify").get_json()["data"]
    assert by_id["code"] == code and by_id["log_head"]["seq"] >= 1 and by_id["checked_at"].endswith("Z")
    assert anyone.get("/api/v1/certificates/999999/verify").get_json()["data"]["status"] == "unknown"
    assert api(None).get(f"/api/v1/verify/{code}").status_code == 404


@pytest.fixture
def limited_app(app_config):
    return build_app(app_config, RQ_QUEUE=f"verify-limits-{uuid.uuid4().hex[:8]}", RATELIMIT_VERIFY="3 per minute")


def test_verifications_are_limited_per_address_with_a_429_envelope(limited_app, tenant):
    client = limited_app.test_client()
    host = {"Host": f"{tenant.slug}.localhost:5000"}
    statuses = [client.get("/api/v1/verify/AAAA-BBBB-CCCC", headers=host).status_code for _ in range(2)]
    statuses.append(client.get("/verify/AAAA-BBBB-CCCC", headers=host).status_code)  # the page shares the budget
    refused = client.get("/api/v1/certificates/1/verify", headers=host)  # and so does the API by id
    assert statuses == [200, 200, 200] and refused.status_code == 429
    page = client.get("/verify/AAAA-BBBB-CCCC", headers=host)
    assert page.status_code == 429 and "Try again in" in page.get_data(as_text=True)
    assert refused.get_json()["error"]["code"] == "RATE_LIMITED" and int(refused.headers["Retry-After"]) > 0
    other = client.get("/api/v1/verify/AAAA-BBBB-CCCC", headers=host, environ_base={"REMOTE_ADDR": "192.0.2.7"})
    assert other.status_code == 200  # another address has its own budget
