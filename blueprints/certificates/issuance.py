"""Issuing certificates, and the job that makes each one's PDF, signs it and stores it.

`issue_certificate` writes the row (pending), the `issued` entry of the issuance log and the
`certificate.issued` event in one transaction; the partial unique index `uq_certificates_current` keeps one
current certificate per learner and course, so that a second issue racing the first finds it and gives
nothing (never a 500, never two). After the commit the certificate joins the organization's render queue (a
Redis list): one RQ job takes up to `RENDER_BATCH` ids at a time and keeps going until the list is empty, so
1 000 completions cost a few jobs (forks), not 1 000. A job renders the PDF (rendering.py, templates.py),
signs the certificate credential with `pdfSha256` of the rendered PDF (credentials.signing), embeds the token
in the PDF (credentials.offline), stores it in the media storage and marks the row ready; a failure marks it
failed with the reason, and `retry_failed` puts it back in the queue.

The credentials part (signing, ledger, offline) is reached through `credential_part(name)`: the certificates
feature asks for it when it signs or logs, by the interface names of docs/credentials.md.
"""

import calendar
import hashlib
import importlib
import importlib.util
import io
import logging
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError

from app.api.listing import ListSpec, run_list_query
from app.errors import Conflict, DomainError, NotFound, ValidationFailed
from app.events import emit_after_commit
from app.extensions import db
from app.jobs import enqueue, redis_connection
from app.security.actor import current_actor
from app.security.actor_ids import NOBODY, actor_ids
from app.storage import media_storage
from app.tenancy.context import current_tenant, require_tenant, tenant_context
from app.tenancy.models import utcnow
from app.tenancy.resolution import active_tenants
from blueprints.branches.queries import people_of
from blueprints.certificates import rendering, settings, templates
from blueprints.certificates.models import Certificate, CertificateStatus
from blueprints.courses import access
from blueprints.courses.models import Course
from blueprints.courses.services import manageable_courses
from blueprints.learning import queries as learning
from blueprints.privacy.queries import is_erased
from blueprints.users.queries import names_of
from blueprints.users.services import get_user

log = logging.getLogger(__name__)

RENDER_BATCH = 50
FLAG_SECONDS = 600  # a job that died with the flag up: the next issue after this starts one
CODE_ATTEMPTS = 5
KEEP = object()  # issue_certificate's expiry: the course's validity from the issue date
PDF_LIMIT_BYTES = 20 * 1024 * 1024
CREDENTIAL_INTERFACE = (
    ("keys", "active_key"),
    ("signing", "sign"),
    ("ledger", "append"),
    ("offline", "embed_credential"),
)
CREDENTIAL_TYPE = ["VerifiableCredential", "TesseraCertificate"]
ERASED_COPIES = (
    "The holder's data was erased at their request: the organization keeps no copy of this certificate's PDF or "
    "credential. The certificate still verifies on its verification page, and the holder's own copy offline."
)
ERASED_RENDER = "The holder's data was erased at their request: no PDF is made for this certificate."


class StoredCopyErased(DomainError):
    """The organization deleted its copies (PDF, credential) when the holder was erased: gone for good."""

    status, code = 410, "HOLDER_ERASED"


def credential_part(name):
    """`blueprints.credentials.<name>` (signing, ledger, offline): the keys, the log and the PDF embedding."""
    return importlib.import_module(f"blueprints.credentials.{name}")


def credentials_ready():
    """Whether the credentials part's interface (signing, the log, the PDF embedding) is all there: certificates
    are issued only with it."""
    for name, function in CREDENTIAL_INTERFACE:
        if importlib.util.find_spec(f"blueprints.credentials.{name}") is None:
            return False
        if not hasattr(credential_part(name), function):
            return False
    return True


def current_certificate(course_id, user_id):
    return db.session.scalar(
        sa.select(Certificate).where(
            Certificate.course_id == course_id,
            Certificate.user_id == user_id,
            Certificate.superseded_at.is_(None),
            Certificate.revoked_at.is_(None),
        )
    )


def holder_name(user):
    """The name a certificate carries: the person's name; for someone who gave none, the part of their e-mail
    before the @ (the certificate is public when shared: never the whole address)."""
    return f"{user.first_name or ''} {user.last_name or ''}".strip() or user.email.split("@")[0]


