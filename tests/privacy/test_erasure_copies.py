"""What an erasure does to what was made from the person's records before: report files that may list them are
withdrawn (also one being made at that moment), the reports page says why and offers to run it again; their
certificates are never rendered or re-issued again; what staff wrote about them (revocation and award reasons) is
withheld, in the rows and in the issuance log; log entries written before names left the chain are counted."""

import html
import threading

import sqlalchemy as sa

from app.errors import NotFound
from app.extensions import db
from app.storage import media_storage
from app.tenancy.context import tenant_context
from blueprints.audit.models import AuditEvent
from blueprints.badges.models import BadgeAward
from blueprints.certificates import archives, issuance
from blueprints.certificates.models import Certificate, CertificateArchive, CertificateStatus
from blueprints.credentials import ledger
from blueprints.privacy import erasure
from blueprints.reports import generation
from blueprints.reports.models import Report
from blueprints.reports.withdrawal import withdraw_reports_naming
from tests.conftest import make_user, run_jobs
from tests.support.badges import create_badge
from tests.support.browser import Browser
from tests.support.privacy import build_two_learners, person_facts, stored_files_holding, text_columns_holding


def _erase(admin, subject, email):
    erased = admin.post(f"/api/v1/users/{subject}/erasure", json={"confirm_email": email})
    assert erased.status_code == 200, erased.get_json()
    return erased.get_json()["data"]


def test_the_reports_page_says_why_a_report_was_withdrawn_and_offers_to_run_it_again(app, api, tenant, login_as):
    world = build_two_learners(app, api, tenant, login_as)
    make_user(app, tenant, "org_admin", email="boss@example.org")
    page = Browser(app, tenant)
    page.sign_in("boss@example.org")
    asked = page.post(
        "/reports",
        {"kind": "course_completion", "format": "csv", "course_id": str(world["course_id"])},
        csrf_from="/reports",
    )
    assert asked.status_code == 303
    run_jobs(app)
    with tenant_context(tenant, app):
        report_id = db.session.scalar(sa.select(Report.id))
    assert page.get(f"/reports/{report_id}/download").status_code == 200
    email = person_facts(app, tenant, world["subject"])[0]
    assert _erase(world["admin"], world["subject"], email)["outcome"]["reports_withdrawn"] == 1

    detail = html.unescape(page.get(f"/reports/{report_id}").get_data(as_text=True))
    assert "Withdrawn: its file was deleted." in detail and "erased at their request" in detail
    again = f'href="/reports/form?kind=course_completion&amp;format=csv&amp;course_id={world["course_id"]}'
    assert again.replace("&amp;", "&") in detail  # the form, filled in as it was asked for
    listed = html.unescape(page.get("/reports").get_data(as_text=True))
    assert "Withdrawn" in listed and "Run it again" in listed
    form = page.get(f"/reports/form?kind=course_completion&format=csv&course_id={world['course_id']}")
    assert form.status_code == 200 and f'value="{world["course_id"]}" selected' in form.get_data(as_text=True)
    download = page.get(f"/reports/{report_id}/download")
    assert download.status_code == 410 and "withdrawn" in download.get_data(as_text=True)


def test_a_report_being_made_when_someone_it_lists_is_erased_is_withdrawn_by_its_job(
    app, api, tenant, login_as, monkeypatch
):
    """The job read their rows before the erasure committed: the file it stores must not be offered."""
    world = build_two_learners(app, api, tenant, login_as)
    made = world["admin"].post("/api/v1/reports", json={"kind": "course_completion", "format": "csv"})
    report_id = made.get_json()["data"]["id"]
    write_csv = generation.WRITERS["csv"]

    def write_then_erasure_commits(out, columns, rows, **context):
        written = write_csv(out, columns, rows, **context)

        def erasure_elsewhere():  # another request's transaction, committed while the job still runs
            with tenant_context(tenant, app):
                withdraw_reports_naming(world["subject"], "A person it may list was erased at their request.")
                db.session.commit()

        thread = threading.Thread(target=erasure_elsewhere)
        thread.start()
        thread.join(30)
        return written

    monkeypatch.setitem(generation.WRITERS, "csv", write_then_erasure_commits)
    run_jobs(app)
    report = world["admin"].get(f"/api/v1/reports/{report_id}").get_json()["data"]
    assert (report["status"], report["download_url"]) == ("withdrawn", None)
    assert "erased" in report["withdrawn_reason"]
    gone = world["admin"].get(f"/api/v1/reports/{report_id}/download")
    assert (gone.status_code, gone.get_json()["error"]["code"]) == (410, "REPORT_WITHDRAWN")
    with tenant_context(tenant, app):
        assert db.session.get(Report, report_id).file_key is None


