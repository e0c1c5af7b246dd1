"""Erasing a person (GDPR art. 17): no trace of their name or address left in any table, their certificate still
verifies and says the holder's data was erased, the organization's figures unchanged; irreversible, idempotent,
never oneself or the last org admin, org admins only."""

import html

import sqlalchemy as sa

from app.extensions import db
from app.tenancy.context import tenant_context
from blueprints.audit.models import AuditEvent
from blueprints.certificates import issuance, verification
from blueprints.certificates.models import Certificate
from blueprints.credentials import keys, offline
from blueprints.users.models import User
from tests.conftest import make_user, run_jobs, user_token
from tests.support.api_keys import key_client
from tests.support.privacy import build_two_learners, person_facts, text_columns_holding

# The issuance log is a hash chain: its entries keep the holder's name as issued (rewriting one breaks every later
# hash and the heads verifiers hold). docs/operations.md, part privacy, says so.
KEPT_BY_DESIGN = {"ledger_entries"}
FIGURES = ("overview", "engagement", "courses", "assessments", "performance")


def _figures(admin):
    found = {}
    for name in FIGURES:
        response = admin.get(f"/api/v1/analytics/{name}")
        assert response.status_code == 200, response.get_json()
        data = response.get_json()["data"]
        found[name] = {k: v for k, v in data.items() if k not in ("generated_at", "as_of", "checked_at")}
    return found


def test_erasure_leaves_no_name_or_address_and_keeps_figures_and_certificates(app, api, tenant, login_as):
    world = build_two_learners(app, api, tenant, login_as)
    admin, subject = world["admin"], world["subject"]
    email, first, last = person_facts(app, tenant, subject)
    other_email = person_facts(app, tenant, world["other"])[0]
    assert {table for table, _c, _n in text_columns_holding(app, tenant, [email, f"{first} {last}"])} >= {
        "users",
        "certificates",
        "audit_events",
        "notifications",
    }
    transcript = admin.post(
        "/api/v1/reports", json={"kind": "learner_transcript", "format": "csv", "params": {"user_id": subject}}
    ).get_json()["data"]
    run_jobs(app)
    assert admin.get(f"/api/v1/reports/{transcript['id']}/download").status_code == 200  # about them alone
    before = _figures(admin)
    learner = world["learners"][0]
    assert learner.get("/api/v1/auth/me").status_code == 200

    refused = admin.post(f"/api/v1/users/{subject}/erasure", json={"confirm_email": other_email})
    assert refused.status_code == 422 and "confirm_email" in refused.get_json()["error"]["details"]
    erased = admin.post(f"/api/v1/users/{subject}/erasure", json={"confirm_email": email.upper()})
    assert erased.status_code == 200, erased.get_json()
    answer = erased.get_json()["data"]
    assert answer["erased_now"] is True and answer["pseudonym"].startswith("Erased person #")
    run_jobs(app)

    # no trace of the name or the address, anywhere but the issuance log's chained entries
    traces = text_columns_holding(app, tenant, [email, first, last, f"{first} {last}"])
    assert {table for table, _column, _needle in traces} <= KEPT_BY_DESIGN, traces
    with tenant_context(tenant, app):
        person = db.session.get(User, subject)
        assert person.full_name == answer["pseudonym"] and person.email.endswith("@invalid")
        assert (person.is_active, person.password_hash, person.external_id, person.notification_email) == (
            False,
            None,
            None,
            None,
        )
        for name in ("sign_ins", "refresh_tokens", "notifications", "password_reset_tokens"):
            rows = db.metadatas["tenant"].tables[name]
            assert db.session.scalar(sa.select(sa.func.count()).where(rows.c.user_id == subject)) == 0, name
        entry = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "person.erased"))
        assert (entry.subject_user_id, entry.target_label) == (subject, answer["pseudonym"])
        relabelled = db.session.scalar(
            sa.select(AuditEvent).where(AuditEvent.action == "user.updated", AuditEvent.subject_user_id == subject)
        )
        assert relabelled.target_label == answer["pseudonym"] and email not in str(relabelled.details)
        certificate = db.session.scalar(sa.select(Certificate).where(Certificate.user_id == subject))
        pdf, jwks = issuance.certificate_pdf(certificate), keys.jwks()
    assert learner.get("/api/v1/auth/me").status_code == 401  # signed out, for good
    assert admin.get(f"/api/v1/reports/{transcript['id']}/download").status_code == 410  # their transcript's file

    # the certificate still verifies, offline and online, and says whose data is gone
    assert certificate.code in str(offline.verify_file(pdf, jwks))
    anyone = api(tenant)
    verified = anyone.get(f"/api/v1/verify/{certificate.code}").get_json()["data"]
    assert (verified["status"], verified["holder_erased"], verified["holder_name"]) == ("valid", True, None)
    page = html.unescape(anyone.get(f"/verify/{certificate.code}").get_data(as_text=True))
    assert "Holder's data erased at their request" in page and first not in page
    with tenant_context(tenant, app):  # shared before the erasure: public, and still no name
        db.session.execute(sa.update(Certificate).where(Certificate.id == certificate.id).values(is_public=True))
        db.session.commit()
        verification.forget(certificate.code)
    public = anyone.get(f"/api/v1/certificates/{certificate.id}/verify").get_json()["data"]
    assert (public["public"], public["holder_erased"], public["holder_name"]) == (True, True, None)

    # the organization's figures are what they were
    assert _figures(admin) == before

    # again: the same erasure, nothing more changes
    again = admin.post(f"/api/v1/users/{subject}/erasure", json={"confirm_email": "whatever@example.org"})
    assert again.status_code == 200 and again.get_json()["data"]["erased_now"] is False
    assert again.get_json()["data"]["pseudonym"] == answer["pseudonym"]
    with tenant_context(tenant, app):
        assert db.session.scalar(sa.select(sa.func.count()).where(AuditEvent.action == "person.erased")) == 1