def add_months(moment, months):
    """The same day `months` later (the month's last day when it is shorter: 31 January + 1 = 28/29 February)."""
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    return moment.replace(year=year, month=month, day=min(moment.day, calendar.monthrange(year, month)[1]))


def _naive(moment):
    return moment.replace(tzinfo=None) if moment is not None and moment.tzinfo else moment


def issue_certificate(course_id, user_id, *, issued_by=NOBODY, completed_at=None, expires_at=KEEP, commit=True):
    """A new certificate for this learner and course, pending its PDF; None when the course gives none or the
    learner already holds a current one (also when another issue of the same got there first).

    `issued_by`: the (user id, API key id) that issued it by hand or re-issued it; neither for an issue on
    completion.
    `expires_at`: given, instead of the course's validity from today (a re-issue keeps the old date).
    `commit=False`: written in the caller's transaction (a re-issue supersedes the old one in the same
    commit); the render is queued when that transaction commits, and None then also means nothing changed."""
    course_settings = settings.settings_of(course_id)
    course = db.session.get(Course, course_id)
    if course is None or not course_settings.enabled or current_certificate(course_id, user_id) is not None:
        return None
    holder = get_user(user_id)
    completed_at = _naive(completed_at) or learning.completed_at(course_id, user_id) or utcnow()
    template = templates.template_for_course(course_settings.template_id)
    for _attempt in range(CODE_ATTEMPTS):
        issued_at = utcnow()
        certificate = Certificate(
            code=rendering.new_code(),
            user_id=user_id,
            course_id=course_id,
            template_id=template.id,
            holder_name=holder_name(holder)[:200],
            course_title=course.title[:200],
            completed_at=completed_at,
            issued_at=issued_at,
            expires_at=_expiry(issued_at, course_settings.valid_months) if expires_at is KEEP else expires_at,
            issued_by_id=issued_by.user_id,
            issued_by_api_key_id=issued_by.api_key_id,
            render_status=CertificateStatus.PENDING,
            is_public=False,
        )
        savepoint = db.session.begin_nested()  # a taken code or a concurrent issue undoes this row only
        try:
            db.session.add(certificate)
            db.session.flush()
            credential_part("ledger").append(
                "issued",
                "certificate",
                certificate.id,
                {
                    "code": certificate.code,
                    "course_id": course_id,
                    "user_id": user_id,
                    "course_title": certificate.course_title,
                    "issued_at": certificate.issued_at.isoformat(),
                    "expires_at": certificate.expires_at.isoformat() if certificate.expires_at else None,
                },
                actor_user_id=issued_by.user_id,
                actor_api_key_id=issued_by.api_key_id,
                personal={"holder_name": certificate.holder_name},  # outside the chain: erasure can delete it
                person_id=user_id,
            )
            emit_after_commit(
                db.session, "certificate.issued", certificate_id=certificate.id, course_id=course_id, user_id=user_id
            )
            savepoint.commit()
        except IntegrityError:
            savepoint.rollback()
            if current_certificate(course_id, user_id) is not None:
                return None  # a concurrent issue came first: it is theirs
            continue  # the code was taken: draw another
        if not commit:
            _queue_render_after_commit(certificate.id)
            return certificate
        db.session.commit()
        queue_render([certificate.id])
        return certificate
    raise RuntimeError("No free certificate code after several draws.")


def _queue_render_after_commit(certificate_id):
    sa.event.listen(db.session(), "after_commit", lambda _session: queue_render([certificate_id]), once=True)


def _expiry(issued_at, valid_months):
    return add_months(issued_at, valid_months) if valid_months else None


def issue_by_hand(course_id, user_id, actor=current_actor):
    """A certificate issued by a course's manager for a learner of its roster (409 when they hold one)."""
    access.course_for(course_id, "manage", actor)
    if not took_course(course_id, user_id):
        raise ValidationFailed("Not a learner of this course.", {"user_id": ["Not enrolled in this course."]})
    if not settings.settings_of(course_id).enabled:
        raise ValidationFailed(
            "This course gives no certificate.", {"course_id": ["Certificates are turned off for this course."]}
        )
    certificate = issue_certificate(course_id, user_id, issued_by=actor_ids(actor.principal))
    if certificate is None:
        existing = current_certificate(course_id, user_id)
        raise Conflict(
            "This learner already holds a current certificate for this course.",
            {"certificate_id": [str(existing.id)]} if existing else None,
            code="CERTIFICATE_EXISTS",
        )
    return certificate


