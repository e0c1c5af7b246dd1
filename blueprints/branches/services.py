"""Branches: create, read, rename, configure, archive; and who belongs to each."""

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from app.api.listing import ListSpec, run_list_query
from app.errors import Conflict, NotFound, ValidationFailed
from app.events import emit_after_commit
from app.extensions import db
from app.security.permissions import BRANCH_MANAGER, STUDENT, TEACHER
from app.tenancy.context import require_tenant
from app.tenancy.models import utcnow
from blueprints.audit.recording import record
from blueprints.branches.models import Branch, BranchMembership
from blueprints.classes.queries import archived_class_count, open_class_count, open_class_counts
from blueprints.organizations.settings import (
    setting_problems,  # the organization's rules, for overrides
    settings_of,
)
from blueprints.users.services import get_user, people_with_roles, unmanageable_ids

BRANCH_ROLES = (BRANCH_MANAGER, TEACHER, STUDENT)
# Settings a branch may override; anything else stays the organization's.
BRANCH_SETTING_KEYS = ("display_name", "primary_color", "accent_color", "time_zone", "locale")

BRANCH_LIST = ListSpec(
    filters={"id": Branch.id, "code": Branch.code, "name": Branch.name, "created_at": Branch.created_at},
    sorts={"id": Branch.id, "code": Branch.code, "name": Branch.name, "created_at": Branch.created_at},
    default_sort=("name",),
    fields=frozenset({"id", "code", "name", "settings", "created_at", "updated_at", "archived_at"}),
    tiebreaker=Branch.id,
)


def check_organization(organization_id):
    if organization_id != require_tenant().id:
        raise NotFound("No such organization.")


def list_branches(query, scope, include_archived=False):
    stmt = sa.select(Branch)
    if not include_archived:
        stmt = stmt.where(Branch.archived_at.is_(None))
    if not scope.organization_wide:
        stmt = stmt.where(Branch.id.in_(scope.branch_ids or [-1]))
    return run_list_query(db.session, stmt, query, BRANCH_LIST)


def branch_overview(scope):
    """[(branch, people, classes)] for the branches in sight, active ones, by name: three queries whatever
    the number of branches (the counts are grouped, not asked per branch)."""
    stmt = sa.select(Branch).where(Branch.archived_at.is_(None)).order_by(Branch.name, Branch.id)
    if not scope.organization_wide:
        stmt = stmt.where(Branch.id.in_(scope.branch_ids or [-1]))
    branches = db.session.scalars(stmt).all()
    ids = [branch.id for branch in branches] or [-1]
    people = dict(
        db.session.execute(
            sa.select(BranchMembership.branch_id, sa.func.count(BranchMembership.id))
            .where(BranchMembership.branch_id.in_(ids))
            .group_by(BranchMembership.branch_id)
        ).all()
    )
    classes = open_class_counts(ids)
    return [(branch, people.get(branch.id, 0), classes.get(branch.id, 0)) for branch in branches]


def get_branch(branch_id, scope):
    branch = db.session.get(Branch, branch_id)
    if branch is None or not scope.allows(branch.id):
        raise NotFound("No such branch.")
    return branch


def _save(branch):
    db.session.add(branch)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise Conflict("A branch with this code or name exists already.", {"code": ["Must be unique."]}) from None
    return branch


def create_branch(data):
    return _save(Branch(code=data["code"].strip().lower(), name=data["name"].strip(), settings={}))


def update_branch(branch, data):
    if "code" in data:
        branch.code = data["code"].strip().lower()
    if "name" in data:
        branch.name = data["name"].strip()
    return _save(branch)


def branch_usage(branch_id):
    classes = open_class_count(branch_id)
    members = db.session.scalar(
        sa.select(sa.func.count(BranchMembership.id)).where(BranchMembership.branch_id == branch_id)
    )
    return {"classes": classes, "users": members}


def delete_branch(branch, force=False):
    """Delete an empty branch; one with classes or people is a 409, or archived with `force`."""
    usage = branch_usage(branch.id)
    if any(usage.values()):
        if not force:
            raise Conflict(
                f"The branch still has {usage['classes']} class(es) and {usage['users']} member(s).",
                {"branch": [f"classes: {usage['classes']}", f"users: {usage['users']}"]},
                code="BRANCH_NOT_EMPTY",
            )
        return _archive(branch)
    archived_classes = archived_class_count(branch.id)
    if archived_classes:  # their history (members, enrolments) names the branch: keep it, archived
        if not force:
            raise Conflict(
                f"The branch keeps {archived_classes} archived class(es); archive the branch instead.",
                {"branch": [f"archived classes: {archived_classes}"]},
                code="BRANCH_NOT_EMPTY",
            )
        return _archive(branch)
    db.session.delete(branch)
    db.session.commit()
    return branch, "deleted"


def _archive(branch):
    branch.archived_at = branch.archived_at or utcnow()
    db.session.commit()
    return branch, "archived"


def organization_settings():
    """The organization's values (or defaults) of the settings a branch may override."""
    organization = settings_of(require_tenant())
    return {key: organization.get(key) for key in BRANCH_SETTING_KEYS}


