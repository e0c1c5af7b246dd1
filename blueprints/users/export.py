"""People as CSV, in the columns the import reads: export, edit, import again."""

import csv
import io

import sqlalchemy as sa

from app.api.listing import apply_filters
from app.csv_safety import safe_row
from app.extensions import db
from blueprints.branches.queries import branches_of_people
from blueprints.classes.queries import classes_of_people
from blueprints.imports.csvfile import CLASS_SEPARATOR
from blueprints.users.listing import USER_LIST, scoped
from blueprints.users.models import User

EXPORT_COLUMNS = ("email", "first_name", "last_name", "role", "branch", "classes", "external_id")
BATCH = 1000


def _memberships(user_ids):
    """user id -> (branch code, [class names in that branch]); one branch per row, as imports take it."""
    branches = {}
    for user_id, branch_id, code, _name, _role in branches_of_people(user_ids):
        branches.setdefault(user_id, (branch_id, code))
    classes = {}
    for user_id, name, branch_id, _role in classes_of_people(user_ids):
        if branches.get(user_id, (None,))[0] == branch_id:
            classes.setdefault(user_id, []).append(name)
    return branches, classes


def export_people(query, scope):
    """CSV text in chunks, walking people by id a thousand at a time (constant memory)."""
    yield "\ufeff"
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(EXPORT_COLUMNS)
    base = apply_filters(scoped(sa.select(User), scope), query, USER_LIST)
    last_id = 0
    while True:
        users = db.session.scalars(base.where(User.id > last_id).order_by(User.id).limit(BATCH)).all()
        if not users:
            break
        branches, classes = _memberships([user.id for user in users])
        for user in users:
            branch = branches.get(user.id, (None, ""))[1]
            writer.writerow(
                safe_row(
                    [
                        user.email,
                        user.first_name,
                        user.last_name,
                        user.role,
                        branch,
                        CLASS_SEPARATOR.join(classes.get(user.id, [])),
                        user.external_id or "",
                    ]
                )
            )
        last_id = users[-1].id
        db.session.expunge_all()  # keep the session small: this may walk 100 000 people
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue()