def took_course(course_id, user_id):
    """Enrolled in the course now, or completed it and left."""
    people = learning.enrolled_people(course_id).subquery()
    return db.session.scalar(sa.select(people.c.user_id).where(people.c.user_id == user_id).limit(1)) is not None


def learners_without_certificate(course_id, limit=1000):
    """(user id, "First Last (e-mail)") of the course's learners who hold no current certificate of it, by name:
    whom its managers may issue one to by hand (the caller checked the course)."""
    holding = sa.select(Certificate.user_id).where(
        Certificate.course_id == course_id, Certificate.superseded_at.is_(None), Certificate.revoked_at.is_(None)
    )
    people = learning.enrolled_people(course_id).subquery()
    ids = list(db.session.scalars(sa.select(people.c.user_id).where(people.c.user_id.not_in(holding)).limit(limit)))
    return sorted(names_of(ids).items(), key=lambda row: row[1].lower())


# --- the render queue --------------------------------------------------------------------------------------------


def _queue_key():
    return f"{current_app.config['RQ_QUEUE']}:certificates:render:{require_tenant().slug}"


def queue_render(certificate_ids):
    """Put certificates in the organization's render queue. A job is started when none is at work (the flag),
    and one more for every `RENDER_BATCH` queued, so that two workers share a burst."""
    if not certificate_ids:
        return
    redis = redis_connection()
    key = _queue_key()
    with redis.pipeline() as pipeline:
        pipeline.rpush(key, *certificate_ids)
        pipeline.incrby(f"{key}:count", len(certificate_ids))
        pipeline.set(f"{key}:scheduled", 1, nx=True, ex=FLAG_SECONDS)
        _length, count, scheduled = pipeline.execute()
    before = count - len(certificate_ids)
    jobs = (count - 1) // RENDER_BATCH - (before - 1) // RENDER_BATCH  # batch boundaries crossed
    if scheduled:
        jobs = max(jobs, 1)
    for _ in range(jobs):
        enqueue(current_tenant, drain_render_queue, timeout=1800)


def drain_render_queue():
    """The job: take up to `RENDER_BATCH` ids from the render queue and render them, until it is empty. Before
    it stops it lowers the flag, then looks once more: an id queued meanwhile is either seen here or found
    the flag down and started a job of its own."""
    redis = redis_connection()
    key = _queue_key()
    done = 0
    while True:
        while ids := redis.lpop(key, RENDER_BATCH):
            try:
                done += render_pending([int(raw) for raw in ids])
            except Exception:
                redis.rpush(key, *ids)  # back in the queue for the job's retry (or the next job)
                raise
        redis.delete(f"{key}:scheduled")
        if not redis.llen(key) or not redis.set(f"{key}:scheduled", 1, nx=True, ex=FLAG_SECONDS):
            return done


def render_pending(certificate_ids):
    """Render, sign, embed and store each of these certificates still pending (or failed); returns how many are
    ready. The work is done on what was read, outside any write; the outcomes (ready, or failed with the
    reason) are then written in one short transaction for the whole batch: on SQLite a transaction that read
    before another process wrote could not write at all, and one write per certificate costs a sync each."""
    templates.default_template()  # made (and the first signing key) before the batch, never inside one
    credential_part("keys").active_key()
    db.session.commit()
    rows = db.session.scalars(
        sa.select(Certificate)
        .where(Certificate.id.in_(certificate_ids), Certificate.render_status != CertificateStatus.READY)
        .order_by(Certificate.id)
    ).all()
    outcomes = {}
    for certificate in rows:
        if is_erased(certificate.user_id):  # a PDF made now would be a new copy of what the erasure deleted
            outcomes[certificate.id] = {"render_status": CertificateStatus.FAILED, "render_error": ERASED_RENDER}
            continue
        if certificate.revoked_at or certificate.superseded_at:
            # a credential signed now would pass the offline verifier, which cannot know of the revocation
            state = "revoked" if certificate.revoked_at else "replaced by a re-issue"
            outcomes[certificate.id] = {
                "render_status": CertificateStatus.FAILED,
                "render_error": f"It was {state} before its PDF was made: none is signed.",
            }
            continue
        try:
            outcomes[certificate.id] = _rendered(certificate)
        except Exception as error:  # any failure is this certificate's, recorded for a retry
            log.exception("Certificate %s could not be rendered", certificate.id)
            reason = f"{type(error).__name__}: {error}"[:500]
            outcomes[certificate.id] = {"render_status": CertificateStatus.FAILED, "render_error": reason}
    db.session.rollback()  # the reads end here; the writes begin a transaction of their own
    for certificate_id, values in outcomes.items():
        update = sa.update(Certificate).where(Certificate.id == certificate_id)
        if values["render_status"] == CertificateStatus.READY:  # revoked meanwhile: stays pending, found stale
            update = update.where(Certificate.revoked_at.is_(None), Certificate.superseded_at.is_(None))
        db.session.execute(update.values(**values))
    db.session.commit()
    return sum(values["render_status"] == CertificateStatus.READY for values in outcomes.values())


