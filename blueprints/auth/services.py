"""Signing in and out, token rotation, registration and password resets."""

import json
import logging
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from app.errors import (
    BadRequest,
    Conflict,
    NotFound,
    PermissionDenied,
    TooManyRequests,
    Unauthorized,
    ValidationFailed,
)
from app.events import emit_after_commit
from app.extensions import db
from app.jobs import enqueue, redis_connection
from app.mail import build_message, send_mail_later, send_many, send_now
from app.security import lockout
from app.security.operators import (
    authenticate_operator,
    close_operator_sign_in,
    open_operator_sign_in,
)
from app.security.operators import record_refused_sign_in as record_refused_operator_sign_in
from app.security.passwords import hash_password, password_problems, verify_password
from app.security.permissions import PLATFORM_OPERATOR, STUDENT
from app.security.principal import try_current_principal
from app.security.tokens import issue_access_token, new_opaque_token, new_session_id, token_digest
from app.tenancy.context import require_tenant
from app.tenancy.models import utcnow
from blueprints.audit.models import AuditOutcome
from blueprints.audit.recording import as_person, record
from blueprints.auth.models import PasswordResetToken, RefreshToken, SignIn
from blueprints.users.models import User
from blueprints.users.services import authenticate, create_user, find_user_by_email, get_user, normalize_email

log = logging.getLogger(__name__)


def _invalid_credentials():
    return Unauthorized("Invalid e-mail or password.", code="INVALID_CREDENTIALS")


def check_password_policy(password, email, field="password"):
    problems = password_problems(password, email)
    if problems:
        raise ValidationFailed("The password does not meet the policy.", {field: problems})


# --- sign in -----------------------------------------------------------------------------------


def authenticate_for_tenant(email, password, tenant, via="page"):
    """The active user of `tenant` with these credentials; 401 otherwise, 429 while slowed down. Both outcomes
    are in the audit trail; a refusal's entry commits on its own (the request fails, the entry stays)."""
    try:
        attempt = lockout.begin_attempt(tenant.slug, email)
    except TooManyRequests as refusal:
        _record_refused_sign_in(email, "locked_out", via, refusal.code)
        raise
    user = authenticate(email, password)
    if user is None:
        _record_refused_sign_in(email, None, via)
        if attempt.owner_should_be_warned():
            # Queued for known and unknown addresses alike: the job looks the person up.
            enqueue(tenant, "blueprints.auth.jobs.warn_of_failed_sign_ins", email)
        raise _invalid_credentials()
    attempt.succeeded()
    user.last_login_at = utcnow()
    _record_own("auth.signed_in", user, {"via": via})
    db.session.commit()
    return user


def _record_own(action, user, details):
    """An audit entry about a person, by that person (a sign-in, a password change, a sign-up)."""
    _record_about(action, user, details, actor=as_person(user))


def _record_about(action, user, details, actor=None):
    """An audit entry about a person; by `actor`, or the request's (an admin editing someone's profile)."""
    record(
        action,
        target_type="user",
        target_id=user.id,
        target_label=user.email,
        subject_user_id=user.id,
        details=details,
        actor=actor,
    )


def _record_refused_sign_in(email, reason, via, code=None):
    """One committed `auth.sign_in_failed` entry: why (wrong password, unknown account, inactive, locked out) and
    the address as typed; the account, when there is one, is its subject."""
    typed = (email or "").strip()
    user = find_user_by_email(typed) if typed else None
    if reason is None:
        reason = "unknown_account" if user is None else "inactive" if not user.is_active else "wrong_password"
    details = {"reason": reason, "via": via} | ({"code": code} if code else {})
    record(
        "auth.sign_in_failed",
        outcome=AuditOutcome.FAILURE,
        target_type="user",
        target_id=None if user is None else user.id,
        target_label=typed,
        subject_user_id=None if user is None else user.id,
        details=details,
        commit=True,
    )


