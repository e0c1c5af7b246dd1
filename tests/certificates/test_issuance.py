"""Issuing certificates: on course completion through the real relay and worker, by hand, once per learner
and course even when two issues race, and the job that renders, signs, embeds and stores each PDF
(blueprints/certificates/issuance.py, subscribers.py, settings.py)."""

import hashlib
import threading
from datetime import datetime

import pytest
import sqlalchemy as sa

from app.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from app.events import catalog
from app.events.models import OutboxEvent
from app.extensions import db
from app.jobs import get_queue
from app.security.actor import Actor
from app.storage import media_storage
from app.tenancy.context import tenant_context
from blueprints.certificates import issuance, settings, subscribers
from blueprints.certificates.models import Certificate, CertificateStatus, CertificateTemplate
from blueprints.credentials.models import LedgerEntry
from blueprints.users.services import principal_for_user
from tests.conftest import make_user, run_jobs
from tests.support.certificates import build_certificate_course, certificates_of, complete_course, pdf_text

pytestmark = pytest.mark.skipif(
    not issuance.credentials_ready(), reason="needs the credentials part's signing, log and PDF embedding"
)
signing, offline = issuance.credential_part("signing"), issuance.credential_part("offline")


@pytest.fixture
def certificate_course(app, api, tenant, login_as):
    return build_certificate_course(app, api, tenant, login_as)


def actor_of(user_id):
    return Actor(principal_for_user(user_id))


