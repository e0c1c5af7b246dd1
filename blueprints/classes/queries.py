"""What other features may read of classes: who teaches and studies where, and which branch a class is in."""

import sqlalchemy as sa

from app.extensions import db
from app.security.permissions import STUDENT, TEACHER
from blueprints.classes.models import ClassMembership, SchoolClass


def classes_taught_by(user_id):
    """The ids of the classes this person teaches (archived ones too: teaching them still shows them)."""
    return frozenset(
        db.session.scalars(
            sa.select(ClassMembership.class_id).where(
                ClassMembership.user_id == user_id, ClassMembership.role == TEACHER
            )
        )
    )


def students_of(class_id):
    """The ids of the class's students."""
    return list(
        db.session.scalars(
            sa.select(ClassMembership.user_id).where(
                ClassMembership.class_id == class_id, ClassMembership.role == STUDENT
            )
        )
    )


def branch_of_class(class_id):
    """The branch a class belongs to, or None when there is no such class."""
    return db.session.scalar(sa.select(SchoolClass.branch_id).where(SchoolClass.id == class_id))


def open_class_count(branch_id):
    """How many classes of the branch are not archived."""
    return db.session.scalar(
        sa.select(sa.func.count(SchoolClass.id)).where(
            SchoolClass.branch_id == branch_id, SchoolClass.archived_at.is_(None)
        )
    )


def archived_class_count(branch_id):
    """How many archived classes the branch keeps (their history holds the branch: it cannot be deleted)."""
    return db.session.scalar(
        sa.select(sa.func.count(SchoolClass.id)).where(
            SchoolClass.branch_id == branch_id, SchoolClass.archived_at.is_not(None)
        )
    )


def open_class_counts(branch_ids):
    """{branch id: how many of its classes are not archived} for these branches (those with none are left out)."""
    return dict(
        db.session.execute(
            sa.select(SchoolClass.branch_id, sa.func.count(SchoolClass.id))
            .where(SchoolClass.branch_id.in_(branch_ids or [-1]), SchoolClass.archived_at.is_(None))
            .group_by(SchoolClass.branch_id)
        ).all()
    )


def classes_of_people(user_ids):
    """(user id, class name, branch id, role) of each open class these people are in, by person and name."""
    return db.session.execute(
        sa.select(ClassMembership.user_id, SchoolClass.name, SchoolClass.branch_id, ClassMembership.role)
        .join(SchoolClass, SchoolClass.id == ClassMembership.class_id)
        .where(ClassMembership.user_id.in_(user_ids), SchoolClass.archived_at.is_(None))
        .order_by(ClassMembership.user_id, SchoolClass.name)
    ).all()


def students_of_classes(class_ids):
    """A select of the ids of the students of these classes (for `IN` conditions)."""
    return sa.select(ClassMembership.user_id).where(
        ClassMembership.class_id.in_(class_ids or [-1]), ClassMembership.role == STUDENT
    )


def branches_of_classes(class_ids):
    """The ids of the branches these classes belong to."""
    return frozenset(
        db.session.scalars(sa.select(SchoolClass.branch_id).where(SchoolClass.id.in_(class_ids or [-1])).distinct())
    )


def class_names(class_ids):
    """{class id: (name, branch id)} of these classes (one query)."""
    rows = db.session.execute(
        sa.select(SchoolClass.id, SchoolClass.name, SchoolClass.branch_id).where(SchoolClass.id.in_(class_ids or [-1]))
    )
    return {row.id: (row.name, row.branch_id) for row in rows}


def student_classes(class_ids=None):
    """A select of (class_id, user_id) of students, of these classes (all when None): a subquery to join."""
    stmt = sa.select(ClassMembership.class_id, ClassMembership.user_id).where(ClassMembership.role == STUDENT)
    if class_ids is not None:
        stmt = stmt.where(ClassMembership.class_id.in_(class_ids or [-1]))
    return stmt


def classes_in_branches(branch_ids):
    """A select of the ids of the classes of these branches (for `IN` conditions)."""
    return sa.select(SchoolClass.id).where(SchoolClass.branch_id.in_(branch_ids or [-1]))