def authenticate_operator_or_fail(email, password, via="page"):
    """The active operator with these credentials; 401 otherwise, 429 while slowed down. A refusal is in the
    platform's audit trail, committed on its own; the sign-in itself when it opens."""
    try:
        attempt = lockout.begin_attempt("platform", email)
    except TooManyRequests as refusal:
        record_refused_operator_sign_in(email, via, "locked_out", refusal.code)
        raise
    operator = authenticate_operator(email, password)
    if operator is None:
        record_refused_operator_sign_in(email, via)
        raise _invalid_credentials()
    attempt.succeeded()
    return operator


def sign_in_after_registration(user, user_agent=None):
    """The first sign-in of a person who just confirmed their sign-up: recorded like any other (committed)."""
    _record_own("auth.signed_in", user, {"via": "registration"})
    return open_sign_in(user.id, "page", user_agent, commit=True)


def open_sign_in(user_id, kind, user_agent=None, commit=False):
    """Record a new sign-in (a browser session or an API login); without `commit`, the caller commits."""
    sign_in = SignIn(id=new_session_id(), user_id=user_id, kind=kind, user_agent=(user_agent or "")[:200] or None)
    db.session.add(sign_in)
    emit_after_commit(db.session, "auth.signed_in", user_id=user_id, kind=kind)
    if commit:
        db.session.commit()
    return sign_in.id


def close_sign_in(sign_in_id):
    """Sign out: the sign-in, its refresh tokens and every access token or cookie naming it stop working."""
    if sign_in_id:
        sign_in = db.session.get(SignIn, sign_in_id)
        if sign_in is not None and sign_in.revoked_at is None:  # an ended sign-in is not signed out of twice
            person = db.session.get(User, sign_in.user_id)
            if person is not None:
                _record_own("auth.signed_out", person, {"via": sign_in.kind})
        _revoke_family(sign_in_id)
        db.session.commit()


def access_token_for(user_id, roles, tenant):
    """An access token of a new API sign-in of a person, without a password (benchmarks, tests, tools)."""
    sign_in_id = open_sign_in(user_id, "api", commit=True)
    return issue_access_token(user_id, tenant.id, tuple(roles), sign_in_id)[0]


def open_sign_ins(user_id, limit=20):
    """A person's open sign-ins, newest first (for "where am I signed in")."""
    return db.session.scalars(
        sa.select(SignIn)
        .where(SignIn.user_id == user_id, SignIn.revoked_at.is_(None))
        .order_by(SignIn.created_at.desc())
        .limit(limit)
    ).all()


def sign_out_elsewhere(user_id, current_sign_in_id):
    """End every sign-in of a person but this one (a lost phone, a shared computer)."""
    revoke_all_sessions(user_id, keep=current_sign_in_id)
    db.session.commit()


def end_current_sign_in():
    """Close the sign-in of this request's principal (page cookie or access token), whoever it is."""
    principal = try_current_principal()
    if principal is None or not principal.session_id:
        return
    if principal.kind == "operator":
        close_operator_sign_in(principal.session_id)
    elif principal.kind == "user":
        close_sign_in(principal.session_id)


def _issue_refresh_token(user_id, family):
    token = new_opaque_token()
    db.session.add(
        RefreshToken(
            user_id=user_id,
            family=family,
            token_hash=token_digest(token),
            expires_at=utcnow() + timedelta(days=current_app.config["REFRESH_TOKEN_DAYS"]),
        )
    )
    return token


def _token_pair(user, tenant, family=None, user_agent=None):
    """A new access token and refresh token; without `family`, a new API sign-in."""
    family = family or open_sign_in(user.id, "api", user_agent)
    access, expires_in = issue_access_token(user.id, tenant.id, (user.role,), family)
    refresh = _issue_refresh_token(user.id, family)
    db.session.commit()
    return {"access_token": access, "refresh_token": refresh, "token_type": "Bearer", "expires_in": expires_in}


def login(email, password, tenant, user_agent=None):
    """Access and refresh tokens for a tenant user; an access token for a platform operator."""
    if tenant is None:
        operator = authenticate_operator_or_fail(email, password, via="api")
        sign_in_id = open_operator_sign_in(operator.id, "api", user_agent)
        access, expires_in = issue_access_token(operator.id, None, (PLATFORM_OPERATOR,), sign_in_id)
        return {"access_token": access, "refresh_token": None, "token_type": "Bearer", "expires_in": expires_in}
    return _token_pair(authenticate_for_tenant(email, password, tenant, via="api"), tenant, user_agent=user_agent)


