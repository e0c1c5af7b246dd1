"""The classes feature's part of the demo: branches, classes and memberships, so that scoping has something to show."""

import sqlalchemy as sa

from app.events import emit_after_commit
from app.extensions import db
from blueprints.branches.models import Branch, BranchMembership
from blueprints.classes.models import ClassMembership, SchoolClass
from blueprints.users.services import find_user_by_email

DEMO_BRANCHES = [("north", "North Campus"), ("south", "South Campus")]
DEMO_CLASSES = [("north", "Algebra 1"), ("north", "Physics"), ("south", "Biology")]
DEMO_MEMBERSHIPS = [  # e-mail, branch, branch role, classes
    ("manager@demo.example", "north", "branch_manager", []),
    ("teacher@demo.example", "north", "teacher", ["Algebra 1", "Physics"]),
    ("student@demo.example", "north", "student", ["Algebra 1", "Physics"]),
    ("student2@demo.example", "south", "student", ["Biology"]),
]


def seed_school(_password):
    """Branches, classes and memberships, so that scoping and imports have something to show."""
    branches = {b.code: b for b in db.session.scalars(sa.select(Branch))}
    for code, name in DEMO_BRANCHES:
        if code not in branches:
            branches[code] = Branch(code=code, name=name, settings={})
            db.session.add(branches[code])
            yield f"created branch {name}"
    db.session.flush()
    classes = {(c.branch_id, c.name): c for c in db.session.scalars(sa.select(SchoolClass))}
    for code, name in DEMO_CLASSES:
        key = (branches[code].id, name)
        if key not in classes:
            classes[key] = SchoolClass(branch_id=branches[code].id, name=name)
            db.session.add(classes[key])
            yield f"created class {name}"
    db.session.flush()
    joined = set()
    for email, code, role, class_names in DEMO_MEMBERSHIPS:
        user, branch = find_user_by_email(email), branches[code]
        if (
            db.session.scalar(
                sa.select(BranchMembership.id).where(
                    BranchMembership.user_id == user.id, BranchMembership.branch_id == branch.id
                )
            )
            is None
        ):
            db.session.add(BranchMembership(user_id=user.id, branch_id=branch.id, role=role))
            joined.add(user.id)
        for class_name in class_names:
            school_class = classes[(branch.id, class_name)]
            if (
                db.session.scalar(
                    sa.select(ClassMembership.id).where(
                        ClassMembership.user_id == user.id, ClassMembership.class_id == school_class.id
                    )
                )
                is None
            ):
                db.session.add(
                    ClassMembership(
                        user_id=user.id, class_id=school_class.id, role="teacher" if role == "teacher" else "student"
                    )
                )
                joined.add(user.id)
    if joined:  # like any other writer: the read model's roll-ups by branch and class follow
        emit_after_commit(db.session, "memberships.changed", user_ids=sorted(joined))
    db.session.commit()
