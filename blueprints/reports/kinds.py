"""The seven kinds of report (docs/analytics.md "Reports"): each its columns, its formats, its parameters and
the select of its rows.

Rows come from the source tables (enrollments, item_progress, quiz_attempts, sign_ins, certificates ...), never
from the analytics read model: a report must be exact on the minute it is made. Each kind's select is
restricted to the requester's audience (`blueprints/reports/audience.py`) and streamed (`yield_per`), so a
200 000-row report holds one batch in memory, not the report.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa

from app.errors import BadRequest, NotFound
from app.extensions import db
from app.tenancy.models import utcnow
from blueprints.assessments.models import AttemptStatus, Quiz, QuizAttempt
from blueprints.auth.models import SignIn
from blueprints.branches.models import Branch, BranchMembership  # noqa: F401 - the next kinds read these
from blueprints.branches.queries import people_of
from blueprints.branches.services import get_branch
from blueprints.certificates.models import Certificate
from blueprints.classes.models import SchoolClass
from blueprints.classes.services import get_class
from blueprints.courses import access
from blueprints.courses.models import ContentItem, Course
from blueprints.learning.models import Enrollment, ItemProgress
from blueprints.reports.audience import report_audience_of, students_of_classes
from blueprints.users.models import User

TEXT, NUMBER, DATE, DATETIME = "text", "number", "date", "datetime"
FORMATS = ("csv", "xlsx", "pdf")
DEFAULT_PERIOD_DAYS = 30
MAX_PERIOD_DAYS = 366
STREAM_BATCH = 2000  # rows fetched per round trip while streaming
ACTIVE = "active"


@dataclass(frozen=True)
class Column:
    header: str  # in people's words: the file's first row
    type: str = TEXT


@dataclass(frozen=True)
class ReportParams:
    """A report's parameters once checked: the period (period kinds only) and the filters."""

    date_from: date | None = None
    date_to: date | None = None
    branch_id: int | None = None
    class_id: int | None = None
    course_id: int | None = None
    user_id: int | None = None

    @property
    def starts(self):
        return datetime.combine(self.date_from, time.min)

    @property
    def ends(self):  # exclusive: the day after date_to, at midnight
        return datetime.combine(self.date_to + timedelta(days=1), time.min)

    def as_json(self):
        values = {
            "date_from": self.date_from.isoformat() if self.date_from else None,
            "date_to": self.date_to.isoformat() if self.date_to else None,
            "branch_id": self.branch_id,
            "class_id": self.class_id,
            "course_id": self.course_id,
            "user_id": self.user_id,
        }
        return {name: value for name, value in values.items() if value is not None}


@dataclass(frozen=True)
class ReportKind:
    name: str
    title: str
    columns: tuple
    formats: tuple
    takes: frozenset  # parameter names this kind accepts
    select: Callable  # (params, audience) -> a select of the raw rows
    shape: Callable  # a raw row -> the report's row (a tuple, one value per column)
    requires: frozenset = field(default_factory=frozenset)
    periodic: bool = False  # takes date_from/date_to (default: the 30 days ending today)

    @property
    def headers(self):
        return [column.header for column in self.columns]

    def count(self, params, audience):
        stmt = self.select(params, audience).order_by(None)
        return db.session.scalar(sa.select(sa.func.count()).select_from(stmt.subquery()))

    def rows(self, params, audience):
        """The report's rows, streamed (`yield_per`: a server-side cursor on PostgreSQL)."""
        result = db.session.execute(self.select(params, audience).execution_options(yield_per=STREAM_BATCH))
        try:
            for raw in result:
                yield self.shape(raw)
        finally:
            result.close()


# --- parameters -------------------------------------------------------------------------------------------

PARAM_NAMES = ("date_from", "date_to", "branch_id", "class_id", "course_id", "user_id")


def _as_id(value, name, errors):
    if isinstance(value, bool):
        errors[name] = ["Must be a positive whole number."]
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        errors[name] = ["Must be a positive whole number."]
        return None
    if number < 1 or str(number) != str(value).strip():
        errors[name] = ["Must be a positive whole number."]
        return None
    return number


def _as_date(value, name, errors):
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        errors[name] = ["Must be a date written YYYY-MM-DD."]
        return None


def validate_params(kind, raw, actor):
    """`raw` (a dict from the API, a page's form or a schedule) checked for `kind` and the actor's reach:
    a value out of shape is a 400 naming its field; a branch, class, course or person the actor does not
    reach is a 404 (nobody learns it exists). Empty values count as absent."""
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise BadRequest("The parameters must be an object.", {"params": ["Must be an object."]})
    given = {name: value for name, value in raw.items() if value not in (None, "")}
    errors = {}
    for name in given:
        if name not in PARAM_NAMES:
            errors[name] = ["Not a parameter of any report."]
        elif name not in kind.takes:
            errors[name] = [f"Not a parameter of the {kind.title} report."]
    for name in sorted(kind.requires - set(given)):
        errors[name] = ["Required for this report."]
    ids = {name: _as_id(given[name], name, errors) for name in PARAM_NAMES[2:] if name in given and name in kind.takes}
    date_from = date_to = None
    if kind.periodic:
        today = utcnow().date()
        date_to = _as_date(given["date_to"], "date_to", errors) if "date_to" in given else today
        default_from = (date_to or today) - timedelta(days=DEFAULT_PERIOD_DAYS - 1)
        date_from = _as_date(given["date_from"], "date_from", errors) if "date_from" in given else default_from
        if date_from and date_to:
            if date_from > date_to:
                errors["date_from"] = ["Must be on or before date_to."]
            elif (date_to - date_from).days + 1 > MAX_PERIOD_DAYS:
                errors["date_to"] = [f"A period is at most {MAX_PERIOD_DAYS} days."]
    if errors:
        raise BadRequest("Some parameters of the report are not valid.", errors)
    params = ReportParams(date_from=date_from, date_to=date_to, **{name: value for name, value in ids.items()})
    _check_reach(params, actor)
    return params