def _revoke_family(family):
    """End one sign-in: its refresh tokens, and (through the sign-in row) its access tokens and cookie."""
    now = utcnow()
    db.session.execute(
        sa.update(RefreshToken)
        .where(RefreshToken.family == family, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    db.session.execute(sa.update(SignIn).where(SignIn.id == family, SignIn.revoked_at.is_(None)).values(revoked_at=now))


def refresh(refresh_token, tenant):
    """Spend a refresh token for a new pair. A spent token presented again revokes its family."""
    if tenant is None:
        raise Unauthorized("Refresh tokens belong to an organization's host.", code="INVALID_REFRESH_TOKEN")
    record = db.session.scalar(sa.select(RefreshToken).where(RefreshToken.token_hash == token_digest(refresh_token)))
    refused = (
        "unknown_token"
        if record is None
        else "revoked"
        if record.revoked_at is not None
        else "expired"
        if record.expires_at <= utcnow()
        else None
    )
    if refused:
        _record_refused_refresh(record, refused, commit=True)
        raise Unauthorized("Invalid or expired refresh token.", code="INVALID_REFRESH_TOKEN")
    # Spend it atomically: of two concurrent refreshes with one token, exactly one wins.
    spent = db.session.execute(
        sa.update(RefreshToken)
        .where(RefreshToken.id == record.id, RefreshToken.used_at.is_(None))
        .values(used_at=utcnow())
    )
    if spent.rowcount != 1:
        # A token that was already rotated came back: someone holds a copy. End the whole sign-in.
        db.session.rollback()
        _revoke_family(record.family)
        emit_after_commit(db.session, "auth.refresh_token_reused", user_id=record.user_id)
        _record_refused_refresh(record, "reused")
        db.session.commit()
        raise Unauthorized("This refresh token was already used; the session is revoked.", code="REFRESH_TOKEN_REUSED")
    user = db.session.get(User, record.user_id)
    if user is None or not user.is_active:
        _revoke_family(record.family)
        _record_refused_refresh(record, "inactive")
        db.session.commit()
        raise Unauthorized("The account is no longer active.", code="INVALID_REFRESH_TOKEN")
    return _token_pair(user, tenant, family=record.family)


def _record_refused_refresh(token, reason, commit=False):
    """An `auth.refresh_refused` entry: why (unknown_token, revoked, expired, reused: the sign-in is then revoked,
    inactive), about the token's holder when the token is known. Successful refreshes are not recorded."""
    user = db.session.get(User, token.user_id) if token is not None else None
    record(
        "auth.refresh_refused",
        outcome=AuditOutcome.FAILURE,
        target_type="user",
        target_id=None if user is None else user.id,
        target_label="" if user is None else user.email,
        subject_user_id=None if user is None else user.id,
        details={"reason": reason, "sign_in_revoked": reason in ("reused", "inactive")},
        actor=None if user is None else as_person(user),
        commit=commit,
    )


def logout(refresh_token):
    """Revoke the family of `refresh_token` (every token of that sign-in); unknown tokens are ignored."""
    if not refresh_token:
        return
    record = db.session.scalar(sa.select(RefreshToken).where(RefreshToken.token_hash == token_digest(refresh_token)))
    if record is not None:
        close_sign_in(record.family)


def revoke_all_sessions(user_id, keep=None):
    """End every sign-in of a person (pages and API), but `keep` (the one changing the password); the caller
    commits."""
    now = utcnow()
    tokens = sa.update(RefreshToken).where(RefreshToken.user_id == user_id, RefreshToken.revoked_at.is_(None))
    sign_ins = sa.update(SignIn).where(SignIn.user_id == user_id, SignIn.revoked_at.is_(None))
    if keep:
        tokens, sign_ins = tokens.where(RefreshToken.family != keep), sign_ins.where(SignIn.id != keep)
    db.session.execute(tokens.values(revoked_at=now))
    db.session.execute(sign_ins.values(revoked_at=now))


# --- self-registration ---------------------------------------------------------------------------


def register(data, tenant):
    """A new student account, when the organization allows self-registration."""
    if not (tenant.settings or {}).get("self_registration"):
        raise PermissionDenied("This organization does not allow self-registration.", code="REGISTRATION_CLOSED")
    check_password_policy(data["password"], data["email"])
    user = create_user(
        data["email"],
        STUDENT,
        data.get("first_name", ""),
        data.get("last_name", ""),
        password=data["password"],
        commit=False,
    )
    db.session.flush()
    emit_after_commit(db.session, "user.registered", user_id=user.id)
    _record_self_registration(user)
    db.session.commit()
    return _token_pair(user, tenant)


# Sign-up on the page: the answer never says whether the address has an account. The request checks the
# password and queues one job whatever the address; the job mails either a confirmation link or, to an
# existing account, a note saying so. The account exists once the link is used: until then the sign-up
# waits in Redis under the digest of the link's token (a day), so nothing is written for addresses that
# never confirm, and nobody can hold an address they do not read.
REGISTRATION_SECONDS = 24 * 3600


def registration_open(tenant):
    return tenant is not None and bool((tenant.settings or {}).get("self_registration"))


def _pending_key(tenant, token):
    return f"tessera:registration:{tenant.slug}:{token_digest(token)}"


def request_registration(first_name, last_name, email, password, tenant):
    """Check the sign-up and queue its e-mail; the same work and answer whether the address is taken."""
    if not registration_open(tenant):
        raise NotFound("This organization does not take sign-ups.")
    email = normalize_email(email)
    check_password_policy(password, email)
    enqueue(
        tenant,
        "blueprints.auth.jobs.send_registration_mail",
        email,
        (first_name or "").strip()[:100],
        (last_name or "").strip()[:100],
        hash_password(password),
    )


def send_registration_mail(email, first_name, last_name, password_hash):
    """In the worker: a confirmation link for a new address, a reminder for an existing account."""
    tenant = require_tenant()
    config = current_app.config
    base = f"{config['LMS_URL_SCHEME']}://{tenant.slug}.{config['LMS_BASE_DOMAIN']}"
    if find_user_by_email(email) is not None:
        text = (
            f"Hello,\n\nSomeone (we hope you) asked to create an account at {tenant.name} with this address, "
            f"which already has one. Sign in here:\n\n{base}/login\n\n"
            f"Forgot your password? Choose a new one here:\n\n{base}/forgot-password\n\n"
            "If it was not you, ignore this e-mail: nothing changed.\n"
        )
        send_now(build_message(email, f"Your {tenant.name} account", text))
        return
    token = new_opaque_token()
    pending = {"email": email, "first_name": first_name, "last_name": last_name, "password_hash": password_hash}
    redis_connection().set(_pending_key(tenant, token), json.dumps(pending), ex=REGISTRATION_SECONDS)
    text = (
        f"Hello {first_name},\n\nConfirm your new {tenant.name} account (the link works once, for a day):\n\n"
        f"{base}/register/confirm?token={token}\n\n"
        "If you did not sign up, ignore this e-mail: no account is made without this link.\n"
    )
    send_now(build_message(email, f"Confirm your {tenant.name} account", text))


def confirm_registration(token, tenant):
    """Make the account a confirmation link stands for; the link works once."""
    if not registration_open(tenant):
        raise NotFound("This organization does not take sign-ups.")
    with redis_connection().pipeline() as spend:  # read and delete in one MULTI: two clicks make one account
        raw, _ = spend.get(_pending_key(tenant, token or "")).delete(_pending_key(tenant, token or "")).execute()
    if raw is None:
        raise BadRequest(
            "This link is invalid, expired or already used. Sign up again, or sign in if you did.",
            code="INVALID_REGISTRATION_TOKEN",
        )
    pending = json.loads(raw)
    try:
        user = create_user(pending["email"], STUDENT, pending["first_name"], pending["last_name"], commit=False)
    except Conflict:
        raise Conflict("This address already has an account: sign in.", code="ALREADY_REGISTERED") from None
    user.password_hash = pending["password_hash"]
    db.session.flush()  # the event names the new id
    emit_after_commit(db.session, "user.registered", user_id=user.id)
    _record_self_registration(user)
    db.session.commit()
    return user


def _record_self_registration(user):
    _record_own("user.created", user, {"role": user.role, "self_registered": True})


# --- password reset ------------------------------------------------------------------------------


def reset_link(tenant, token):
    config = current_app.config
    return f"{config['LMS_URL_SCHEME']}://{tenant.slug}.{config['LMS_BASE_DOMAIN']}/reset-password?token={token}"


def request_password_reset_later(email, tenant):
    """Queue the reset mail: known and unknown addresses cost the request the same (one job)."""
    enqueue(tenant, "blueprints.auth.jobs.send_password_reset", email)


def request_password_reset(email, tenant):
    """Mail a single-use, one-hour reset link if the account exists; the caller learns nothing."""
    user = find_user_by_email(email or "")
    if user is None or not user.is_active or not _reset_mail_allowed(tenant.slug, user.id):
        return
    void_password_links([user.id])
    token = new_opaque_token()
    hours = current_app.config["PASSWORD_RESET_HOURS"]
    db.session.add(
        PasswordResetToken(
            user_id=user.id, token_hash=token_digest(token), expires_at=utcnow() + timedelta(hours=hours)
        )
    )
    db.session.commit()
    link = reset_link(tenant, token)
    text = (
        f"Hello {user.full_name},\n\n"
        f"Someone (we hope you) asked to reset your password for {tenant.name}.\n"
        f"Choose a new one here within {hours} hour(s); the link works once:\n\n{link}\n\n"
        "If you did not ask for this, ignore this e-mail: your password stays as it is.\n"
    )
    # The sign-in address, never the notification address: anyone who could set that one (unproven)
    # would receive the key to the account.
    send_mail_later(tenant, user.email, f"Reset your {tenant.name} password", text)


def _reset_mail_allowed(slug, user_id):
    """At most PASSWORD_RESET_MAILS_PER_HOUR reset mails to one account in an hour: the routes' limits count per
    caller, and many callers could otherwise fill one person's inbox. The first request of the hour starts it."""
    key = f"tessera:reset-mails:{slug}:{user_id}"
    with redis_connection().pipeline() as pipeline:
        pipeline.incr(key)
        pipeline.expire(key, 3600, nx=True)
        count, _ = pipeline.execute()
    if count > current_app.config["PASSWORD_RESET_MAILS_PER_HOUR"]:
        log.warning("Reset mail to user %s of %s not sent: %s asked this hour", user_id, slug, count)
        return False
    return True


def void_password_links(user_ids):
    """Unused reset and invitation links of these people stop working (without committing)."""
    db.session.execute(
        sa.update(PasswordResetToken)
        .where(PasswordResetToken.user_id.in_(user_ids), PasswordResetToken.used_at.is_(None))
        .values(used_at=utcnow())
    )


def reset_password(token, new_password):
    """Set a new password with a valid reset token; every refresh token of the user is revoked."""
    record = db.session.scalar(
        sa.select(PasswordResetToken).where(PasswordResetToken.token_hash == token_digest(token))
    )
    if record is None or record.used_at is not None or record.expires_at <= utcnow():
        raise BadRequest("This reset link is invalid, expired or already used.", code="INVALID_RESET_TOKEN")
    user = get_user(record.user_id)
    check_password_policy(new_password, user.email)
    user.password_hash = hash_password(new_password)
    record.used_at = utcnow()
    revoke_all_sessions(user.id)
    emit_after_commit(db.session, "auth.password_changed", user_id=user.id)
    _record_password_change(user, "reset_link")
    db.session.commit()
    lockout.clear(require_tenant().slug, user.email)
    return user


def change_password(user, current_password, new_password, keep_sign_in=None):
    """A new password; every other sign-in of the person ends (this one, `keep_sign_in`, goes on)."""
    if not verify_password(user.password_hash, current_password or ""):
        raise ValidationFailed("The current password is wrong.", {"current_password": ["Does not match."]})
    check_password_policy(new_password, user.email, field="new_password")
    user.password_hash = hash_password(new_password)
    revoke_all_sessions(user.id, keep=keep_sign_in)
    emit_after_commit(db.session, "auth.password_changed", user_id=user.id)
    _record_password_change(user, "own")
    db.session.commit()
    return user


def _record_password_change(user, how):
    """`how`: "own" (the person, knowing the old one) or "reset_link" (a reset or invitation link)."""
    _record_own("auth.password_changed", user, {"how": how})


PROFILE_FIELDS = ("first_name", "last_name", "notification_email")


def update_profile(user, first_name=None, last_name=None, notification_email=None):
    """A person's names and notification address (their own, or by someone who manages them); the change, if any,
    is in the audit trail."""
    before = {field: getattr(user, field) for field in PROFILE_FIELDS}
    if first_name is not None:
        user.first_name = first_name.strip()[:100]
    if last_name is not None:
        user.last_name = last_name.strip()[:100]
    if notification_email is not None:
        user.notification_email = normalize_email(notification_email) if notification_email.strip() else None
    changes = {
        field: {"before": before[field], "after": getattr(user, field)}
        for field in PROFILE_FIELDS
        if getattr(user, field) != before[field]
    }
    if changes:
        _record_about("user.updated", user, changes)
    db.session.commit()
    return user


# --- who am I ----------------------------------------------------------------------------------


def describe_principal(principal, tenant):
    """`GET /auth/me`: the account, its roles and permissions, memberships and organization."""
    description = {
        "type": principal.kind,
        "id": principal.id,
        "email": principal.email,
        "roles": list(principal.roles),
        "permissions": sorted(principal.permissions),
        # Branch and class memberships arrive with the organization feature (issue 5).
        "branches": [],
        "classes": [],
        "tenant": {"id": tenant.id, "slug": tenant.slug, "name": tenant.name} if tenant else None,
    }
    if principal.kind == "user":
        user = get_user(principal.id)
        description |= {
            "first_name": user.first_name,
            "last_name": user.last_name,
            "notification_email": user.notification_email,
        }
    return description


# --- invitations ---------------------------------------------------------------------------------

INVITATION_DAYS = 7


def invite_users(emails, again_after_seconds=None):
    """The RQ job: mail a set-your-password link to each new, password-less person, once.

    With `again_after_seconds` (a resent invitation) also to those invited longer ago than that; their
    earlier links stop working. A second resend job queued meanwhile finds them just invited and sends nothing.
    """
    tenant = require_tenant()
    not_yet_invited = User.invited_at.is_(None)
    if again_after_seconds is not None:
        not_yet_invited = sa.or_(not_yet_invited, User.invited_at <= utcnow() - timedelta(seconds=again_after_seconds))
    users = db.session.scalars(
        sa.select(User).where(User.email.in_(emails), User.password_hash.is_(None), not_yet_invited, User.is_active)
    ).all()
    if again_after_seconds is not None and users:
        void_password_links([user.id for user in users])
    messages = []
    for user in users:
        token = new_opaque_token()
        db.session.add(
            PasswordResetToken(
                user_id=user.id, token_hash=token_digest(token), expires_at=utcnow() + timedelta(days=INVITATION_DAYS)
            )
        )
        text = (
            f"Hello {user.full_name},\n\n{tenant.name} invites you to its learning space.\n"
            f"Choose your password here (the link works once, for {INVITATION_DAYS} days):\n\n"
            f"{reset_link(tenant, token)}\n\nYou sign in with this address: {user.email}\n"
        )
        messages.append(build_message(user.email, f"Your {tenant.name} account", text))  # a key: sign-in address
    # Tokens first, then the mail, then `invited_at`: a failed send is retried by RQ with fresh
    # links (at least once); a sent invitation is never sent again.
    db.session.commit()
    send_many(messages)
    for user in users:
        user.invited_at = utcnow()
    db.session.commit()
    return len(messages)
