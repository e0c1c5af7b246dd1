"""How the people list is filtered, sorted and shaped (`/api/v1/users`, the people page, export)."""

import re

import sqlalchemy as sa
from werkzeug.datastructures import MultiDict

from app.api.listing import FilterBy, ListSpec
from app.errors import BadRequest
from blueprints.branches.queries import branch_filter, people_of
from blueprints.users.models import User

STATUSES = {
    "active": lambda: sa.and_(User.is_active, User.password_hash.is_not(None)),
    "invited": lambda: sa.and_(User.is_active, User.password_hash.is_(None)),
    "inactive": lambda: sa.not_(User.is_active),  # everyone deactivated: by hand or by the archiving policy
    "archived": lambda: sa.and_(sa.not_(User.is_active), User.archived_by_run_id.is_not(None)),  # by the policy
}


ANY_STATUS = "all"
# Who may sign in or is invited to: what the people page lists unless asked for more. Deactivated people (by hand
# or by the archiving policy) leave the daily list; their records stay, a status away.
CURRENT_STATUSES = "active,invited"


_ONE_STATUS = "|".join(STATUSES)
STATUS_CHOICE_PATTERN = rf"^(?:{ANY_STATUS}|(?:{_ONE_STATUS})(?:,(?:{_ONE_STATUS}))*)$"


def is_status_choice(value):
    """`all`, or statuses among STATUSES separated by commas (`active,invited`)."""
    return re.fullmatch(STATUS_CHOICE_PATTERN, value or "") is not None


def with_status(args, status):
    """The list helper's parameters `args`, narrowed to people of `status` (a status choice, see above)."""
    if status == ANY_STATUS:
        return args
    narrowed = MultiDict(args)
    narrowed.add("filter[status][in]", status)
    return narrowed


def _status(op, value):
    values = value if isinstance(value, tuple) else (value,)
    unknown = [v for v in values if v not in STATUSES]
    if unknown or op not in ("eq", "ne", "in", "nin"):
        raise BadRequest(
            "Invalid status filter.",
            {f"filter[status][{op}]": [f"Use eq, ne, in or nin with {', '.join(STATUSES)}."]},
        )
    condition = sa.or_(*(STATUSES[v]() for v in values))
    return sa.not_(condition) if op in ("ne", "nin") else condition


def _search(op, value):
    """`filter[q]=ann`: the text anywhere in the e-mail or either name, case-insensitively."""
    words = [word for word in str(value).split() if word][:5]
    patterns = [f"%{word.replace('%', '').replace('_', '')}%" for word in words]
    return sa.and_(
        sa.true(),
        *(sa.or_(User.email.ilike(p), User.first_name.ilike(p), User.last_name.ilike(p)) for p in patterns),
    )


USER_LIST = ListSpec(
    filters={
        "id": User.id,
        "email": User.email,
        "first_name": User.first_name,
        "last_name": User.last_name,
        "role": User.role,
        "external_id": User.external_id,
        "is_active": User.is_active,
        "archived_by_run_id": User.archived_by_run_id,
        "created_at": User.created_at,
        "branch": branch_filter(User.id),
        "status": FilterBy(User.role, _status),  # typed as text
        "q": FilterBy(User.email, _search),
    },
    sorts={
        "id": User.id,
        "email": User.email,
        "first_name": User.first_name,
        "last_name": User.last_name,
        "created_at": User.created_at,
    },
    default_sort=("last_name", "first_name"),
    fields=frozenset(
        {
            "id",
            "email",
            "first_name",
            "last_name",
            "role",
            "external_id",
            "status",
            "is_active",
            "archived_by_run_id",
            "created_at",
        }
    ),
    tiebreaker=User.id,
)


def scoped(stmt, scope):
    """Only the people of the branches in scope (everyone for organization-wide roles)."""
    if scope is None or scope.organization_wide:
        return stmt
    return stmt.where(User.id.in_(people_of(scope.branch_ids)))
