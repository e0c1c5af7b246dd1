"""What the people pages show beyond the list itself: the branches one may pick, what a person belongs to."""

import sqlalchemy as sa

from app.extensions import db
from blueprints.branches.models import Branch, BranchMembership
from blueprints.classes.models import ClassMembership, SchoolClass


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