def test_completing_a_course_issues_a_signed_certificate_without_anyone_clicking(app, certificate_course):
    course, tenant = certificate_course, certificate_course["tenant"]
    complete_course(course, 0)
    run_jobs(app)  # the relay's delivery of course.completed, then the render job it queued

    (certificate,) = certificates_of(app, tenant, course_id=course["course_id"])
    assert certificate.user_id == course["learner_ids"][0]
    assert (certificate.holder_name, certificate.course_title) == ("Αλέξανδρος Παπαδόπουλος", "Ethics of Data")
    assert certificate.render_status == CertificateStatus.READY, certificate.render_error
    assert certificate.issued_by_id is None and certificate.completed_at is not None

    with tenant_context(tenant, app):
        stored = issuance.certificate_pdf(certificate)
        rendered, token = offline.extract_credential(stored)
        claims = signing.verify(token)
        jwks = issuance.credential_part("keys").jwks()
    assert offline.verify_file(stored, jwks)["jti"] == claims["jti"]  # the offline verifier accepts the file
    tampered = bytearray(stored)
    tampered[len(rendered) // 2] ^= 1
    with pytest.raises(offline.InvalidCredential):
        offline.verify_file(bytes(tampered), jwks)
    with tenant_context(tenant, app):
        ledger = db.session.scalars(sa.select(LedgerEntry).where(LedgerEntry.subject_id == certificate.id)).all()
        issued_events = db.session.scalars(sa.select(OutboxEvent).where(OutboxEvent.name == "certificate.issued")).all()
    assert token == certificate.credential_jwt
    subject = claims["credentialSubject"]
    assert subject["pdfSha256"] == hashlib.sha256(rendered).hexdigest() == certificate.pdf_sha256
    assert (subject["holderName"], subject["courseTitle"], subject["certificateCode"]) == (
        "Αλέξανδρος Παπαδόπουλος",
        "Ethics of Data",
        certificate.code,
    )
    assert "TesseraCertificate" in claims["type"]
    text = pdf_text(rendered)
    assert "Αλέξανδρος Παπαδόπουλος" in text and certificate.code in text and f"/verify/{certificate.code}" in text
    assert [(entry.action, entry.subject_type) for entry in ledger] == [("issued", "certificate")]
    assert [event.payload["certificate_id"] for event in issued_events] == [certificate.id]


def test_a_redelivered_completion_issues_nothing_more_even_after_a_revocation(app, certificate_course):
    course, tenant = certificate_course, certificate_course["tenant"]
    complete_course(course, 1)
    run_jobs(app)
    with tenant_context(tenant, app):
        row = db.session.scalar(sa.select(OutboxEvent).where(OutboxEvent.name == "course.completed"))
        event = catalog.load(row.name, row.payload)
        subscribers.issue_on_completion(event)  # delivered again
        assert len(db.session.scalars(sa.select(Certificate)).all()) == 1
        certificate = db.session.scalar(sa.select(Certificate))
        certificate.revoked_at = datetime.now()
        db.session.commit()
        subscribers.issue_on_completion(event)  # and once more, after the certificate was revoked
        assert len(db.session.scalars(sa.select(Certificate)).all()) == 1


def test_two_issues_at_once_make_one_certificate_and_no_error(app, certificate_course):
    course, tenant = certificate_course, certificate_course["tenant"]
    learner_id = course["learner_ids"][2]
    barrier, results, errors = threading.Barrier(4), [], []

    def issue():
        try:
            with tenant_context(tenant, app):
                barrier.wait()
                certificate = issuance.issue_certificate(course["course_id"], learner_id)
                results.append(certificate.id if certificate else None)
        except Exception as error:
            errors.append(error)

    threads = [threading.Thread(target=issue) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    issued = [result for result in results if result is not None]
    assert len(issued) == 1 and results.count(None) == 3
    assert [row.id for row in certificates_of(app, tenant, user_id=learner_id)] == issued
    with tenant_context(tenant, app):
        assert db.session.scalar(sa.select(sa.func.count()).select_from(LedgerEntry)) == 1


def test_teachers_issue_by_hand_to_their_learners_only(app, tenant, certificate_course):
    course = certificate_course
    with tenant_context(tenant, app):
        teacher = actor_of(course["teacher_id"])
        certificate = issuance.issue_by_hand(course["course_id"], course["learner_ids"][0], actor=teacher)
        assert certificate.issued_by_id == course["teacher_id"]
        with pytest.raises(Conflict):
            issuance.issue_by_hand(course["course_id"], course["learner_ids"][0], actor=teacher)
        outsider = make_user(app, tenant, "student")
        with pytest.raises(ValidationFailed):
            issuance.issue_by_hand(course["course_id"], outsider, actor=teacher)
        other_teacher = actor_of(make_user(app, tenant, "teacher"))
        with pytest.raises((PermissionDenied, NotFound)):
            issuance.issue_by_hand(course["course_id"], course["learner_ids"][1], actor=other_teacher)
        learner = actor_of(course["learner_ids"][1])
        with pytest.raises((PermissionDenied, NotFound)):
            issuance.issue_by_hand(course["course_id"], course["learner_ids"][1], actor=learner)


def test_a_course_without_certificates_gives_none_and_validity_sets_the_expiry(app, tenant, certificate_course):
    course = certificate_course
    with tenant_context(tenant, app):
        teacher = actor_of(course["teacher_id"])
        settings.update_settings(course["course_id"], {"enabled": False}, actor=teacher)
        assert issuance.issue_certificate(course["course_id"], course["learner_ids"][0]) is None
        with pytest.raises(ValidationFailed) as error:
            settings.update_settings(course["course_id"], {"valid_months": 0, "template_id": 999}, actor=teacher)
        assert set(error.value.details) == {"valid_months", "template_id"}
        settings.update_settings(course["course_id"], {"enabled": True, "valid_months": 12}, actor=teacher)
        certificate = issuance.issue_certificate(course["course_id"], course["learner_ids"][0])
        issued = certificate.issued_at
        assert certificate.expires_at == issued.replace(year=issued.year + 1)
        with pytest.raises((PermissionDenied, NotFound)):
            settings.update_settings(course["course_id"], {"enabled": False}, actor=actor_of(course["learner_ids"][0]))


def test_a_failed_render_says_why_and_is_retried(app, tenant, certificate_course):
    course = certificate_course
    with tenant_context(tenant, app):
        # a template edited by hand in the database, past the editor's checks
        broken = CertificateTemplate(name="Broken", html="{{ learner_name.__class__ }}", css="", signatures=[])
        db.session.add(broken)
        db.session.commit()
        settings.update_settings(course["course_id"], {"template_id": broken.id}, actor=actor_of(course["teacher_id"]))
        certificate = issuance.issue_certificate(course["course_id"], course["learner_ids"][0])
        certificate_id, template_id = certificate.id, broken.id
    run_jobs(app)
    (failed,) = certificates_of(app, tenant, id=certificate_id)
    assert failed.render_status == CertificateStatus.FAILED
    assert "ValidationFailed" in failed.render_error and failed.pdf_key is None

    with tenant_context(tenant, app):
        db.session.get(CertificateTemplate, template_id).html = "<h1>{{ learner_name }}</h1>"
        db.session.commit()
        assert issuance.retry_failed([certificate_id]) == [certificate_id]
    run_jobs(app)
    (ready,) = certificates_of(app, tenant, id=certificate_id)
    assert ready.render_status == CertificateStatus.READY and ready.render_error is None
    with tenant_context(tenant, app):
        assert "Αλέξανδρος Παπαδόπουλος" in pdf_text(media_storage().open(ready.pdf_key).read())


def test_many_completions_are_rendered_in_batches(app, tenant, certificate_course):
    """Each batch is one job: 120 certificates queued together start 3 jobs, not 120."""
    course = certificate_course
    with tenant_context(tenant, app):
        learner_ids = [make_user(app, tenant, "student", first_name=f"L{n}") for n in range(120)]
        for learner_id in learner_ids:
            db.session.add(
                Certificate(
                    code=f"TEST-{learner_id:04d}-BTCH"[:14],
                    user_id=learner_id,
                    course_id=course["course_id"],
                    holder_name=f"L{learner_id}",
                    course_title="Ethics of Data",
                    completed_at=datetime(2026, 1, 1),
                    render_status=CertificateStatus.PENDING,
                )
            )
        db.session.commit()
        ids = db.session.scalars(sa.select(Certificate.id)).all()
        queue = get_queue()
        before = queue.count
        issuance.queue_render(ids)
        assert queue.count - before == 3
    run_jobs(app)
    assert {row.render_status for row in certificates_of(app, tenant)} == {CertificateStatus.READY}
