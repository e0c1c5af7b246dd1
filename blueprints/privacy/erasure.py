"""Erasing a person (GDPR art. 17) by pseudonymisation, in one transaction.

The person stays a row (their enrollments, attempts and certificates keep the organization's figures and
certificates whole) but nothing in the organization's database or files names them any more: "Erased person
#<n>", an `erased-<random>@invalid` address, no password, sessions, reset links, notification address, time zone
or external id; deactivated; API keys they made revoked; their notifications, digests, settings and sign-ins
deleted; their data exports deleted; other rows that copied their name or address (certificates' holder name,
audit labels, import errors, others' notifications) rewritten with the pseudonym; what staff wrote about them in
free text (revocation reasons, a badge's reason for being given by hand) withheld; the organization's copies of
their certificates (stored PDF, signed credential) and the course archives holding one deleted; the personal
data of their issuance log entries deleted (the chain keeps its salted commitment, so every hash and published
head stays); the files of reports that may list them withdrawn. Irreversible.

Like the export, erasure spans every feature and must be all or nothing, so it writes the tables by name with
Core statements in one transaction rather than through each feature's services one commit at a time (see
docs/decisions.md, part privacy). What it cannot change: log entries written before the log kept names out of
its chain hold the name in their hashed payload; rewriting one would break every later hash and the heads
verifiers hold. They are counted in the erasure's `outcome` (`log_entries_keeping_name`) and its audit entry.
The holder's own downloaded PDF and credential still verify offline against the published keys.
"""

import secrets

import sqlalchemy as sa

from app.errors import Conflict, PermissionDenied, ValidationFailed
from app.events import emit_after_commit
from app.extensions import db
from app.security.actor import current_actor
from app.security.actor_ids import actor_ids
from app.security.permissions import ORG_ADMIN
from app.storage import delete_after_commit
from app.tenancy.models import utcnow
from blueprints.audit.erasure import pseudonymise_person
from blueprints.audit.recording import record
from blueprints.certificates.archives import withdraw_archives_holding
from blueprints.certificates.verification import forget_after_commit
from blueprints.credentials import ledger
from blueprints.privacy.contents import table
from blueprints.privacy.exports import delete_exports_of, require_permission
from blueprints.privacy.models import PersonErasure
from blueprints.privacy.queries import REASON_WITHHELD
from blueprints.reports.withdrawal import withdraw_reports_naming
from blueprints.users.models import User
from blueprints.users.services import get_user

WITHDRAWN_REASON = "A person it may list was erased at their request: run it again for a copy without them."


def erasure_of(user_id):
    return db.session.scalar(sa.select(PersonErasure).where(PersonErasure.user_id == user_id))


def _check(person, confirm_email, actor):
    if actor.kind == "user" and actor.id == person.id:
        raise PermissionDenied("You cannot erase yourself; ask another org admin.", code="CANNOT_ERASE_SELF")
    if (confirm_email or "").strip().lower() != person.email.lower():
        raise ValidationFailed(
            "Type the person's e-mail address to confirm the erasure.",
            {"confirm_email": ["Does not match the person's e-mail address."]},
        )
    if person.role == ORG_ADMIN and person.is_active:
        others = db.session.scalar(
            sa.select(sa.func.count(User.id)).where(User.role == ORG_ADMIN, User.is_active, User.id != person.id)
        )
        if not others:
            raise Conflict(
                "This is the organization's last active org admin: make someone else org admin first.",
                code="LAST_ORG_ADMIN",
            )


def erase_person(user_id, confirm_email, actor=current_actor):
    """Pseudonymise the person everywhere (see the module); returns (their erasure, erased now?). Erasing someone
    already erased changes nothing and answers the same erasure (no confirmation needed: nothing is left to
    type)."""
    require_permission(actor)
    person = get_user(user_id, actor.scope)
    done = erasure_of(person.id)
    if done is not None:
        return done, False
    _check(person, confirm_email, actor)
    by = actor_ids(actor.principal)
    erasure = PersonErasure(user_id=person.id, erased_by_id=by.user_id, erased_by_api_key_id=by.api_key_id)
    db.session.add(erasure)
    try:
        db.session.flush()
    except sa.exc.IntegrityError:  # erased by a simultaneous request: that erasure is the answer
        db.session.rollback()
        return erasure_of(person.id), False
    pseudonym = erasure.pseudonym
    old = {
        "emails": [person.email, person.notification_email],
        "names": [person.full_name, f"{person.last_name} {person.first_name}".strip()],
        "external_id": person.external_id,
    }
    new_email = f"erased-{secrets.token_hex(8)}@invalid"
    _pseudonymise_account(person, erasure.id, new_email)
    _end_access(person.id)
    _delete_personal_rows(person.id)
    _relabel_copies(person.id, old, pseudonym, new_email)
    _withhold_reasons(person.id)
    delete_exports_of(person.id)
    erasure.outcome = {
        **_delete_certificate_copies(person.id),
        **_redact_issuance_log(person.id),
        "reports_withdrawn": withdraw_reports_naming(person.id, WITHDRAWN_REASON),
    }
    pseudonymise_person(person.id, pseudonym, [*old["emails"], *old["names"]])
    record(
        "person.erased",
        target_type="user",
        target_id=person.id,
        target_label=pseudonym,
        subject_user_id=person.id,
        details={"erasure_id": erasure.id, **erasure.outcome},
    )
    emit_after_commit(db.session, "person.erased", user_id=person.id, erasure_id=erasure.id)
    db.session.commit()
    return erasure, True


