"""The seven kinds of report (docs/analytics.md "Reports"): each its columns, its formats, its parameters and
the select of its rows.

Rows come from the source tables (enrollments, item_progress, quiz_attempts, sign_ins, certificates ...), never
from the analytics read model: a report must be exact on the minute it is made. Each kind's select is
restricted to the requester's audience (`blueprints/reports/audience.py`) and streamed (`yield_per`), so a
200 000-row report holds one batch in memory, not the report.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa

from app.errors import BadRequest, NotFound
from app.extensions import db
from app.tenancy.models import utcnow
from blueprints.assessments.models import AttemptStatus, Quiz, QuizAttempt
from blueprints.auth.models import SignIn
from blueprints.branches.models import Branch, BranchMembership
from blueprints.branches.queries import people_of
from blueprints.branches.services import get_branch
from blueprints.certificates.models import Certificate
from blueprints.classes.models import SchoolClass
from blueprints.classes.services import get_class
from blueprints.courses import access
from blueprints.courses.models import Course
from blueprints.courses.queries import item_counts
from blueprints.learning.models import Enrollment, ItemProgress
from blueprints.reports.audience import report_audience_of, students_of_classes
from blueprints.users.models import User

TEXT, NUMBER, DATE, DATETIME = "text", "number", "date", "datetime"
FORMATS = ("csv", "xlsx", "pdf")
DEFAULT_PERIOD_DAYS = 30
MAX_PERIOD_DAYS = 366
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
EARLIEST, LATEST = date(1970, 1, 1), date(9998, 12, 31)  # as the analytics' filters: room for a period's arithmetic
MAX_ID = 2**31 - 1  # an INTEGER column: a larger number is no row (and PostgreSQL would refuse to compare it)
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
    # its rows (or its heading) may name people: an erasure withdraws its files (reports.withdrawal)
    names_people: bool = True

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
    if not 1 <= number <= MAX_ID or str(number) != str(value).strip():
        errors[name] = ["Must be a positive whole number."]
        return None
    return number


def _as_date(value, name, errors):
    try:
        if not isinstance(value, str) or not ISO_DATE.fullmatch(value):
            raise ValueError(value)  # fromisoformat would also take 20260101 and week dates
        value = date.fromisoformat(value)
    except ValueError:
        errors[name] = ["Must be a date written YYYY-MM-DD."]
        return None
    if not EARLIEST <= value <= LATEST:  # the job adds a day to date_to: 9999-12-31 would overflow there
        errors[name] = [f"Must be between {EARLIEST.isoformat()} and {LATEST.isoformat()}."]
        return None
    return value


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


def describe_params(params):
    """The parameters in people's words, for a PDF's heading: the period, and the branch, class, course and
    person by name."""
    described = []
    if params.date_from:
        described.append(("Period", f"{params.date_from.isoformat()} to {params.date_to.isoformat()}"))
    for label, column, key, value in (
        ("Branch", Branch.name, Branch.id, params.branch_id),
        ("Class", SchoolClass.name, SchoolClass.id, params.class_id),
        ("Course", Course.title, Course.id, params.course_id),
    ):
        if value is not None:
            described.append((label, db.session.scalar(sa.select(column).where(key == value)) or f"#{value}"))
    if params.user_id is not None:
        person = db.session.execute(
            sa.select(User.first_name, User.last_name, User.email).where(User.id == params.user_id)
        ).first()
        described.append(("Learner", f"{learner_name(*person)} <{person.email}>" if person else f"#{params.user_id}"))
    return described


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
    return item_counts().subquery("course_items")  # the courses feature's count, as the analytics use it


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
            items.c.item_count,
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
        progress_percent(row.completed_at, row.done, row.item_count),
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

# --- learner_transcript -------------------------------------------------------------------------------------


def _transcript_rows(params, audience):
    items, done = items_per_course(), items_done_per_enrollment()
    best = (
        sa.select(sa.func.max(QuizAttempt.percent))
        .join(Quiz, Quiz.id == QuizAttempt.quiz_id)
        .where(
            Quiz.course_id == Enrollment.course_id,
            QuizAttempt.user_id == Enrollment.user_id,
            QuizAttempt.status == AttemptStatus.GRADED,
        )
        .correlate(Enrollment)
        .scalar_subquery()
    )
    certificate = (
        sa.select(Certificate.user_id, Certificate.course_id, Certificate.code, Certificate.issued_at)
        .where(Certificate.revoked_at.is_(None), Certificate.superseded_at.is_(None))
        .subquery("current_certificates")
    )
    return (
        sa.select(
            Course.title,
            Enrollment.status,
            Enrollment.enrolled_at,
            Enrollment.due_at,
            Enrollment.completed_at,
            done.c.done,
            items.c.item_count,
            Enrollment.seconds_spent,
            best.label("best_percent"),
            certificate.c.code,
            certificate.c.issued_at,
        )
        .select_from(Enrollment)
        .join(Course, Course.id == Enrollment.course_id)
        .outerjoin(items, items.c.course_id == Enrollment.course_id)
        .outerjoin(done, done.c.enrollment_id == Enrollment.id)
        .outerjoin(
            certificate,
            sa.and_(certificate.c.user_id == Enrollment.user_id, certificate.c.course_id == Enrollment.course_id),
        )
        .where(
            Enrollment.user_id == params.user_id,
            audience.enrollments(Enrollment.user_id, Enrollment.course_id),
            *([Enrollment.course_id == params.course_id] if params.course_id is not None else []),
        )
        .order_by(Enrollment.enrolled_at, Enrollment.id)
    )


def _transcript_row(row):
    status = "Completed" if row.completed_at else ("In progress" if row.status == ACTIVE else "Ended")
    return (
        row.title,
        status,
        row.enrolled_at,
        row.due_at,
        row.completed_at,
        progress_percent(row.completed_at, row.done, row.item_count),
        minutes(row.seconds_spent),
        None if row.best_percent is None else round(row.best_percent, 1),
        row.code,
        row.issued_at,
    )


LEARNER_TRANSCRIPT = ReportKind(
    name="learner_transcript",
    title="Learner transcript",
    columns=(
        Column("Course"),
        Column("Status"),
        Column("Enrolled", DATETIME),
        Column("Due", DATETIME),
        Column("Completed", DATETIME),
        Column("Progress %", NUMBER),
        Column("Time spent (minutes)", NUMBER),
        Column("Best score %", NUMBER),
        Column("Certificate"),
        Column("Certificate issued", DATETIME),
    ),
    formats=("csv", "xlsx", "pdf"),
    takes=frozenset({"user_id", "course_id"}),
    requires=frozenset({"user_id"}),
    select=_transcript_rows,
    shape=_transcript_row,
)


# --- assessment_results ---------------------------------------------------------------------------------------


def _attempt_rows(params, audience):
    return (
        sa.select(
            User.first_name,
            User.last_name,
            User.email,
            Quiz.title.label("quiz"),
            Course.title.label("course"),
            QuizAttempt.number,
            QuizAttempt.submitted_at,
            QuizAttempt.score,
            QuizAttempt.max_score,
            QuizAttempt.percent,
            QuizAttempt.passed,
            QuizAttempt.status,
        )
        .select_from(QuizAttempt)
        .join(Quiz, Quiz.id == QuizAttempt.quiz_id)
        .join(Course, Course.id == Quiz.course_id)
        .join(User, User.id == QuizAttempt.user_id)
        .where(
            QuizAttempt.status.in_((AttemptStatus.SUBMITTED, AttemptStatus.GRADED)),
            QuizAttempt.submitted_at >= params.starts,
            QuizAttempt.submitted_at < params.ends,
            audience.enrollments(QuizAttempt.user_id, Quiz.course_id),
            *enrollment_filters(params, QuizAttempt.user_id, Quiz.course_id),
        )
        .order_by(QuizAttempt.submitted_at, QuizAttempt.id)
    )


def _attempt_row(row):
    graded = row.status == AttemptStatus.GRADED
    return (
        learner_name(row.first_name, row.last_name, row.email),
        row.email,
        row.quiz,
        row.course,
        row.number,
        row.submitted_at,
        row.score if graded else None,
        row.max_score,
        None if not graded or row.percent is None else round(row.percent, 1),
        ("Yes" if row.passed else "No") if graded else "Awaiting grading",
    )


ASSESSMENT_RESULTS = ReportKind(
    name="assessment_results",
    title="Assessment results",
    columns=(
        Column("Learner"),
        Column("E-mail"),
        Column("Quiz"),
        Column("Course"),
        Column("Attempt", NUMBER),
        Column("Submitted", DATETIME),
        Column("Score", NUMBER),
        Column("Out of", NUMBER),
        Column("Percent", NUMBER),
        Column("Passed"),
    ),
    formats=("csv", "xlsx"),
    takes=frozenset({"date_from", "date_to", "branch_id", "class_id", "course_id"}),
    periodic=True,
    select=_attempt_rows,
    shape=_attempt_row,
)


# --- branch_summary ---------------------------------------------------------------------------------------------


def _branches_in_reach(params, audience):
    if params.branch_id is not None:
        return Branch.id == params.branch_id
    if audience.everyone:
        return sa.true()
    reach = [Branch.id.in_(audience.branch_ids or [-1])]
    if audience.class_ids:
        reach.append(Branch.id.in_(sa.select(SchoolClass.branch_id).where(SchoolClass.id.in_(audience.class_ids))))
    return sa.or_(*reach)


def _branch_rows(params, audience):
    items, done = items_per_course(), items_done_per_enrollment()
    now = utcnow()
    progress = sa.case(
        (Enrollment.completed_at.is_not(None), 100.0),
        (sa.func.coalesce(items.c.item_count, 0) == 0, None),
        (done.c.done >= items.c.item_count, 100.0),
        else_=100.0 * sa.func.coalesce(done.c.done, 0) / items.c.item_count,
    )
    overdue = sa.case((sa.and_(Enrollment.completed_at.is_(None), Enrollment.due_at < now), 1), else_=0)
    enrollments = (
        sa.select(
            BranchMembership.branch_id,
            sa.func.count(sa.distinct(Enrollment.user_id)).label("learners"),
            sa.func.count(Enrollment.id).label("enrollments"),
            sa.func.count(Enrollment.completed_at).label("completed"),
            sa.func.sum(overdue).label("overdue"),
            sa.func.avg(progress).label("average_progress"),
        )
        .select_from(Enrollment)
        .join(BranchMembership, BranchMembership.user_id == Enrollment.user_id)
        .outerjoin(items, items.c.course_id == Enrollment.course_id)
        .outerjoin(done, done.c.enrollment_id == Enrollment.id)
        .where(
            Enrollment.status == ACTIVE,
            audience.enrollments(Enrollment.user_id, Enrollment.course_id),
            *enrollment_filters(params, Enrollment.user_id, Enrollment.course_id),
        )
        .group_by(BranchMembership.branch_id)
        .subquery("branch_enrollments")
    )
    scores = (
        sa.select(
            BranchMembership.branch_id,
            sa.func.sum(QuizAttempt.percent).label("percent_sum"),
            sa.func.count(QuizAttempt.id).label("graded"),
        )
        .select_from(QuizAttempt)
        .join(Quiz, Quiz.id == QuizAttempt.quiz_id)
        .join(BranchMembership, BranchMembership.user_id == QuizAttempt.user_id)
        .where(
            QuizAttempt.status == AttemptStatus.GRADED,
            QuizAttempt.submitted_at >= params.starts,
            QuizAttempt.submitted_at < params.ends,
            audience.enrollments(QuizAttempt.user_id, Quiz.course_id),
            *enrollment_filters(params, QuizAttempt.user_id, Quiz.course_id),
        )
        .group_by(BranchMembership.branch_id)
        .subquery("branch_scores")
    )
    return (
        sa.select(
            Branch.name,
            enrollments.c.learners,
            enrollments.c.enrollments,
            enrollments.c.completed,
            enrollments.c.overdue,
            enrollments.c.average_progress,
            scores.c.percent_sum,
            scores.c.graded,
        )
        .select_from(Branch)
        .outerjoin(enrollments, enrollments.c.branch_id == Branch.id)
        .outerjoin(scores, scores.c.branch_id == Branch.id)
        .where(_branches_in_reach(params, audience))
        .order_by(Branch.name, Branch.id)
    )


def _branch_row(row):
    enrollments = row.enrollments or 0
    return (
        row.name,
        row.learners or 0,
        enrollments,
        round(100.0 * (row.completed or 0) / enrollments, 1) if enrollments else None,
        int(row.overdue or 0),
        None if row.average_progress is None else round(float(row.average_progress), 1),
        round(float(row.percent_sum) / row.graded, 1) if row.graded else None,
    )


BRANCH_SUMMARY = ReportKind(
    name="branch_summary",
    title="Branch summary",
    columns=(
        Column("Branch"),
        Column("Learners", NUMBER),
        Column("Enrollments", NUMBER),
        Column("Completion rate %", NUMBER),
        Column("Overdue", NUMBER),
        Column("Average progress %", NUMBER),
        Column("Average score %", NUMBER),
    ),
    formats=("csv", "xlsx", "pdf"),
    takes=frozenset({"date_from", "date_to", "branch_id", "class_id", "course_id"}),
    periodic=True,
    select=_branch_rows,
    shape=_branch_row,
    names_people=False,  # one row per branch: counts and averages, no person
)


# --- overdue_learners ---------------------------------------------------------------------------------------------


def _overdue_rows(params, audience):
    now = utcnow()
    return (
        _enrollment_rows(params, audience, Enrollment.completed_at.is_(None), Enrollment.due_at < now)
        .order_by(None)
        .order_by(Enrollment.due_at, Enrollment.id)
    )


def _overdue_row(row):
    return (
        learner_name(row.first_name, row.last_name, row.email),
        row.email,
        row.title,
        row.name,
        row.due_at,
        (utcnow() - row.due_at).days,
        progress_percent(row.completed_at, row.done, row.item_count),
    )


OVERDUE_LEARNERS = ReportKind(
    name="overdue_learners",
    title="Overdue learners",
    columns=(
        Column("Learner"),
        Column("E-mail"),
        Column("Course"),
        Column("Class"),
        Column("Due", DATETIME),
        Column("Days overdue", NUMBER),
        Column("Progress %", NUMBER),
    ),
    formats=("csv", "xlsx"),
    takes=frozenset({"branch_id", "class_id", "course_id"}),
    select=_overdue_rows,
    shape=_overdue_row,
)


# --- sign_in_activity ---------------------------------------------------------------------------------------------


def _sign_in_rows(params, audience):
    in_period = sa.and_(SignIn.created_at >= params.starts, SignIn.created_at < params.ends)
    counts = (
        sa.select(
            SignIn.user_id,
            sa.func.sum(sa.case((in_period, 1), else_=0)).label("sign_ins"),
            sa.func.sum(sa.case((sa.and_(in_period, SignIn.kind == "page"), 1), else_=0)).label("pages"),
            sa.func.sum(sa.case((sa.and_(in_period, SignIn.kind == "api"), 1), else_=0)).label("api"),
            sa.func.max(SignIn.created_at).label("last_sign_in"),
        )
        .group_by(SignIn.user_id)
        .subquery("sign_in_counts")
    )
    return (
        sa.select(
            User.first_name,
            User.last_name,
            User.email,
            User.role,
            counts.c.sign_ins,
            counts.c.pages,
            counts.c.api,
            counts.c.last_sign_in,
        )
        .select_from(User)
        .outerjoin(counts, counts.c.user_id == User.id)
        .where(User.is_active, audience.people(User.id), *person_filters(params, User.id))
        .order_by(User.last_name, User.first_name, User.id)
    )


ROLE_NAMES = {"org_admin": "Org admin", "branch_manager": "Branch manager", "teacher": "Teacher", "student": "Student"}


def _sign_in_row(row):
    return (
        learner_name(row.first_name, row.last_name, row.email),
        row.email,
        ROLE_NAMES.get(row.role, row.role),
        int(row.sign_ins or 0),
        int(row.pages or 0),
        int(row.api or 0),
        row.last_sign_in,
    )


SIGN_IN_ACTIVITY = ReportKind(
    name="sign_in_activity",
    title="Sign-in activity",
    columns=(
        Column("Person"),
        Column("E-mail"),
        Column("Role"),
        Column("Sign-ins", NUMBER),
        Column("In the browser", NUMBER),
        Column("Through the API", NUMBER),
        Column("Last sign-in", DATETIME),
    ),
    formats=("csv", "xlsx"),
    takes=frozenset({"date_from", "date_to", "branch_id", "class_id", "course_id"}),
    periodic=True,
    select=_sign_in_rows,
    shape=_sign_in_row,
)


# --- certificates_issued -----------------------------------------------------------------------------------------


def _certificate_rows(params, audience):
    return (
        sa.select(
            Certificate.holder_name,
            User.email,
            Certificate.course_title,
            Certificate.code,
            Certificate.issued_at,
            Certificate.expires_at,
            Certificate.revoked_at,
            Certificate.superseded_at,
        )
        .select_from(Certificate)
        .join(User, User.id == Certificate.user_id)
        .where(
            Certificate.issued_at >= params.starts,
            Certificate.issued_at < params.ends,
            audience.enrollments(Certificate.user_id, Certificate.course_id),
            *enrollment_filters(params, Certificate.user_id, Certificate.course_id),
        )
        .order_by(Certificate.issued_at, Certificate.id)
    )


def certificate_status(row, now):
    if row.revoked_at is not None:
        return "Revoked"
    if row.superseded_at is not None:
        return "Superseded"
    if row.expires_at is not None and row.expires_at <= now:
        return "Expired"
    return "Valid"


def _certificate_row(row):
    return (
        row.holder_name,
        row.email,
        row.course_title,
        row.code,
        row.issued_at,
        row.expires_at,
        certificate_status(row, utcnow()),
    )


CERTIFICATES_ISSUED = ReportKind(
    name="certificates_issued",
    title="Certificates issued",
    columns=(
        Column("Learner"),
        Column("E-mail"),
        Column("Course"),
        Column("Code"),
        Column("Issued", DATETIME),
        Column("Expires", DATETIME),
        Column("Status"),
    ),
    formats=("csv", "xlsx"),
    takes=frozenset({"date_from", "date_to", "branch_id", "class_id", "course_id"}),
    periodic=True,
    select=_certificate_rows,
    shape=_certificate_row,
)

KINDS = {
    kind.name: kind
    for kind in (
        COURSE_COMPLETION,
        LEARNER_TRANSCRIPT,
        ASSESSMENT_RESULTS,
        BRANCH_SUMMARY,
        OVERDUE_LEARNERS,
        SIGN_IN_ACTIVITY,
        CERTIFICATES_ISSUED,
    )
}


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
