"""What a person belongs to, as the people pages show it."""

from types import SimpleNamespace

from blueprints.branches.queries import branch_names, branches_of_people
from blueprints.classes.queries import classes_of_people


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
