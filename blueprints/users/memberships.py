"""What a person belongs to, as the people pages show it, and whom a people picker offers."""

from types import SimpleNamespace

import sqlalchemy as sa

from app.extensions import db
from blueprints.branches.queries import branch_names, branches_of, branches_of_people
from blueprints.classes.queries import classes_of_people
from blueprints.users.listing import USER_LIST, scoped
from blueprints.users.models import User
from blueprints.users.services import unmanageable_ids


def memberships_of(person):
    """The person's branches (name, role) by name, and open classes (name, branch, role) by class name."""
    branches = sorted(
        (SimpleNamespace(name=name, role=role) for _user, _id, _code, name, role in branches_of_people([person.id])),
        key=lambda branch: branch.name,
    )
    class_rows = classes_of_people([person.id])
    names = branch_names({branch_id for _user, _name, branch_id, _role in class_rows})
    classes = [
        SimpleNamespace(name=name, branch=names.get(branch_id, ""), role=role)
        for _user, name, branch_id, role in class_rows
    ]
    return {"branches": branches, "classes": classes}


def branch_ids_of(person, scope):
    """The ids of the person's branches that this actor sees."""
    return [branch_id for branch_id in db.session.scalars(branches_of(person.id)) if scope.allows(branch_id)]


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
