"""Erasing a person (GDPR art. 17): no trace of their name or address left in any table or stored file, their
certificate still verifies (the holder's own copy offline, the issuance log and its head unchanged) and says the
holder's data was erased, the organization's copies and the reports that may list them withdrawn, the
organization's figures unchanged; irreversible, idempotent, never oneself or the last org admin, org admins
only."""

import html

import sqlalchemy as sa

from app.extensions import db
from app.tenancy.context import tenant_context
from blueprints.audit.models import AuditEvent
from blueprints.certificates import verification
from blueprints.certificates.models import Certificate
from blueprints.credentials import keys, ledger, offline
from blueprints.reports.models import Report
from blueprints.users.models import User
from tests.conftest import make_user, run_jobs, user_token
from tests.support.api_keys import key_client
from tests.support.privacy import build_two_learners, person_facts, stored_files_holding, text_columns_holding

FIGURES = ("overview", "engagement", "courses", "assessments", "performance")


def _figures(admin):
    found = {}
    for name in FIGURES:
        response = admin.get(f"/api/v1/analytics/{name}")
        assert response.status_code == 200, response.get_json()
        data = response.get_json()["data"]
        found[name] = {k: v for k, v in data.items() if k not in ("generated_at", "as_of", "checked_at")}
    return found


def _report(app, admin, kind, params=None, format="csv"):
    """A real report, made by the job; its id once done."""
    made = admin.post("/api/v1/reports", json={"kind": kind, "format": format, "params": params or {}})
    assert made.status_code == 202, made.get_json()
    run_jobs(app)
    report_id = made.get_json()["data"]["id"]
    assert admin.get(f"/api/v1/reports/{report_id}/download").status_code == 200
    return report_id


def test_erasure_leaves_no_name_or_address_and_keeps_figures_and_certificates(app, api, tenant, login_as):
    world = build_two_learners(app, api, tenant, login_as)
    admin, subject = world["admin"], world["subject"]
    email, first, last = person_facts(app, tenant, subject)
    other_email = person_facts(app, tenant, world["other"])[0]
    names = [email, first, last, f"{first} {last}"]
    assert {table for table, _c, _n in text_columns_holding(app, tenant, [email, f"{first} {last}"])} >= {
        "users",
        "certificates",
        "audit_events",
        "notifications",
        "ledger_personal_data",
    }
    transcript = _report(app, admin, "learner_transcript", {"user_id": subject}, "pdf")  # its heading names them
    completion = _report(app, admin, "course_completion")  # many people, them among them
    branches = _report(app, admin, "branch_summary")  # a row per branch: names nobody
    held = stored_files_holding(app, tenant, names)
    with tenant_context(tenant, app):
        files = dict(db.session.execute(sa.select(Report.id, Report.file_key)).all())
        pdf_key = db.session.scalar(sa.select(Certificate.pdf_key).where(Certificate.user_id == subject))
    naming = {key for key, _needle in held}  # the search finds them: their PDF, the files of reports listing them
    assert naming >= {pdf_key, files[transcript], files[completion]} and files[branches] not in naming, held
    before = _figures(admin)
    learner = world["learners"][0]
    assert learner.get("/api/v1/auth/me").status_code == 200
    with tenant_context(tenant, app):
        certificate = db.session.scalar(sa.select(Certificate).where(Certificate.user_id == subject))
        db.session.expunge(certificate)
        published_head = ledger.head()
    holders_copy = learner.get(f"/api/v1/certificates/{certificate.id}/pdf")  # what they downloaded before
    assert holders_copy.status_code == 200
    holders_copy = holders_copy.data

    refused = admin.post(f"/api/v1/users/{subject}/erasure", json={"confirm_email": other_email})
    assert refused.status_code == 422 and "confirm_email" in refused.get_json()["error"]["details"]
    erased = admin.post(f"/api/v1/users/{subject}/erasure", json={"confirm_email": email.upper()})
    assert erased.status_code == 200, erased.get_json()
    answer = erased.get_json()["data"]
    assert answer["erased_now"] is True and answer["pseudonym"].startswith("Erased person #")
    assert answer["outcome"] == {
        "certificate_copies_deleted": 1,
        "certificate_archives_withdrawn": 0,
        "log_entries_redacted": 1,
        "log_entries_keeping_name": 0,
        "reports_withdrawn": 2,
    }
    run_jobs(app)

    # no trace of the name or the address: no table, no stored file
    assert text_columns_holding(app, tenant, names) == []
    assert stored_files_holding(app, tenant, names) == []
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
        assert entry.details["reports_withdrawn"] == 2 and entry.details["log_entries_keeping_name"] == 0
        relabelled = db.session.scalar(
            sa.select(AuditEvent).where(AuditEvent.action == "user.updated", AuditEvent.subject_user_id == subject)
        )
        assert relabelled.target_label == answer["pseudonym"] and email not in str(relabelled.details)
        stored = db.session.get(Certificate, certificate.id)
        assert (stored.pdf_key, stored.credential_jwt, stored.render_status) == (None, None, "ready")
        assert ledger.audit() == ledger.AuditResult(ok=True, checked=published_head["seq"])
        assert ledger.head() == published_head  # what verifiers hold still matches
        jwks = keys.jwks()
    assert learner.get("/api/v1/auth/me").status_code == 401  # signed out, for good

    # the organization's copies answer 410 in the envelope, never a 500
    gone = admin.get(f"/api/v1/certificates/{certificate.id}/pdf")
    assert (gone.status_code, gone.get_json()["error"]["code"]) == (410, "HOLDER_ERASED")
    detail = admin.get(f"/api/v1/certificates/{certificate.id}").get_json()["data"]
    assert (detail["credential"], detail["pdf_url"]) == (None, None)
    for report_id in (transcript, completion):
        withdrawn = admin.get(f"/api/v1/reports/{report_id}/download")
        assert (withdrawn.status_code, withdrawn.get_json()["error"]["code"]) == (410, "REPORT_WITHDRAWN")
        assert admin.get(f"/api/v1/reports/{report_id}").get_json()["data"]["status"] == "withdrawn"
    assert admin.get(f"/api/v1/reports/{branches}/download").status_code == 200  # it named nobody: kept
    log = admin.get(f"/api/v1/credentials/log?filter[subject_id]={certificate.id}").get_json()["data"]
    issued = next(row for row in log if row["action"] == "issued")
    assert issued["personal_data"] == "erased" and "holder_name" not in issued["data"]

    # the certificate still verifies, offline (the holder's own copy) and online, and says whose data is gone
    assert certificate.code in str(offline.verify_file(holders_copy, jwks))
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
    assert again.get_json()["data"]["outcome"] == answer["outcome"]
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
