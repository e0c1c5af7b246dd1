"""Certificate rows for the verification, lifecycle, sharing and archive tests, made straight from the models
(issuance renders and signs real ones: tests/support/certificates.py), with a stored PDF when asked."""

import io
import secrets
from datetime import timedelta

from app.extensions import db
from app.security.actor import Actor
from app.storage import media_storage
from app.tenancy.context import require_tenant, tenant_context
from app.tenancy.models import utcnow
from blueprints.certificates import archives
from blueprints.certificates.lifecycle import current_certificates
from blueprints.certificates.models import Certificate, CertificateStatus
from blueprints.credentials import ledger
from blueprints.users.services import find_user_by_email, principal_for_user

CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"


def new_code():
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(12))
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


def certificate_row(course_id, user_id, *, holder_name="Ada Byron", course_title="Physics", pdf=None, **fields):
    """A ready certificate (inside the tenant), logged as issued; with `pdf` bytes, stored like a real one."""
    now = utcnow()
    values = {
        "code": new_code(),
        "holder_name": holder_name,
        "course_title": course_title,
        "completed_at": now - timedelta(days=1),
        "issued_at": now - timedelta(days=1),
        "render_status": CertificateStatus.READY,
    } | fields
    if pdf is not None:
        stored = media_storage().save(require_tenant().slug, io.BytesIO(pdf), len(pdf) + 1)
        values |= {"pdf_key": stored.key, "pdf_sha256": stored.sha256}
    certificate = Certificate(course_id=course_id, user_id=user_id, **values)
    db.session.add(certificate)
    db.session.flush()
    ledger.append("issued", "certificate", certificate.id, {"code": certificate.code})
    db.session.commit()
    return certificate


def make_certificate(app, tenant, course_id, user_id, **fields):
    """`certificate_row` from outside the tenant: returns (id, code)."""
    with tenant_context(tenant, app):
        certificate = certificate_row(course_id, user_id, **fields)
        return certificate.id, certificate.code


def demo_certificate_ids(course_id, student_id, teacher_email):
    """Inside the demo tenant: `code` and `certificate_id` of the student's current certificate of the course
    (made here when the demo has none), and `archive_id` of a ZIP of the course's certificates the teacher asked
    for (its job runs with the crawler's `run_jobs`)."""
    certificate = db.session.scalar(
        current_certificates().where(Certificate.course_id == course_id, Certificate.user_id == student_id)
    )
    if certificate is None:
        certificate = certificate_row(
            course_id, student_id, holder_name="Sam Student", course_title="Getting started", pdf=b"%PDF-1.4 demo"
        )
    teacher = principal_for_user(find_user_by_email(teacher_email).id)
    archive = archives.request_archive(course_id, Actor(teacher))
    return {"code": certificate.code, "certificate_id": certificate.id, "archive_id": archive.id}


def seed_certificates(courses, learners):
    """The escalation matrix's certificates (inside the tenant): `cert1` of learners["c1"] in courses["c1"], and
    so on for each key (`cert_org` for "c_org"); with a stored PDF each."""
    ids = {}
    for key, course in courses.items():
        certificate = certificate_row(course.id, learners[key], course_title=course.title, pdf=b"%PDF-1.4 matrix")
        ids[f"cert{key[1:]}" if key != "c_org" else "cert_org"] = certificate.id
    return ids
