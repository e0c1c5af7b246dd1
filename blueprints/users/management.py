"""An admin's or branch manager's work on people: create (with an invitation), edit, deactivate."""

from datetime import timedelta

import sqlalchemy as sa

from app.errors import Conflict, DomainError, PermissionDenied, TooManyRequests, ValidationFailed
from app.events import emit_after_commit
from app.extensions import db
from app.jobs import enqueue
from app.security.passwords import password_problems
from app.security.permissions import ORG_ADMIN
from app.tenancy.context import require_tenant
from app.tenancy.models import utcnow
from blueprints.audit.recording import record
from blueprints.auth.services import invite_users, revoke_all_sessions, void_password_links
from blueprints.branches.queries import branches_of, existing_branch_ids
from blueprints.branches.services import follow_role_in_branches, join_branches, set_branches_of
from blueprints.users.models import User
from blueprints.users.services import create_user, normalize_email

# A person may be invited again this long after the previous invitation (a mistyped address, a lost mail).
INVITATION_RESEND_INTERVAL = timedelta(minutes=10)


def membership_role(role):
    """A person's role inside their branches, from their role in the organization."""
    return role if role != ORG_ADMIN else "branch_manager"


def _check_role_in_scope(role, scope):
    if role == ORG_ADMIN and not scope.organization_wide:
        raise PermissionDenied("Only an org admin can make org admins.", code="OUT_OF_SCOPE")


def add_person(data, scope):
    """Create a person, their branch memberships, and (without a password) an invitation."""
    role, branch_ids = data["role"], sorted(set(data.get("branch_ids") or []))
    _check_role_in_scope(role, scope)
    if not scope.organization_wide and not branch_ids:
        raise ValidationFailed("Choose a branch.", {"branch_ids": ["A branch manager adds people to their branches."]})
    for branch_id in branch_ids:
        scope.require(branch_id)
    known = existing_branch_ids(branch_ids)
    if missing := [b for b in branch_ids if b not in known]:
        raise ValidationFailed("Unknown branches.", {"branch_ids": [f"No branch with id {b}." for b in missing]})
    password = data.get("password") or None
    if password and (problems := password_problems(password, data["email"])):
        raise ValidationFailed("The password does not meet the policy.", {"password": problems})
    user = create_user(
        data["email"], role, data.get("first_name", ""), data.get("last_name", ""), password, commit=False
    )
    user.external_id = data.get("external_id") or None
    try:
        db.session.flush()
    except sa.exc.IntegrityError:  # the only unique column create_user has not checked
        db.session.rollback()
        raise _external_id_taken() from None
    join_branches(user.id, branch_ids, membership_role(role))
    if branch_ids:
        emit_after_commit(db.session, "memberships.changed", user_ids=[user.id])
    invited = not password and data.get("send_invitation", True)
    _record_person("user.created", user, {"role": role, "branch_ids": branch_ids, "invited": bool(invited)})
    db.session.commit()
    if invited:
        enqueue(require_tenant(), invite_users, [user.email])
    return user


def _keep_an_admin(user):
    """Nobody demotes or deactivates the last active org admin: the organization would have no one left
    to run it (a platform operator would have to step in)."""
    if user.role != ORG_ADMIN or not user.is_active:
        return
    others = db.session.scalar(
        sa.select(sa.func.count(User.id)).where(User.role == ORG_ADMIN, User.is_active, User.id != user.id)
    )
    if not others:
        raise Conflict(
            "This is the organization's last active org admin: make someone else org admin first.",
            {"role": ["The last active org admin stays one."]},
            code="LAST_ORG_ADMIN",
        )


def edit_person(user, data, scope):
    """Change a person's names, role, external id, sign-in address (org admins only), branches or status:
    all of it, or (on any refusal) none of it."""
    try:
        _edit_person(user, data, scope)
    except DomainError:
        db.session.rollback()
        raise
    return user


PROFILE_FIELDS = ("email", "first_name", "last_name", "external_id")


def _record_person(action, user, details):
    record(
        action, target_type="user", target_id=user.id, target_label=user.email, subject_user_id=user.id, details=details
    )


