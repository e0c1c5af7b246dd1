"""The dashboards' filters (docs/analytics.md, "Filters"): what a caller narrowed the figures to (`Filters`: the
period, a branch, a class, a course, the at-risk days), read from query parameters and checked against the caller's
reach by `filters_from` (400 for what is malformed, 404 for what is out of reach); and the course filter as a
condition (`course_filter`), which the per-person path and the roll-ups both put in their WHERE."""

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from app.api.types import MAX_ID
from app.errors import BadRequest, NotFound
from app.security.actor import current_actor
from app.tenancy.models import utcnow
from blueprints.analytics.models import DEFAULT_AT_RISK_DAYS
from blueprints.branches.queries import existing_branch_ids
from blueprints.classes.queries import branch_of_class, branches_of_classes
from blueprints.courses import access

DEFAULT_DAYS = 30  # the period when none is asked for: the 30 days ending today
MAX_DAYS = 366
MAX_AT_RISK_DAYS = 365
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
WHOLE = re.compile(r"-?[0-9]{1,12}")
EARLIEST, LATEST = date(1970, 1, 1), date(9998, 12, 31)  # what a period may name (room for its arithmetic)


@dataclass(frozen=True)
class Filters:
    """What the caller narrowed the figures to (validated and in their reach: build it with `filters_from`)."""

    date_from: date
    date_to: date
    branch_id: int | None = None
    class_id: int | None = None
    course_id: int | None = None
    at_risk_days: int = DEFAULT_AT_RISK_DAYS
    now: datetime = field(default_factory=utcnow)  # the snapshot's "now" (naive UTC)

    @property
    def days(self):
        return (self.date_to - self.date_from).days + 1

    def period(self):
        return {"date_from": self.date_from.isoformat(), "date_to": self.date_to.isoformat(), "days": self.days}

    def echo(self):
        return {
            "branch_id": self.branch_id,
            "class_id": self.class_id,
            "course_id": self.course_id,
            "at_risk_days": self.at_risk_days,
        }


def _date(args, name, errors, blank):
    raw = args.get(name)
    if raw is None or (blank and raw == ""):
        return None
    try:
        if not ISO_DATE.fullmatch(raw):  # fromisoformat also takes 20260131 and week dates: not what we document
            raise ValueError(raw)
        value = date.fromisoformat(raw)
    except ValueError:
        errors[name] = ["Not a valid date: use YYYY-MM-DD."]
        return None
    if not EARLIEST <= value <= LATEST:
        errors[name] = [f"Must be between {EARLIEST.isoformat()} and {LATEST.isoformat()}."]
        return None
    return value


def _whole(args, name, errors, minimum, maximum, blank):
    raw = args.get(name)
    if raw is None or (blank and raw == ""):
        return None
    if not WHOLE.fullmatch(raw):  # int() also takes " 7", "+7", "1_0" and other scripts' digits
        errors[name] = ["Not a valid integer."]
        return None
    value = int(raw)
    if not minimum <= value <= maximum:
        errors[name] = [f"Must be between {minimum} and {maximum}."]
        return None
    return value


def filters_from(args, actor=current_actor, today=None, blank_is_absent=True):
    """Filters from query parameters (`request.args`, a form): 400 with the fields named for a bad date, a
    period longer than 366 days or ending before it starts, a bad id or `at_risk_days` outside 1..365; 404
    for a branch, class or course the actor cannot see (nobody learns it exists). An empty value is absent
    (a page's form: "All branches", no date); the API says `blank_is_absent=False`: empty is not a date or a
    number there, as its document says."""
    errors = {}
    date_from = _date(args, "date_from", errors, blank_is_absent)
    date_to = _date(args, "date_to", errors, blank_is_absent)
    ids = {
        name: _whole(args, name, errors, 1, MAX_ID, blank_is_absent) for name in ("branch_id", "class_id", "course_id")
    }
    at_risk_days = _whole(args, "at_risk_days", errors, 1, MAX_AT_RISK_DAYS, blank_is_absent)
    if not errors:
        date_to = date_to or (today or utcnow().date())
        date_from = date_from or date_to - timedelta(days=DEFAULT_DAYS - 1)
        if date_from > date_to:
            errors["date_to"] = ["Must not be before date_from."]
        elif (date_to - date_from).days + 1 > MAX_DAYS:
            errors["date_from"] = [f"The period is at most {MAX_DAYS} days."]
    if errors:
        raise BadRequest("Invalid analytics filters.", errors)
    _require_reach(ids, actor)
    return Filters(
        date_from=date_from,
        date_to=date_to,
        at_risk_days=at_risk_days or DEFAULT_AT_RISK_DAYS,
        **ids,
    )


def _require_reach(ids, actor):
    scope = actor.scope
    if ids["branch_id"] is not None:
        branch_id = ids["branch_id"]
        reached = scope is not None and (
            scope.allows(branch_id) or branch_id in branches_of_classes(scope.taught_class_ids)
        )
        if not reached or not existing_branch_ids([branch_id]):
            raise NotFound("No such branch.")
    if ids["class_id"] is not None:
        branch_id = branch_of_class(ids["class_id"])
        if branch_id is None or scope is None or not scope.allows_class(ids["class_id"], branch_id):
            raise NotFound("No such class.")
    if ids["course_id"] is not None:
        access.course_for(ids["course_id"], "see", actor)


def course_filter(filters, course_id):
    """The course filter on a column of course ids (no condition without one)."""
    return [] if filters.course_id is None else [course_id == filters.course_id]
