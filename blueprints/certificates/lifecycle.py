"""A certificate's life after issue: who may see it, revocation, re-issue after a name change, expiry and renewal.

Who may do what (docs/credentials.md): the holder sees and shares their own; the course's managers and org
admins see, revoke and re-issue a course's certificates; a branch manager sees those of their branches'
people. Anyone else is told the certificate does not exist.

Every change is one transaction with its issuance-log entries and its event; the cached verification is
dropped after the commit, so the public page tells the change at once.

Expiry: a certificate past `expires_at` verifies as expired. Completing the course again renews it (the
expired one is superseded by a new one: `renew_on_completion`, which `renewals.py` subscribes to
`course.completed`).
Notifications (issue 15) will tell learners before expiry: `expiring_certificates(days)` is the query to
call from a daily job; nothing emits an "expiring" event yet.
"""

import re
from datetime import timedelta

import sqlalchemy as sa
from anyascii import anyascii

from app.api.listing import Page
from app.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from app.events import emit_after_commit
from app.extensions import db
from app.security.actor import current_actor
from app.security.actor_ids import NOBODY, actor_ids
from app.storage import media_storage
from app.tenancy.models import utcnow
from blueprints.audit.recording import record
from blueprints.branches.queries import people_of
from blueprints.certificates import issuance, verification
from blueprints.certificates.models import Certificate, CertificateStatus
from blueprints.courses import access
from blueprints.courses import services as courses
from blueprints.credentials import ledger
from blueprints.privacy.queries import is_erased, withheld_if_erased

MAX_REASON = 500
EXPIRING_DAYS = 30
MAX_NAME = 60
SUBJECT = "certificate"


def safe_file_name(holder_name, code):
    """`Zoë O'Brien`, `7KQ2-M9XD-4TPA` -> `Zoe-O-Brien-7KQ2-M9XD-4TPA.pdf`: ASCII letters, digits and dashes
    (names in any script are transliterated), never a path."""
    name = re.sub(r"[^A-Za-z0-9]+", "-", anyascii(holder_name or "")).strip("-")[:MAX_NAME].strip("-")
    return f"{name or 'certificate'}-{re.sub(r'[^A-Za-z0-9-]', '', code)}.pdf"


def current_certificates():
    """A select of the certificates that are neither revoked nor superseded (valid or expired)."""
    return sa.select(Certificate).where(Certificate.revoked_at.is_(None), Certificate.superseded_at.is_(None))


def sees(certificate, actor=current_actor):
    """Whether the actor may see this certificate: its holder, the course's managers and org admins, a
    branch manager for the people of their branches."""
    if not actor.is_authenticated:
        return False
    if actor.kind == "user" and actor.id == certificate.user_id:
        return True
    if actor.scope.organization_wide:
        return True
    try:
        course = access.course_for(certificate.course_id, "see", actor)
    except NotFound:
        course = None
    if course is not None and courses.can_manage(course, actor.principal, actor.scope):
        return True
    return bool(actor.scope.branch_ids) and bool(
        db.session.scalar(sa.select(sa.literal(certificate.user_id).in_(people_of(actor.scope.branch_ids))))
    )


def not_found():
    raise NotFound("No such certificate.")


def course_of(course_id, actor=current_actor):
    """The course of a certificate or archive, as the actor sees it (for a page's heading)."""
    return access.course_for(course_id, "see", actor)


def certificate_for(certificate_id, need="see", actor=current_actor):
    """A certificate the actor sees (else 404), checked for `need`: "see", "own" (its holder: 403 for the
    staff who see it) or "manage" (the course's managers and org admins: 403 for others who see it)."""
    certificate = db.session.get(Certificate, certificate_id)
    if certificate is None or not sees(certificate, actor):
        not_found()
    if need == "own" and not (actor.kind == "user" and actor.id == certificate.user_id):
        raise PermissionDenied("Only its holder can change who sees a certificate.", code="NOT_HOLDER")
    if need == "manage" and not actor.scope.organization_wide:
        try:
            access.course_for(certificate.course_id, "manage", actor)
        except NotFound:
            raise PermissionDenied(
                "Only the course's teachers and managers can change its certificates.", code="NOT_COURSE_MANAGER"
            ) from None
    return certificate


def _clean_reason(reason):
    reason = " ".join((reason or "").split())
    if not reason:
        raise ValidationFailed("Say why the certificate is revoked.", {"reason": ["Give a reason."]})
    if len(reason) > MAX_REASON:
        raise ValidationFailed("The reason is too long.", {"reason": [f"At most {MAX_REASON} characters."]})
    return reason