def effective_settings(branch):
    organization = require_tenant().settings or {}
    own = {key: value for key, value in (branch.settings or {}).items() if value not in (None, "")}
    return {**organization, **own}


def update_branch_settings(branch, settings):
    unknown = sorted(set(settings) - set(BRANCH_SETTING_KEYS))
    if unknown:
        raise ValidationFailed(
            "A branch cannot override these settings.",
            {key: [f"Not a branch setting; allowed: {', '.join(BRANCH_SETTING_KEYS)}."] for key in unknown},
        )
    problems = setting_problems({key: value for key, value in settings.items() if value not in (None, "")})
    if problems:  # null or "" removes an override
        raise ValidationFailed("Some settings are not valid.", problems)
    branch.settings = {**(branch.settings or {}), **settings}
    db.session.commit()
    return branch


def list_branch_members(branch):
    return people_with_roles(BranchMembership, BranchMembership.branch_id == branch.id)


def join_branches(user_id, branch_ids, role):
    """New memberships of a new person, in the caller's transaction (their creation commits both, and emits
    `memberships.changed`)."""
    for branch_id in branch_ids:
        db.session.add(BranchMembership(branch_id=branch_id, user_id=user_id, role=role))


def follow_role_in_branches(user_id, old_role, new_role, scope):
    """A person's role in the branches (within the actor's reach) where it was `old_role` becomes `new_role`:
    without this a student made branch manager would still be a student in their branch, and manage nothing.
    In the caller's transaction; answers whether a membership changed (the caller emits `memberships.changed`)."""
    if old_role == new_role:  # an org admin and a branch manager are both branch managers in their branches
        return False
    stmt = (
        sa.update(BranchMembership)
        .where(BranchMembership.user_id == user_id, BranchMembership.role == old_role)
        .values(role=new_role)
    )
    if not scope.organization_wide:
        stmt = stmt.where(BranchMembership.branch_id.in_(scope.branch_ids or [-1]))
    return db.session.execute(stmt).rowcount > 0


def set_branches_of(user_id, branch_ids, role, scope):
    """A person's branches become `branch_ids` (new memberships with `role`); a branch manager moves people only
    among their own branches (memberships elsewhere stay as they are) and keeps each in at least one of them.
    In the caller's transaction; answers whether a membership changed (the caller emits `memberships.changed`)."""
    wanted = set(branch_ids)
    known = set(
        db.session.scalars(sa.select(Branch.id).where(Branch.id.in_(wanted or [-1]), Branch.archived_at.is_(None)))
    )
    if missing := sorted(wanted - known):
        raise ValidationFailed("Unknown branches.", {"branch_ids": [f"No active branch with id {b}." for b in missing]})
    for branch_id in wanted:
        scope.require(branch_id)
    if not scope.organization_wide and not wanted:
        raise ValidationFailed(
            "Keep at least one of your branches.",
            {"branch_ids": ["Choose at least one branch: an org admin moves people out of your branches."]},
        )
    current = {
        membership.branch_id: (membership, archived)
        for membership, archived in db.session.execute(
            sa.select(BranchMembership, Branch.archived_at)
            .join(Branch, Branch.id == BranchMembership.branch_id)
            .where(BranchMembership.user_id == user_id)
        )
    }
    changed = False
    for branch_id, (membership, archived) in current.items():
        # An archived branch is in no list to choose from, so leaving it unticked is not leaving it.
        if branch_id not in wanted and scope.allows(branch_id) and archived is None:
            db.session.delete(membership)
            changed = True
    for branch_id in sorted(wanted - set(current)):
        db.session.add(BranchMembership(branch_id=branch_id, user_id=user_id, role=role))
        changed = True
    return changed


def add_branch_member(branch, user_id, role, scope):
    """Add a person to a branch (or change their role there); a branch manager only adds their own people."""
    if role not in BRANCH_ROLES:
        raise ValidationFailed("Unknown branch role.", {"role": [f"One of {', '.join(BRANCH_ROLES)}."]})
    try:
        user = get_user(user_id)
    except NotFound:
        user = None
    if user is None or unmanageable_ids([user.id], scope):
        # Out of reach looks like nobody: a branch manager learns nothing about other branches' people.
        raise ValidationFailed("No such user.", {"user_id": ["No user with this id that you manage."]})
    membership = db.session.scalar(
        sa.select(BranchMembership).where(BranchMembership.branch_id == branch.id, BranchMembership.user_id == user.id)
    )
    role_before = None if membership is None else membership.role
    if membership is None:
        membership = BranchMembership(branch_id=branch.id, user_id=user.id, role=role)
        db.session.add(membership)
    membership.role = role
    if role != role_before:
        emit_after_commit(db.session, "memberships.changed", user_ids=[user.id])
    if BRANCH_MANAGER in (role, role_before) and role != role_before:
        record(
            "branch.managers_changed",
            target_type="branch",
            target_id=branch.id,
            target_label=branch.name,
            subject_user_id=user.id,
            details={"user_id": user.id, "email": user.email, "role_before": role_before, "role_after": role},
        )
    db.session.commit()
    return {"user": user, "role": role}