def _record_edit(user, before, role_before, branches_before):
    """`user.updated` with each changed field's before and after, `user.roles_changed` apart (what an auditor
    looks for first); nothing when nothing changed."""
    changes = {
        field: {"before": before[field], "after": getattr(user, field)}
        for field in PROFILE_FIELDS
        if getattr(user, field) != before[field]
    }
    if branches_before is not None:
        branches_after = sorted(db.session.scalars(branches_of(user.id)))
        if branches_after != branches_before:
            changes["branch_ids"] = {"before": branches_before, "after": branches_after}
    if changes:
        _record_person("user.updated", user, changes)
    if user.role != role_before:
        _record_person("user.roles_changed", user, {"before": [role_before], "after": [user.role]})


def _edit_person(user, data, scope):
    before, role_before = {field: getattr(user, field) for field in PROFILE_FIELDS}, user.role
    branches_before = sorted(db.session.scalars(branches_of(user.id))) if "branch_ids" in data else None
    memberships_changed = False
    if "email" in data:
        _change_email(user, data["email"], scope)
    if "role" in data and data["role"] != user.role:
        _check_role_in_scope(data["role"], scope)
        if user.role == ORG_ADMIN and not scope.organization_wide:
            raise PermissionDenied("Only an org admin can change an org admin.", code="OUT_OF_SCOPE")
        if data["role"] != ORG_ADMIN:
            _keep_an_admin(user)
        memberships_changed |= follow_role_in_branches(
            user.id, membership_role(user.role), membership_role(data["role"]), scope
        )
        user.role = data["role"]
    if "branch_ids" in data:
        memberships_changed |= set_branches_of(
            user.id, data["branch_ids"], membership_role(data.get("role", user.role)), scope
        )
    if memberships_changed:  # once for both: one transaction, one event
        emit_after_commit(db.session, "memberships.changed", user_ids=[user.id])
    for key in ("first_name", "last_name"):
        if key in data:
            user.__setattr__(key, data[key].strip())
    if "external_id" in data:
        # Checked before any write: a later statement (revoking sessions) autoflushes outside the try below.
        external_id = data["external_id"] or None
        if external_id and db.session.scalar(
            sa.select(User.id).where(User.external_id == external_id, User.id != user.id)
        ):
            raise _external_id_taken()
        user.external_id = external_id
    if "is_active" in data:
        set_active(user, data["is_active"], commit=False)
    try:
        _record_edit(user, before, role_before, branches_before)  # its query flushes the changes
        db.session.commit()
    except sa.exc.IntegrityError:
        db.session.rollback()
        raise _external_id_taken() from None
    return user


def _change_email(user, email, scope):
    email = normalize_email(email)
    if email == user.email:
        return
    if not scope.organization_wide:  # the sign-in address is the key to the account
        raise PermissionDenied("Only an org admin can change a sign-in address.", code="OUT_OF_SCOPE")
    if db.session.scalar(sa.select(User.id).where(User.email == email, User.id != user.id)) is not None:
        raise Conflict("A user with this e-mail already exists.", {"email": ["Already in use by someone else."]})
    void_password_links([user.id])  # links mailed to the old address no longer open the account
    user.email = email


def resend_invitation(user):
    """Invite again someone who never chose a password (earlier links stop working), at most every 10 minutes."""
    if user.password_hash is not None:
        raise Conflict(
            f'{user.full_name} has chosen a password already; they can use "Forgot your password?".',
            code="ALREADY_SIGNED_UP",
        )
    if not user.is_active:
        raise Conflict(f"{user.full_name} is deactivated: reactivate them first.", code="INACTIVE")
    if user.invited_at is not None and user.invited_at > utcnow() - INVITATION_RESEND_INTERVAL:
        next_time = user.invited_at + INVITATION_RESEND_INTERVAL
        raise TooManyRequests(
            f"An invitation went out at {user.invited_at:%H:%M} UTC; you can send another after {next_time:%H:%M} UTC."
        )
    enqueue(require_tenant(), invite_users, [user.email], INVITATION_RESEND_INTERVAL.seconds)


def _external_id_taken():
    return Conflict("This external_id belongs to someone else.", {"external_id": ["In use."]})


def set_active(user, active, commit=True):
    """Deactivate (sign-ins and tokens stop working, records stay) or reactivate a person."""

    if not active:
        _keep_an_admin(user)
    if user.is_active != bool(active):
        _record_person("user.reactivated" if active else "user.deactivated", user, {})
    user.is_active = bool(active)
    if active:
        user.archived_by_run_id = None  # reactivated by hand: no longer "archived by the policy"
    if not active:
        revoke_all_sessions(user.id)
    if commit:
        db.session.commit()
    return user