def test_a_certificate_archive_being_made_when_a_holder_is_erased_is_withdrawn_by_its_job(
    app, api, tenant, login_as, monkeypatch
):
    """The job read the holders and started writing their PDFs before the erasure committed: the ZIP it stores would
    name them, so it must not be offered, and the next archive must leave them out."""
    world = build_two_learners(app, api, tenant, login_as)
    admin = world["admin"]
    _, first_name, last_name = person_facts(app, tenant, world["subject"])
    written_names = []
    write_name = archives.safe_file_name

    def name_then_erasure_commits(holder_name, code):
        written_names.append(holder_name)
        if len(written_names) == 1:

            def erasure_elsewhere():  # another request's transaction, committed while the job still runs
                with tenant_context(tenant, app):
                    archives.withdraw_archives_holding(world["subject"])
                    db.session.commit()

            thread = threading.Thread(target=erasure_elsewhere)
            thread.start()
            thread.join(30)
        return write_name(holder_name, code)

    monkeypatch.setattr(archives, "safe_file_name", name_then_erasure_commits)
    files_naming_them = stored_files_holding(app, tenant, [last_name])  # their certificate's PDF
    started = admin.post(f"/api/v1/courses/{world['course_id']}/certificates/archive")
    assert started.status_code == 202, started.get_json()
    archive_id = started.get_json()["data"]["id"]
    run_jobs(app)
    assert f"{first_name} {last_name}" in written_names  # the job read the holder before the erasure committed

    archive = admin.get(f"/api/v1/certificate-archives/{archive_id}").get_json()["data"]
    assert archive["status"] == "failed" and "erased" in archive["error"], archive
    assert admin.get(f"/api/v1/certificate-archives/{archive_id}/download").status_code == 404
    with tenant_context(tenant, app):
        assert db.session.get(CertificateArchive, archive_id).file_key is None
    assert stored_files_holding(app, tenant, [last_name]) == files_naming_them  # the ZIP deleted, not only unlisted


def test_an_erased_holders_certificate_is_never_rendered_or_reissued_again(app, api, tenant, login_as):
    world = build_two_learners(app, api, tenant, login_as)
    subject = world["subject"]
    with tenant_context(tenant, app):
        certificate_id = db.session.scalar(sa.select(Certificate.id).where(Certificate.user_id == subject))
    _erase(world["admin"], subject, person_facts(app, tenant, subject)[0])

    reissued = world["admin"].post(f"/api/v1/certificates/{certificate_id}/reissue")
    assert (reissued.status_code, reissued.get_json()["error"]["code"]) == (409, "HOLDER_ERASED")
    with tenant_context(tenant, app):  # a failed render (say, the template broke) put back in the queue
        db.session.execute(
            sa.update(Certificate)
            .where(Certificate.id == certificate_id)
            .values(render_status=CertificateStatus.FAILED)
        )
        db.session.commit()
        assert issuance.retry_failed([certificate_id]) == []
        db.session.execute(
            sa.update(Certificate)
            .where(Certificate.id == certificate_id)
            .values(render_status=CertificateStatus.PENDING)
        )
        db.session.commit()
        assert issuance.render_pending([certificate_id]) == 0
        certificate = db.session.get(Certificate, certificate_id)
        assert (certificate.render_status, certificate.pdf_key, certificate.credential_jwt) == ("failed", None, None)
        assert certificate.render_error == issuance.ERASED_RENDER


def test_log_entries_from_before_the_scheme_keep_the_name_and_the_erasure_says_how_many(app, api, tenant, login_as):
    world = build_two_learners(app, api, tenant, login_as)
    subject = world["subject"]
    email, first, last = person_facts(app, tenant, subject)
    with tenant_context(tenant, app):  # an entry as issuance wrote them before: the name inside the hashed data
        certificate = db.session.scalar(sa.select(Certificate).where(Certificate.user_id == subject))
        ledger.append("issued", "certificate", certificate.id, {"code": "OLD", "holder_name": f"{first} {last}"})
        db.session.commit()
        head = ledger.head()
    outcome = _erase(world["admin"], subject, email)["outcome"]
    assert (outcome["log_entries_redacted"], outcome["log_entries_keeping_name"]) == (1, 1)
    # the one place left, by design, named: the old entry's chained payload
    assert text_columns_holding(app, tenant, [email, first, last]) == [
        ("ledger_entries", "payload", first),
        ("ledger_entries", "payload", last),
    ]
    with tenant_context(tenant, app):
        assert ledger.audit().ok and ledger.head() == head