def verify_url(code):
    return credential_part("signing").absolute_url(f"/verify/{code}")


def certificate_data(certificate):
    name, logo = templates.organization_identity()
    return templates.CertificateData(
        learner_name=certificate.holder_name,
        course_title=certificate.course_title,
        completed_at=certificate.completed_at,
        issued_at=certificate.issued_at,
        expires_at=certificate.expires_at,
        code=certificate.code,
        verify_url=verify_url(certificate.code),
        organization_name=name,
        logo=logo,
    )


def rendered_pdf(certificate):
    """The certificate's PDF as rendered, before its credential is embedded."""
    template = templates.template_for_course(certificate.template_id)
    return templates.render_pdf(template, certificate_data(certificate), *templates.template_images(template))


def credential_claims(certificate, pdf_sha256):
    """The certificate credential (docs/credentials.md) before signing adds its ids and dates."""
    return {
        "type": CREDENTIAL_TYPE,
        "name": f"Certificate: {certificate.course_title}",
        "credentialSubject": {
            "type": "TesseraCertificateSubject",
            "holderName": certificate.holder_name,
            "courseTitle": certificate.course_title,
            "completionDate": certificate.completed_at.date().isoformat(),
            "certificateCode": certificate.code,
            "pdfSha256": pdf_sha256,
        },
    }


def subject_id(certificate):
    return f"urn:tessera:{require_tenant().slug}:user:{certificate.user_id}"


def _rendered(certificate):
    """The PDF made, signed, embedded and stored: the row's new values."""
    pdf = rendered_pdf(certificate)
    pdf_sha256 = hashlib.sha256(pdf).hexdigest()
    token = credential_part("signing").sign(
        credential_claims(certificate, pdf_sha256),
        subject_id=subject_id(certificate),
        credential_id=verify_url(certificate.code),
        valid_from=certificate.issued_at,
        valid_until=certificate.expires_at,
    )
    signed_pdf = credential_part("offline").embed_credential(pdf, token)
    stored = media_storage().save(require_tenant().slug, io.BytesIO(signed_pdf), PDF_LIMIT_BYTES)
    return {
        "credential_jwt": token,
        "pdf_sha256": pdf_sha256,
        "pdf_key": stored.key,
        "render_status": CertificateStatus.READY,
        "render_error": None,
    }


def retry_failed(certificate_ids):
    """Put failed certificates back in the render queue (their managers' "try again")."""
    rows = db.session.execute(
        sa.select(Certificate.id, Certificate.user_id).where(
            Certificate.id.in_(certificate_ids), Certificate.render_status == CertificateStatus.FAILED
        )
    ).all()
    ids = [row.id for row in rows if not is_erased(row.user_id)]  # an erased holder's stays failed (ERASED_RENDER)
    if ids:
        db.session.execute(
            sa.update(Certificate).where(Certificate.id.in_(ids)).values(render_status=CertificateStatus.PENDING)
        )
        db.session.commit()
        queue_render(list(ids))
    return list(ids)


def requeue_stale(older_than_minutes=15):
    """Certificates still pending long after issue (a worker died holding their ids) go back in the queue."""
    cutoff = utcnow() - timedelta(minutes=older_than_minutes)
    ids = db.session.scalars(
        sa.select(Certificate.id).where(
            Certificate.render_status == CertificateStatus.PENDING, Certificate.issued_at < cutoff
        )
    ).all()
    queue_render(list(ids))
    return list(ids)


def requeue_stale_everywhere(app, older_than_minutes=15):
    """`requeue_stale` in every active organization; how many certificates went back in a queue."""
    with app.app_context():
        tenants = active_tenants()
    queued = 0
    for tenant in tenants:
        try:
            with tenant_context(tenant, app):
                queued += len(requeue_stale(older_than_minutes))
        except Exception:  # one organization's trouble must not stop the others' certificates
            log.exception("Queueing the stale certificates of %s failed", tenant.slug)
    return queued


