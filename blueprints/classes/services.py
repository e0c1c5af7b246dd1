"""Classes of a branch, their term, their teachers and students."""

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from app.api.listing import ListSpec, run_list_query
from app.errors import Conflict, NotFound, ValidationFailed
from app.events import emit_after_commit
from app.extensions import db
from app.security.permissions import STUDENT, TEACHER
from app.tenancy.models import utcnow
from blueprints.audit.recording import record
from blueprints.branches.queries import existing_branch_ids, open_branch
from blueprints.classes.models import ClassMembership, SchoolClass
from blueprints.users.queries import existing_user_ids, user_ids_by_email
from blueprints.users.services import people_with_roles, unmanageable_ids

CLASS_ROLES = (TEACHER, STUDENT)

CLASS_LIST = ListSpec(
    filters={
        "id": SchoolClass.id,
        "name": SchoolClass.name,
        "branch": SchoolClass.branch_id,
        "term_start": SchoolClass.term_start,
        "term_end": SchoolClass.term_end,
    },
    sorts={"id": SchoolClass.id, "name": SchoolClass.name, "term_start": SchoolClass.term_start},
    default_sort=("name",),
    fields=frozenset({"id", "branch_id", "name", "term_start", "term_end", "created_at", "archived_at"}),
    tiebreaker=SchoolClass.id,
)


def list_classes(query, scope):
    stmt = sa.select(SchoolClass).where(SchoolClass.archived_at.is_(None))
    if not scope.organization_wide:
        stmt = stmt.where(
            sa.or_(
                SchoolClass.branch_id.in_(scope.branch_ids or [-1]),
                SchoolClass.id.in_(scope.taught_class_ids or [-1]),
            )
        )
    return run_list_query(db.session, stmt, query, CLASS_LIST)


def get_class(class_id, scope, manage=False):
    """A class in sight (404 otherwise); to `manage` it, it must be in the actor's branches (403).

    Teachers see the classes they teach, also in other branches; teaching one is no right to run it.
    """
    school_class = db.session.get(SchoolClass, class_id)
    if school_class is None or not scope.allows_class(school_class.id, school_class.branch_id):
        raise NotFound("No such class.")
    if manage:
        scope.require(school_class.branch_id)
    return school_class


def _check_term(term_start, term_end):
    if term_start and term_end and term_end < term_start:
        raise ValidationFailed("The term ends before it starts.", {"term_end": ["Must be on or after term_start."]})


def _save(school_class):
    db.session.add(school_class)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise Conflict(
            "This branch has a class of that name already.", {"name": ["Must be unique in the branch."]}
        ) from None
    return school_class


def create_class(data, scope):
    if not open_branch(data["branch_id"]):
        raise ValidationFailed("No such branch.", {"branch_id": ["No active branch with this id."]})
    scope.require(data["branch_id"])
    _check_term(data.get("term_start"), data.get("term_end"))
    return _save(
        SchoolClass(
            branch_id=data["branch_id"],
            name=data["name"].strip(),
            term_start=data.get("term_start"),
            term_end=data.get("term_end"),
        )
    )


def update_class(school_class, data, scope):
    if "branch_id" in data and data["branch_id"] != school_class.branch_id:
        scope.require(data["branch_id"])
        if not existing_branch_ids([data["branch_id"]]):
            raise ValidationFailed("No such branch.", {"branch_id": ["No branch with this id."]})
        school_class.branch_id = data["branch_id"]
    for key in ("name", "term_start", "term_end"):
        if key in data:
            setattr(school_class, key, data[key].strip() if key == "name" else data[key])
    _check_term(school_class.term_start, school_class.term_end)
    return _save(school_class)


def archive_class(school_class):
    school_class.archived_at = school_class.archived_at or utcnow()
    db.session.commit()
    return school_class


def list_members(school_class):
    """Teachers first, then students."""
    return people_with_roles(ClassMembership, ClassMembership.class_id == school_class.id, roles_first=True)


def add_members(school_class, user_ids, role, scope):
    """Add people as teachers or students (their role changes if they are members already).

    A branch manager adds only people they manage; anyone else is reported like an unknown id.
    """
    if role not in CLASS_ROLES:
        raise ValidationFailed("Unknown class role.", {"role": ["teacher or student."]})
    user_ids = sorted(set(user_ids))
    found = existing_user_ids(user_ids) - unmanageable_ids(user_ids, scope)
    missing = [user_id for user_id in user_ids if user_id not in found]
    if missing:
        raise ValidationFailed("Unknown users.", {"user_ids": [f"No user with id {user_id}." for user_id in missing]})
    existing = {
        membership.user_id: membership
        for membership in db.session.scalars(
            sa.select(ClassMembership).where(
                ClassMembership.class_id == school_class.id, ClassMembership.user_id.in_(user_ids)
            )
        )
    }
    new_ids = [user_id for user_id in user_ids if user_id not in existing]
    # Read before the roles change below: afterwards every existing member has the new role.
    changed_ids = [user_id for user_id in user_ids if user_id in existing and existing[user_id].role != role]
    for user_id in user_ids:
        if user_id in existing:
            existing[user_id].role = role
        else:
            db.session.add(ClassMembership(class_id=school_class.id, user_id=user_id, role=role))
    emit_after_commit(db.session, "class.members_added", class_id=school_class.id, user_ids=new_ids, role=role)
    if new_ids or changed_ids:
        emit_after_commit(db.session, "memberships.changed", user_ids=sorted([*new_ids, *changed_ids]))
        _record_members(school_class, {"added": new_ids, "role_changed": changed_ids, "role": role})
    db.session.commit()
    return list_members(school_class)


def _record_members(school_class, details):
    """One `class.members_changed` entry per change, naming the people (ids) added, moved or removed; the one
    person it is about is its subject."""
    people = [*details.get("added", ()), *details.get("role_changed", ()), *details.get("removed", ())]
    record(
        "class.members_changed",
        target_type="class",
        target_id=school_class.id,
        target_label=school_class.name,
        subject_user_id=people[0] if len(people) == 1 else None,
        details=details,
    )


def remove_member(school_class, user_id):
    role = db.session.scalar(
        sa.select(ClassMembership.role).where(
            ClassMembership.class_id == school_class.id, ClassMembership.user_id == user_id
        )
    )
    deleted = db.session.execute(
        sa.delete(ClassMembership).where(
            ClassMembership.class_id == school_class.id, ClassMembership.user_id == user_id
        )
    )
    if deleted.rowcount == 0:
        raise NotFound("This person is not in the class.")
    emit_after_commit(db.session, "memberships.changed", user_ids=[user_id])
    _record_members(school_class, {"removed": [user_id], "role": role})
    db.session.commit()


def add_members_by_email(school_class, emails, role, scope, user_ids=()):
    """Add people by e-mail (and by id, picked from a list); answers how many are in the class now who were
    not, and the addresses of nobody this actor manages."""
    wanted = {email.strip().lower() for email in emails if email.strip()}
    found = user_ids_by_email(wanted)
    out_of_reach = unmanageable_ids(found.values(), scope)
    found = {email: user_id for email, user_id in found.items() if user_id not in out_of_reach}
    missing = sorted(wanted - set(found))
    people = set(found.values()) | set(user_ids)
    if not people:
        return 0, missing
    members_before = set(
        db.session.scalars(
            sa.select(ClassMembership.user_id).where(
                ClassMembership.class_id == school_class.id, ClassMembership.user_id.in_(people)
            )
        )
    )
    add_members(school_class, list(people), role, scope)
    return len(people - members_before), missing