def test_never_oneself_never_the_last_org_admin_and_org_admins_only(app, api, tenant, make_tenant, login_as):
    admin_id = make_user(app, tenant, "org_admin", email="boss@example.org")
    with app.app_context():
        admin = api(tenant, user_token(app, tenant, admin_id, "org_admin"))
    self_erasure = admin.post(f"/api/v1/users/{admin_id}/erasure", json={"confirm_email": "boss@example.org"})
    assert self_erasure.status_code == 403 and self_erasure.get_json()["error"]["code"] == "CANNOT_ERASE_SELF"

    # an org admin key erasing the only other active org admin... after the first admin of the tenant is gone
    with tenant_context(tenant, app):
        db.session.execute(sa.update(User).where(User.id != admin_id).values(is_active=False))
        db.session.commit()
    call, _key_id = key_client(app, tenant, ["org_admin"], past_user_id=admin_id)
    last = call("POST", f"/api/v1/users/{admin_id}/erasure", json={"confirm_email": "boss@example.org"})
    assert last.status_code == 409 and last.get_json()["error"]["code"] == "LAST_ORG_ADMIN"

    student = make_user(app, tenant, "student", email="pupil@example.org")
    for role in ("branch_manager", "teacher", "student"):
        refused = api(tenant, login_as(tenant, role))
        assert (
            refused.post(f"/api/v1/users/{student}/erasure", json={"confirm_email": "pupil@example.org"}).status_code
            == 403
        )
    elsewhere = make_tenant()
    with app.app_context():
        foreign = user_token(app, elsewhere, make_user(app, elsewhere, "org_admin"), "org_admin")
    assert (
        api(tenant, foreign)
        .post(f"/api/v1/users/{student}/erasure", json={"confirm_email": "pupil@example.org"})
        .status_code
        == 401
    )
    assert admin.post("/api/v1/users/999999/erasure", json={"confirm_email": "x@example.org"}).status_code == 404
    for typed in ("not an address", "", "pupil@example.org\u0000"):
        refused = admin.post(f"/api/v1/users/{student}/erasure", json={"confirm_email": typed})
        assert refused.status_code in (400, 422) and refused.get_json()["error"]["details"], typed
    assert person_facts(app, tenant, student)[0] == "pupil@example.org"  # nothing happened to them
    erased = call("POST", f"/api/v1/users/{student}/erasure", json={"confirm_email": "pupil@example.org"})
    assert erased.status_code == 200  # an org admin's key may