def test_what_staff_wrote_about_the_person_is_withheld_and_the_revocations_still_verify(app, api, tenant, login_as):
    world = build_two_learners(app, api, tenant, login_as)
    admin, subject = world["admin"], world["subject"]
    email, first, last = person_facts(app, tenant, subject)
    about = f"{first} {last} copied the final essay"
    with tenant_context(tenant, app):
        certificate = db.session.scalar(sa.select(Certificate).where(Certificate.user_id == subject))
        code = certificate.code
    revoked = admin.post(f"/api/v1/certificates/{certificate.id}/revoke", json={"reason": about})
    assert revoked.status_code == 200, revoked.get_json()
    badge = create_badge(admin)
    given = admin.post(f"/api/v1/badges/{badge['id']}/award", json={"user_id": subject, "reason": f"Thanks, {first}"})
    assert given.status_code == 201, given.get_json()
    taken = admin.post(f"/api/v1/badges/{badge['id']}/revoke", json={"user_id": subject, "reason": about})
    assert taken.status_code == 200, taken.get_json()
    later = create_badge(admin, name="Helper")  # still held at the erasure, revoked after it
    assert admin.post(f"/api/v1/badges/{later['id']}/award", json={"user_id": subject, "reason": ""}).status_code == 201
    logged = admin.get("/api/v1/credentials/log?filter[action]=revoked").get_json()["data"]
    assert [(row["data"]["reason"], row["personal_data"]) for row in logged] == [(about, "kept")] * 2
    with tenant_context(tenant, app):
        head = ledger.head()

    outcome = _erase(admin, subject, email)["outcome"]
    assert (outcome["log_entries_redacted"], outcome["log_entries_keeping_name"]) == (3, 0)
    assert text_columns_holding(app, tenant, [email, first, last]) == []  # rows and log: the reasons are gone
    logged = admin.get("/api/v1/credentials/log?filter[action]=revoked").get_json()["data"]
    assert [("reason" in row["data"], row["personal_data"]) for row in logged] == [(False, "erased")] * 2
    verified = api(tenant).get(f"/api/v1/verify/{code}").get_json()["data"]
    assert (verified["status"], verified["revocation_reason"]) == ("revoked", erasure.REASON_WITHHELD)
    with tenant_context(tenant, app):
        assert ledger.audit().ok and ledger.head() == head  # the erasure changed no hash
    revoked_after = admin.post(
        f"/api/v1/badges/{later['id']}/revoke", json={"user_id": subject, "reason": "Disciplinary hearing, 3 November"}
    )
    assert revoked_after.status_code == 200 and revoked_after.get_json()["data"]["revocation_reason"] == (
        erasure.REASON_WITHHELD
    )  # no erasure runs again to withhold what is written after it
    with tenant_context(tenant, app):
        award = db.session.scalars(
            sa.select(BadgeAward).where(BadgeAward.user_id == subject, BadgeAward.badge_id == badge["id"])
        ).one()
        assert award.reason == award.revocation_reason == erasure.REASON_WITHHELD and award.revoked_at is not None
        entry = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "certificate.revoked"))
        assert entry.details["reason"] == erasure.REASON_WITHHELD  # not the text with the name replaced


def test_an_erasure_that_fails_before_its_commit_deletes_no_file(app, api, tenant, login_as, monkeypatch):
    """Files go only once the erasure commits: a failure after they were chosen leaves rows and files as they were
    (deleted inside the transaction, the certificate and the report would name files that are gone)."""
    world = build_two_learners(app, api, tenant, login_as)
    subject = world["subject"]
    asked = world["admin"].post(
        "/api/v1/reports",
        json={"kind": "course_completion", "format": "csv", "params": {"course_id": world["course_id"]}},
    )
    assert asked.status_code == 202, asked.get_json()
    run_jobs(app)
    with tenant_context(tenant, app):
        pdf_key = db.session.scalar(sa.select(Certificate.pdf_key).where(Certificate.user_id == subject))
        report_key = db.session.scalar(sa.select(Report.file_key))
    assert pdf_key and report_key

    def fail(*_args, **_kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(erasure, "pseudonymise_person", fail)  # runs after the files were chosen
    email = person_facts(app, tenant, subject)[0]
    try:
        failed = world["admin"].post(f"/api/v1/users/{subject}/erasure", json={"confirm_email": email})
    except RuntimeError:
        pass  # the test app lets the exception through
    else:
        assert failed.status_code == 500, failed.get_json()
    with tenant_context(tenant, app):
        assert db.session.scalar(sa.select(Certificate.pdf_key).where(Certificate.user_id == subject)) == pdf_key
        assert db.session.scalar(sa.select(Report.file_key)) == report_key
        storage = media_storage()
        for key in (pdf_key, report_key):
            with storage.open(key) as stored:
                assert stored.read(), key
    monkeypatch.undo()
    _erase(world["admin"], subject, email)  # and once it commits, they go
    with tenant_context(tenant, app):
        for key in (pdf_key, report_key):
            try:
                media_storage().open(key).close()
            except (FileNotFoundError, NotFound):  # local storage, or S3
                continue
            raise AssertionError(f"{key} is still stored after the erasure committed")