def _check_reach(params, actor):
    scope = actor.scope
    if params.branch_id is not None:
        get_branch(params.branch_id, scope)
    if params.class_id is not None:
        get_class(params.class_id, scope)
    if params.course_id is not None:
        access.course_for(params.course_id, "see", actor)
    if params.user_id is not None:
        audience = report_audience_of(actor)
        reached = db.session.scalar(
            sa.select(User.id).where(User.id == params.user_id, audience.people(User.id))
        ) or db.session.scalar(
            sa.select(Enrollment.user_id)
            .where(Enrollment.user_id == params.user_id, audience.enrollments(Enrollment.user_id, Enrollment.course_id))
            .limit(1)
        )
        if reached is None:
            raise NotFound("No such person.")


# --- shared pieces -------------------------------------------------------------------------------------------


def learner_name(first_name, last_name, email):
    name = f"{first_name or ''} {last_name or ''}".strip()
    return name or email


def progress_percent(completed_at, items_done, items_total):
    """100 once completed, else the share of the course's items completed (none when it has no items)."""
    if completed_at is not None:
        return 100.0
    if not items_total:
        return None
    return round(min(100.0, 100.0 * (items_done or 0) / items_total), 1)


def minutes(seconds):
    return round((seconds or 0) / 60, 1)


def items_per_course():
    return (
        sa.select(ContentItem.course_id, sa.func.count(ContentItem.id).label("items"))
        .group_by(ContentItem.course_id)
        .subquery("course_items")
    )


def items_done_per_enrollment():
    return (
        sa.select(ItemProgress.enrollment_id, sa.func.count(ItemProgress.id).label("done"))
        .group_by(ItemProgress.enrollment_id)
        .subquery("enrollment_items")
    )


def _branch_and_class_filters(params, user_id):
    conditions = []
    if params.branch_id is not None:
        conditions.append(user_id.in_(people_of([params.branch_id])))
    if params.class_id is not None:
        conditions.append(user_id.in_(students_of_classes([params.class_id])))
    return conditions


def person_filters(params, user_id):
    """The branch, class and course filters as conditions on a person's id column (course: its learners)."""
    conditions = _branch_and_class_filters(params, user_id)
    if params.course_id is not None:
        conditions.append(user_id.in_(sa.select(Enrollment.user_id).where(Enrollment.course_id == params.course_id)))
    return conditions


def enrollment_filters(params, user_id, course_id):
    """The branch, class and course filters as conditions on (a learner's id, a course's id) columns."""
    conditions = _branch_and_class_filters(params, user_id)
    if params.course_id is not None:
        conditions.append(course_id == params.course_id)
    return conditions


# --- course_completion -----------------------------------------------------------------------------------------


def _enrollment_rows(params, audience, *conditions):
    items, done = items_per_course(), items_done_per_enrollment()
    return (
        sa.select(
            User.first_name,
            User.last_name,
            User.email,
            Course.title,
            SchoolClass.name,
            Enrollment.enrolled_at,
            Enrollment.due_at,
            Enrollment.completed_at,
            done.c.done,
            items.c.items,
            Enrollment.seconds_spent,
        )
        .select_from(Enrollment)
        .join(User, User.id == Enrollment.user_id)
        .join(Course, Course.id == Enrollment.course_id)
        .outerjoin(SchoolClass, SchoolClass.id == Enrollment.class_id)
        .outerjoin(items, items.c.course_id == Enrollment.course_id)
        .outerjoin(done, done.c.enrollment_id == Enrollment.id)
        .where(
            Enrollment.status == ACTIVE,
            audience.enrollments(Enrollment.user_id, Enrollment.course_id),
            *enrollment_filters(params, Enrollment.user_id, Enrollment.course_id),
            *conditions,
        )
        .order_by(Enrollment.id)
    )


def _course_completion_row(row):
    return (
        learner_name(row.first_name, row.last_name, row.email),
        row.email,
        row.title,
        row.name,
        row.enrolled_at,
        row.due_at,
        row.completed_at,
        progress_percent(row.completed_at, row.done, row.items),
        minutes(row.seconds_spent),
    )


COURSE_COMPLETION = ReportKind(
    name="course_completion",
    title="Course completion",
    columns=(
        Column("Learner"),
        Column("E-mail"),
        Column("Course"),
        Column("Class"),
        Column("Enrolled", DATETIME),
        Column("Due", DATETIME),
        Column("Completed", DATETIME),
        Column("Progress %", NUMBER),
        Column("Time spent (minutes)", NUMBER),
    ),
    formats=("csv", "xlsx"),
    takes=frozenset({"branch_id", "class_id", "course_id"}),
    select=_enrollment_rows,
    shape=_course_completion_row,
)

KINDS = {kind.name: kind for kind in (COURSE_COMPLETION,)}


def kind_named(name):
    """The kind of this name (400 naming the field otherwise)."""
    kind = KINDS.get(name) if isinstance(name, str) else None
    if kind is None:
        raise BadRequest("No such kind of report.", {"kind": [f"One of: {', '.join(KINDS)}."]})
    return kind


def check_format(kind, format):
    if format not in kind.formats:
        raise BadRequest(
            f"The {kind.title} report comes as {', '.join(kind.formats)}.",
            {"format": [f"One of: {', '.join(kind.formats)}."]},
        )
    return format


_UNUSED = (AttemptStatus, Quiz, QuizAttempt, SignIn, Branch, Certificate)  # the next kinds read these