# --- reading ------------------------------------------------------------------------------------------------------

CERTIFICATE_LIST = ListSpec(
    filters={
        "id": Certificate.id,
        "course_id": Certificate.course_id,
        "user_id": Certificate.user_id,
        "status": Certificate.render_status,
        "code": Certificate.code,
        "issued_at": Certificate.issued_at,
        "expires_at": Certificate.expires_at,
    },
    sorts={"id": Certificate.id, "issued_at": Certificate.issued_at, "holder_name": Certificate.holder_name},
    default_sort=("-issued_at",),
    fields=frozenset(
        {"id", "code", "user_id", "course_id", "template_id", "holder_name", "course_title", "completed_at"}
        | {
            "issued_at",
            "expires_at",
            "issued_by_id",
            "issued_by_api_key_id",
            "status",
            "render_error",
            "is_public",
            "revoked_at",
        }
        | {"revocation_reason", "superseded_at", "superseded_by_id", "pdf_url", "verify_url", "pdf_sha256"}
    ),
    tiebreaker=Certificate.id,
)


def visible_certificates(actor=current_actor):
    """A select of the certificates the actor sees: all (org admins); a person's own; those of the courses they
    manage; those of the people of the branches they manage."""
    principal, scope = actor.principal, actor.scope
    stmt = sa.select(Certificate)
    if scope.organization_wide:
        return stmt
    managed = [course.id for course in manageable_courses(principal, scope)]
    conditions = [Certificate.course_id.in_(managed or [-1])]
    if principal.kind == "user":
        conditions.append(Certificate.user_id == principal.id)
    if scope.branch_ids:
        conditions.append(Certificate.user_id.in_(people_of(scope.branch_ids)))
    return stmt.where(sa.or_(*conditions))


def list_certificates(query, user_id=None, actor=current_actor):
    """A page of the certificates the actor sees (filters course_id, user_id, status, ...); `user_id`: one
    person's (to an org admin, 404 when there is no such person; to anyone else an empty page either way, so
    that the route tells nobody which ids are people)."""
    stmt = visible_certificates(actor)
    if user_id is not None:
        if actor.scope.organization_wide:
            get_user(user_id)
        stmt = stmt.where(Certificate.user_id == user_id)
    return run_list_query(db.session, stmt, query, CERTIFICATE_LIST)


def get_certificate(certificate_id, actor=current_actor):
    """A certificate the actor sees (404 otherwise, whoever's it is)."""
    certificate = db.session.scalar(visible_certificates(actor).where(Certificate.id == certificate_id))
    if certificate is None:
        raise NotFound("No such certificate.")
    return certificate


def pdf_path(certificate):
    return f"/api/v1/certificates/{certificate.id}/pdf"


def require_stored_copy(certificate):
    """410 `HOLDER_ERASED` when the erasure of its holder deleted the organization's PDF and credential."""
    if not certificate.pdf_key and not certificate.credential_jwt and is_erased(certificate.user_id):
        raise StoredCopyErased(ERASED_COPIES)


def serve_pdf(certificate):
    """The stored PDF, as a download named after the course and the code (410 once its holder was erased)."""
    require_stored_copy(certificate)
    if certificate.render_status != CertificateStatus.READY or not certificate.pdf_key:
        raise NotFound("This certificate's PDF is not ready yet.")
    name = f"certificate-{certificate.code}.pdf"
    return media_storage().serve(certificate.pdf_key, "application/pdf", name, as_attachment=False, max_age=3600)


def certificate_pdf(certificate):
    """The stored PDF (with its embedded credential); NotFound while it is not ready, 410 once erased."""
    require_stored_copy(certificate)
    if certificate.render_status != CertificateStatus.READY or not certificate.pdf_key:
        raise NotFound("This certificate's PDF is not ready yet.")
    with media_storage().open(certificate.pdf_key) as stream:
        return stream.read()


def credential_of(certificate):
    """The signed credential (VC-JWT); NotFound while it is not ready, 410 once its holder was erased."""
    require_stored_copy(certificate)
    if not certificate.credential_jwt:
        raise NotFound("This certificate's credential is not ready yet.")
    return certificate.credential_jwt


def iso(moment: datetime | None):
    return moment.isoformat() if moment else None
