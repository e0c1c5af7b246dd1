"""What the people pages show beyond the list itself: the branches one may pick, what a person belongs to."""

import sqlalchemy as sa

from app.extensions import db
from blueprints.branches.models import Branch, BranchMembership
from blueprints.classes.models import ClassMembership, SchoolClass
from blueprints.users.listing import USER_LIST, scoped
from blueprints.users.models import User
from blueprints.users.services import unmanageable_ids


def branch_choices(scope):
    stmt = sa.select(Branch.id, Branch.name).where(Branch.archived_at.is_(None)).order_by(Branch.name)
    if not scope.organization_wide:
        stmt = stmt.where(Branch.id.in_(scope.branch_ids or [-1]))
    return db.session.execute(stmt).all()


def memberships_of(person):
    branches = db.session.execute(
        sa.select(Branch.name, BranchMembership.role)
        .join(BranchMembership, BranchMembership.branch_id == Branch.id)
        .where(BranchMembership.user_id == person.id)
        .order_by(Branch.name)
    ).all()
    classes = db.session.execute(
        sa.select(SchoolClass.name, Branch.name.label("branch"), ClassMembership.role)
        .join(ClassMembership, ClassMembership.class_id == SchoolClass.id)
        .join(Branch, Branch.id == SchoolClass.branch_id)
        .where(ClassMembership.user_id == person.id, SchoolClass.archived_at.is_(None))
        .order_by(SchoolClass.name)
    ).all()
    return {"branches": branches, "classes": classes}


def branch_ids_of(person, scope):
    """The ids of the person's branches that this actor sees."""
    stmt = sa.select(BranchMembership.branch_id).where(BranchMembership.user_id == person.id)
    if not scope.organization_wide:
        stmt = stmt.where(BranchMembership.branch_id.in_(scope.branch_ids or [-1]))
    return list(db.session.scalars(stmt))


PICKER_SIZE = 10


def pick_people(text, chosen_ids, scope):
    """For a people picker: (the chosen people, up to 10 others matching `text`), all active and all people
    this actor may add (their branches' people, never someone above their reach)."""
    chosen_ids = [int(i) for i in chosen_ids if str(i).isdigit() and int(i) < 2**31][:200]
    base = scoped(sa.select(User).where(User.is_active), scope).order_by(User.last_name, User.first_name, User.id)
    chosen = db.session.scalars(base.where(User.id.in_(chosen_ids or [-1]))).all()
    matches = []
    if text.strip():
        search = USER_LIST.filters["q"].build("eq", text)
        matches = db.session.scalars(
            base.where(search, User.id.not_in(chosen_ids or [-1])).limit(PICKER_SIZE * 2)
        ).all()
    out_of_reach = unmanageable_ids([person.id for person in [*chosen, *matches]], scope)
    return (
        [person for person in chosen if person.id not in out_of_reach],
        [person for person in matches if person.id not in out_of_reach][:PICKER_SIZE],
    )