def _pseudonymise_account(person, number, new_email):
    person.first_name, person.last_name, person.email = "Erased person", f"#{number}", new_email
    person.notification_email = person.external_id = person.time_zone = None
    person.password_hash, person.invited_at, person.is_active = None, None, False
    person.archived_by_run_id = None  # erased, whatever deactivated them before


def _end_access(user_id):
    """No way in: tokens, reset links and sign-ins deleted, API keys they made revoked."""
    for name in ("refresh_tokens", "password_reset_tokens", "sign_ins"):
        rows = table(name)
        db.session.execute(sa.delete(rows).where(rows.c.user_id == user_id))
    keys = table("api_keys")
    db.session.execute(
        sa.update(keys).where(keys.c.created_by_id == user_id, keys.c.revoked_at.is_(None)).values(revoked_at=utcnow())
    )


def _delete_personal_rows(user_id):
    """What is only about them and counts for nobody else: their notifications, digests and settings."""
    for name in ("notifications", "notification_digests", "notification_settings"):
        rows = table(name)
        db.session.execute(sa.delete(rows).where(rows.c.user_id == user_id))


def _relabel_copies(user_id, old, pseudonym, new_email):
    """Rows that copied the person's name or address when they were written."""
    certificates = table("certificates")
    codes = db.session.scalars(sa.select(certificates.c.code).where(certificates.c.user_id == user_id)).all()
    db.session.execute(sa.update(certificates).where(certificates.c.user_id == user_id).values(holder_name=pseudonym))
    if codes:
        forget_after_commit(*codes)  # the verification cache holds the old name for a while otherwise
    typed = [value for value in (*old["emails"], old["external_id"]) if value]
    for name in ("user_import_errors", "roster_sync_errors"):  # a row of a file that named them
        rows = table(name)
        db.session.execute(sa.update(rows).where(rows.c.value.in_(typed)).values(value=new_email))
    notifications = table("notifications")  # others' notifications naming them (an announcement's author)
    for label in sorted({*old["names"], *old["emails"]} - {None, ""}, key=len, reverse=True):
        for column in ("subject", "body"):
            target = notifications.c[column]
            db.session.execute(
                sa.update(notifications)
                .where(target.contains(label, autoescape=True))
                .values({column: sa.func.replace(target, label, pseudonym)})
            )


def _withhold_reasons(user_id):
    """What staff wrote about the person in free text (why a certificate or a badge was revoked, why a badge was
    given by hand) may name them or say more than a pseudonym should: replaced by a sentence saying it was
    withheld. The revocation itself stays, and verifies as revoked."""
    for name, columns in (("certificates", ("revocation_reason",)), ("badge_awards", ("revocation_reason", "reason"))):
        rows = table(name)
        for column in columns:
            target = rows.c[column]
            db.session.execute(
                sa.update(rows)
                .where(rows.c.user_id == user_id, target.is_not(None), target != "")
                .values({column: REASON_WITHHELD})
            )
    audit = table("audit_events")  # a certificate's revocation entry carries its reason too (Core: the mapper
    # refuses changes); a badge's revocation records no audit entry
    entries = db.session.execute(
        sa.select(audit.c.id, audit.c.details).where(
            audit.c.subject_user_id == user_id, audit.c.action == "certificate.revoked"
        )
    ).all()
    for entry in entries:
        if (entry.details or {}).get("reason"):
            details = {**entry.details, "reason": REASON_WITHHELD}
            db.session.execute(sa.update(audit).where(audit.c.id == entry.id).values(details=details))


def _ids_of(name, user_id):
    rows = table(name)
    return list(db.session.scalars(sa.select(rows.c.id).where(rows.c.user_id == user_id)))


def _delete_certificate_copies(user_id):
    """The organization's copies of their certificates: each stored PDF (file deleted) and signed credential
    (cleared); the row, its status and its verify page stay. The holder's own copy still verifies offline against
    the published keys. Course archives (ZIPs naming every holder) made before, or being made, are withdrawn as well."""
    certificates = table("certificates")
    mine = sa.and_(certificates.c.user_id == user_id, certificates.c.pdf_key.is_not(None))
    keys = list(db.session.scalars(sa.select(certificates.c.pdf_key).where(mine)))
    db.session.execute(
        sa.update(certificates).where(certificates.c.user_id == user_id).values(pdf_key=None, credential_jwt=None)
    )
    delete_after_commit(keys)
    archives = withdraw_archives_holding(user_id)
    return {"certificate_copies_deleted": len(keys), "certificate_archives_withdrawn": archives}


def _redact_issuance_log(user_id):
    """Their log entries lose their personal data (the chain keeps the commitment); entries written before the
    log kept names out of its chain cannot, and are counted (module docstring)."""
    return {
        "log_entries_redacted": ledger.erase_personal_data(user_id),
        "log_entries_keeping_name": ledger.entries_naming(
            {"certificate": _ids_of("certificates", user_id), "badge_award": _ids_of("badge_awards", user_id)}
        ),
    }
