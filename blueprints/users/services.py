"""Creating, finding and listing the people of the current organization."""

import sqlalchemy as sa

from app.api.listing import run_list_query
from app.emails import normalize_email
from app.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from app.extensions import db
from app.security.passwords import hash_password, needs_rehash, verify_password
from app.security.permissions import ORG_ADMIN, TENANT_ROLES
from app.security.principal import Principal, register_principal_loader
from app.security.principal_cache import watch_tables
from app.tenancy.context import require_tenant
from blueprints.auth.models import SignIn
from blueprints.branches.queries import managers_outside, people_of
from blueprints.users.listing import USER_LIST, scoped
from blueprints.users.models import User


def create_user(email, role, first_name="", last_name="", password=None, commit=True):
    """A new person in the current organization; Conflict when the e-mail is taken."""
    email = normalize_email(email)
    if role not in TENANT_ROLES:
        raise ValidationFailed("Unknown role.", {"role": [f"Must be one of {', '.join(TENANT_ROLES)}."]})
    if db.session.scalar(sa.select(User.id).where(User.email == email)) is not None:
        raise Conflict("A user with this e-mail already exists.", {"email": ["Already in use."]})
    user = User(
        email=email,
        role=role,
        first_name=first_name,
        last_name=last_name,
        password_hash=hash_password(password) if password else None,
    )
    db.session.add(user)
    if commit:
        db.session.commit()
    return user


def authenticate(email, password):
    """The active user with these credentials, or None; takes one hash check either way."""
    user = db.session.scalar(sa.select(User).where(User.email == (email or "").strip().lower()))
    valid = verify_password(user.password_hash if user else None, password or "")
    if not (valid and user.is_active):
        return None
    if needs_rehash(user.password_hash):  # stored with older Argon2 parameters: upgrade it now
        user.password_hash = hash_password(password)
        db.session.commit()
    return user


def get_user(user_id, scope=None):
    """A person of this organization (and, for a branch-scoped actor, of one of their branches)."""
    user = db.session.get(User, user_id)
    if user is None or (scope is not None and not scope.organization_wide and not _in_scope(user.id, scope)):
        raise NotFound("No such user in this organization.")
    return user


def unmanageable_ids(user_ids, scope):
    """Of these people, the ids this actor may not change: none for organization-wide actors.

    A branch-scoped actor changes only people of their branches who hold no power beyond them: never an
    org admin, never someone who manages a branch the actor does not. Otherwise adding an org admin to
    one's branch, or taking over a manager of two branches, would reach past the actor's own branches.
    """
    user_ids = set(user_ids)
    if scope is None or scope.organization_wide or not user_ids:
        return set()
    manageable = db.session.scalars(
        sa.select(User.id).where(
            User.id.in_(user_ids),
            User.role != ORG_ADMIN,
            User.id.in_(people_of(scope.branch_ids)),
            User.id.not_in(managers_outside(scope.branch_ids)),
        )
    )
    return user_ids - set(manageable)


def get_manageable_user(user_id, scope):
    """A person this actor may change: 404 when out of sight, 403 when seen but above the actor's reach."""
    user = get_user(user_id, scope)
    if unmanageable_ids([user.id], scope):
        raise PermissionDenied(
            "Only an org admin can change an org admin or a manager of other branches.", code="OUT_OF_SCOPE"
        )
    return user


def _in_scope(user_id, scope):
    stmt = scoped(sa.select(User.id).where(User.id == user_id), scope)
    return db.session.scalar(stmt) is not None


def list_users(query, scope=None):
    return run_list_query(db.session, scoped(sa.select(User), scope), query, USER_LIST)


def count_users():
    return db.session.scalar(sa.select(sa.func.count(User.id)))


def create_first_admin(email, password, first_name="", last_name=""):
    """A new organization's first org admin: provisioning calls this through its hook (see users/feature.py)."""
    return create_user(email, ORG_ADMIN, first_name=first_name, last_name=last_name, password=password)


# Built once: every authenticated request runs one of these, and rebuilding the statement (coercions, its
# cache key) cost more than the query. The tables' columns, not the mapped attributes: a plain Core statement
# skips the ORM's execution steps (a fifth of the principal's cost), and the principal needs no entity.
_USERS, _SIGN_INS = User.__table__.c, SignIn.__table__.c
_ACTIVE_PERSON = sa.select(_USERS.id, _USERS.email, _USERS.role).where(
    _USERS.id == sa.bindparam("user_id"), _USERS.is_active
)
_ACTIVE_PERSON_IN_OPEN_SIGN_IN = _ACTIVE_PERSON.join_from(
    User.__table__, SignIn.__table__, _SIGN_INS.user_id == _USERS.id
).where(_SIGN_INS.id == sa.bindparam("sign_in_id"), _SIGN_INS.revoked_at.is_(None))


def principal_for_user(user_id, sign_in_id=None):
    """The principal of an active person; with `sign_in_id`, only while that sign-in of theirs is open.

    One query either way: the sign-in is joined to the person."""
    if sign_in_id is None:
        row = db.session.execute(_ACTIVE_PERSON, {"user_id": user_id}).first()
    else:
        row = db.session.execute(_ACTIVE_PERSON_IN_OPEN_SIGN_IN, {"user_id": user_id, "sign_in_id": sign_in_id}).first()
    if row is None:
        return None
    return Principal("user", row.id, row.email, (row.role,), require_tenant().id, sign_in_id)


register_principal_loader("user", principal_for_user)
watch_tables(User.__tablename__, SignIn.__tablename__)  # what principal_for_user reads


def find_user_by_email(email):
    return db.session.scalar(sa.select(User).where(User.email == email.strip().lower()))


def people_with_roles(membership, condition, roles_first=False):
    """[{"user", "role"}] for the people of a membership table (branch or class) matching `condition`."""
    order = [membership.role.desc()] if roles_first else []
    rows = db.session.execute(
        sa.select(User, membership.role)
        .join(membership, membership.user_id == User.id)
        .where(condition)
        .order_by(*order, User.last_name, User.first_name, User.id)
    )
    return [{"user": user, "role": role} for user, role in rows]
