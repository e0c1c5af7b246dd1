"""What other features may read of branches: which branches exist, who belongs to which, and as what."""

import sqlalchemy as sa

from app.api.listing import FilterBy, clause
from app.extensions import db
from app.security.permissions import BRANCH_MANAGER
from blueprints.branches.models import Branch, BranchMembership


def people_of(branch_ids):
    """A select of the ids of the people in these branches (for `IN` conditions)."""
    return sa.select(BranchMembership.user_id).where(BranchMembership.branch_id.in_(branch_ids or [-1]))


def branch_filter(user_id_column):
    """A list filter on people's branches (`filter[branch][in]=1,2`) for a list whose rows have `user_id_column`."""

    def members_of_matching_branches(op, value):
        return user_id_column.in_(
            sa.select(BranchMembership.user_id).where(clause(BranchMembership.branch_id, op, value))
        )

    return FilterBy(BranchMembership.branch_id, members_of_matching_branches)


def branches_of(user_id):
    """A select of the ids of the branches this person belongs to, in any role."""
    return sa.select(BranchMembership.branch_id).where(BranchMembership.user_id == user_id)


def branches_managed_by(user_id):
    """The ids of the branches this person manages."""
    return frozenset(
        db.session.scalars(
            sa.select(BranchMembership.branch_id).where(
                BranchMembership.user_id == user_id, BranchMembership.role == BRANCH_MANAGER
            )
        )
    )


def managers_outside(branch_ids):
    """A select of the ids of the people who manage a branch other than these."""
    return sa.select(BranchMembership.user_id).where(
        BranchMembership.role == BRANCH_MANAGER, BranchMembership.branch_id.not_in(branch_ids or [-1])
    )


def existing_branch_ids(branch_ids):
    """Which of these ids are branches (archived ones included)."""
    return set(db.session.scalars(sa.select(Branch.id).where(Branch.id.in_(branch_ids or [-1]))))


def open_branch(branch_id):
    """Whether this is a branch that is not archived."""
    stmt = sa.select(Branch.id).where(Branch.id == branch_id, Branch.archived_at.is_(None))
    return db.session.scalar(stmt) is not None


def branch_choices(scope, keeping=()):
    """(id, name) of the open branches an actor may pick, by name; and of `keeping` (the branches chosen
    already, which stay in the list even when archived or out of the actor's reach)."""
    pickable = Branch.archived_at.is_(None)
    if not scope.organization_wide:
        pickable = sa.and_(pickable, Branch.id.in_(scope.branch_ids or [-1]))
    if keeping:
        pickable = sa.or_(pickable, Branch.id.in_(keeping))
    return db.session.execute(sa.select(Branch.id, Branch.name).where(pickable).order_by(Branch.name, Branch.id)).all()


def branch_names(branch_ids):
    """{id: name} of these branches."""
    return dict(db.session.execute(sa.select(Branch.id, Branch.name).where(Branch.id.in_(branch_ids or [-1]))).all())


def branches_of_people(user_ids):
    """(user id, branch id, branch code, branch name, role) of each membership of these people, in the order
    they joined."""
    return db.session.execute(
        sa.select(BranchMembership.user_id, Branch.id, Branch.code, Branch.name, BranchMembership.role)
        .join(Branch, Branch.id == BranchMembership.branch_id)
        .where(BranchMembership.user_id.in_(user_ids))
        .order_by(BranchMembership.user_id, BranchMembership.id)
    ).all()


def branch_members(branch_ids=None):
    """A select of (branch_id, user_id) of the members of these branches (all when None), in any role: a
    subquery to group people by branch. Distinct by the table's unique (branch_id, user_id), and without a
    DISTINCT of its own, so that a planner can look members up through the table's indexes."""
    stmt = sa.select(BranchMembership.branch_id, BranchMembership.user_id)
    if branch_ids is not None:
        stmt = stmt.where(BranchMembership.branch_id.in_(branch_ids or [-1]))
    return stmt