def _retire(certificate, **values):
    """Mark a current certificate revoked or superseded, in one conditional UPDATE: of two concurrent
    requests one wins and the other is told it came second (409), and the log gets one entry."""
    changed = db.session.execute(
        sa.update(Certificate)
        .where(Certificate.id == certificate.id, Certificate.revoked_at.is_(None), Certificate.superseded_at.is_(None))
        .values(**values)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not changed:
        db.session.rollback()
        db.session.refresh(certificate)
        state = "revoked" if certificate.revoked_at else "replaced by a re-issue"
        raise Conflict(f"This certificate was already {state}.", code="CERTIFICATE_NOT_CURRENT")
    db.session.refresh(certificate)


def revoke(certificate_id, reason, actor=current_actor):
    """Revoke a certificate with a reason: it verifies as revoked from now on, with the date and the reason."""
    reason = _clean_reason(reason)
    certificate = certificate_for(certificate_id, "manage", actor)
    reason = withheld_if_erased(certificate.user_id, reason)
    by = actor_ids(actor.principal)
    now = utcnow()
    _retire(
        certificate,
        revoked_at=now,
        revoked_by_id=by.user_id,
        revoked_by_api_key_id=by.api_key_id,
        revocation_reason=reason,
    )
    ledger.append(
        "revoked",
        SUBJECT,
        certificate.id,
        {"code": certificate.code, "revoked_at": now.isoformat()},
        actor_user_id=by.user_id,
        actor_api_key_id=by.api_key_id,
        personal={"reason": reason},  # free text about the holder: outside the chain, erasable with them
        person_id=certificate.user_id,
    )
    emit_after_commit(
        db.session,
        "certificate.revoked",
        certificate_id=certificate.id,
        course_id=certificate.course_id,
        user_id=certificate.user_id,
    )
    record(
        "certificate.revoked",
        target_type="certificate",
        target_id=certificate.id,
        target_label=certificate.code,
        subject_user_id=certificate.user_id,
        details={"course_id": certificate.course_id, "reason": reason},
        actor=actor,
    )
    verification.forget_after_commit(certificate.code)
    db.session.commit()
    return certificate


def _replace(old, by, *, completed_at, expires_at_from_old):
    """Supersede `old` and issue its successor, `by` (user id, API key id) who re-issued it; None (and nothing
    changed) when the course gives none. All of it (the supersede, the new row, the link, the log entries) is
    written in the caller's one commit."""
    now = utcnow()
    _retire(old, superseded_at=now)
    new = issuance.issue_certificate(
        old.course_id,
        old.user_id,
        issued_by=by,
        completed_at=completed_at,
        # a new name is not a new completion: the validity stays
        expires_at=old.expires_at if expires_at_from_old else issuance.KEEP,
        commit=False,
    )
    if new is None:  # the course gives none any more (or a concurrent issue won): nothing changes
        db.session.rollback()
        return None
    old.superseded_by_id = new.id
    db.session.flush()
    actor = {"actor_user_id": by.user_id, "actor_api_key_id": by.api_key_id}
    ledger.append("superseded", SUBJECT, old.id, {"code": old.code, "superseded_by": new.code}, **actor)
    ledger.append(
        "reissued",
        SUBJECT,
        new.id,
        {"code": new.code, "replaces": old.code},
        personal={"holder_name": new.holder_name},
        person_id=new.user_id,
        **actor,
    )
    return new


def reissue(certificate_id, actor=current_actor):
    """A new certificate with the holder's current name (after a name change); the old one verifies as
    superseded, naming the new one. The new one keeps the old one's completion and expiry dates."""
    old = certificate_for(certificate_id, "manage", actor)
    if is_erased(old.user_id):  # a new certificate would carry only the pseudonym, and a new copy to keep
        raise Conflict("The holder's data was erased at their request: it cannot be re-issued.", code="HOLDER_ERASED")
    new = _replace(old, actor_ids(actor.principal), completed_at=old.completed_at, expires_at_from_old=True)
    if new is None:
        raise Conflict("This course gives no certificate any more: it cannot be re-issued.", code="NO_CERTIFICATE")
    verification.forget_after_commit(old.code, new.code)
    db.session.commit()
    return new


def renew_on_completion(course_id, user_id, completed_at=None):
    """A learner completed a course again: an expired certificate of it is superseded by a new one (with a
    new expiry). Nothing happens when they hold a current one, or none (issuance gives the first)."""
    expired = db.session.scalar(
        current_certificates().where(
            Certificate.course_id == course_id,
            Certificate.user_id == user_id,
            Certificate.expires_at.is_not(None),
            Certificate.expires_at <= utcnow(),
        )
    )
    if expired is None:
        return None
    new = _replace(expired, NOBODY, completed_at=completed_at or utcnow(), expires_at_from_old=False)
    if new is None:
        return None
    verification.forget_after_commit(expired.code, new.code)
    db.session.commit()
    return new


def expiring_certificates(days=EXPIRING_DAYS, course_ids=None):
    """A select of the current certificates that expire within `days` from now (not those expired already),
    soonest first: the staff's "expiring" list, and the query issue 15's reminders will run."""
    now = utcnow()
    stmt = current_certificates().where(
        Certificate.expires_at.is_not(None),
        Certificate.expires_at > now,
        Certificate.expires_at <= now + timedelta(days=days),
    )
    if course_ids is not None:
        stmt = stmt.where(Certificate.course_id.in_(course_ids))
    return stmt.order_by(Certificate.expires_at, Certificate.id)


# The staff's list: a status filter over what the rows say and today.
LIST_STATUSES = ("valid", "expiring", "expired", "revoked", "superseded", "pending")
ISSUED_PAGE_SIZE = 20


def _status_condition(status, now):
    current = sa.and_(Certificate.revoked_at.is_(None), Certificate.superseded_at.is_(None))
    unexpired = sa.or_(Certificate.expires_at.is_(None), Certificate.expires_at > now)
    return {
        "valid": sa.and_(current, unexpired),
        "expiring": sa.and_(
            current, Certificate.expires_at > now, Certificate.expires_at <= now + timedelta(days=EXPIRING_DAYS)
        ),
        "expired": sa.and_(current, Certificate.expires_at <= now),
        "revoked": Certificate.revoked_at.is_not(None),
        "superseded": sa.and_(Certificate.superseded_at.is_not(None), Certificate.revoked_at.is_(None)),
        "pending": sa.and_(current, Certificate.render_status != CertificateStatus.READY),
    }[status]


def status_label(certificate, now=None):
    """valid, expired, revoked or superseded, as the verification page would say."""
    now = now or utcnow()
    if certificate.revoked_at:
        return "revoked"
    if certificate.superseded_at:
        return "superseded"
    if certificate.expires_at and certificate.expires_at <= now:
        return "expired"
    return "valid"


def issued_certificates(course_id, search="", status="", page=1, actor=current_actor):
    """A course's certificates for its staff, newest first, by holder name or code and status; with whether the
    actor may change them (its managers) or only see those of their branches' people (a branch manager)."""
    course, branch_ids = access.roster_for(course_id, actor)
    stmt = sa.select(Certificate).where(Certificate.course_id == course.id)
    if branch_ids is not None:
        stmt = stmt.where(Certificate.user_id.in_(people_of(branch_ids)))
    words = " ".join((search or "").split())[:100]
    if words:
        plain = verification.normalized_code(words)
        by_code = [Certificate.code.ilike(f"%{verification.display_code(plain)}%")] if plain else []
        stmt = stmt.where(sa.or_(Certificate.holder_name.ilike(f"%{words}%"), *by_code))
    if status in LIST_STATUSES:
        stmt = stmt.where(_status_condition(status, utcnow()))
    total = db.session.scalar(sa.select(sa.func.count()).select_from(stmt.subquery()))
    page = max(1, min(page, max(1, -(-total // ISSUED_PAGE_SIZE))))
    items = db.session.scalars(
        stmt.order_by(Certificate.issued_at.desc(), Certificate.id.desc())
        .limit(ISSUED_PAGE_SIZE)
        .offset((page - 1) * ISSUED_PAGE_SIZE)
    ).all()
    return course, branch_ids is None, Page(items, page, ISSUED_PAGE_SIZE, total)


def serve_pdf(certificate_id, actor=current_actor):
    """A certificate's PDF, to whoever may see the certificate (a download named `<holder>-<code>.pdf`)."""
    certificate = certificate_for(certificate_id, "see", actor)
    issuance.require_stored_copy(certificate)
    if certificate.render_status != CertificateStatus.READY or not certificate.pdf_key:
        raise NotFound("This certificate's PDF is still being made; try again in a minute.")
    name = safe_file_name(certificate.holder_name, certificate.code)
    return media_storage().serve(certificate.pdf_key, "application/pdf", name, as_attachment=True)
