"""Keeping the read model (`analytics_enrollments`, `analytics_days`) from the source tables.

Every row is recomputed for its key from `enrollments`, `item_progress`, `time_by_day`, `sign_ins` and
`quiz_attempts` (+ `quizzes` for the course), never incremented: `refresh_enrollment` and `refresh_day` for
one key (the subscribers call them), `rebuild` for every key at once, set-based. Both compute what
docs/analytics.md defines, so a rebuild gives exactly the rows the events gave.

Days are UTC days of the naive UTC timestamps the tables hold. One key's refresh selects with ranges on
indexed columns (`created_at >= day AND < day + 1`); the rebuild groups by `utc_day(column)`, which is
`date(x)` on SQLite and `CAST(x AS DATE)` on PostgreSQL.
"""

import time
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from app.extensions import db
from app.tenancy.base import execute_in_tenant
from app.tenancy.context import require_tenant
from app.tenancy.engines import engine_for
from app.tenancy.locks import row_locks
from app.tenancy.models import utcnow
from blueprints.analytics.models import NO_COURSE, AnalyticsDay, LearnerCourse
from blueprints.assessments.models import AttemptStatus, Quiz, QuizAttempt
from blueprints.auth.models import SignIn
from blueprints.learning.models import Enrollment, ItemProgress, TimeByDay

DAY_COUNTS = (
    "sign_ins",
    "enrollments",
    "completions",
    "items_completed",
    "seconds",
    "attempts",
    "graded_attempts",
    "percent_sum",
    "passed_attempts",
)
COUNTED_ATTEMPTS = (AttemptStatus.SUBMITTED, AttemptStatus.GRADED)
REBUILD_CHUNK_USERS = 2000  # the rebuild's statements each cover the people of one user id range of this size


class utc_day(FunctionElement):
    """The UTC day of a naive UTC timestamp column, as a SQL date."""

    type = sa.Date()
    name = "utc_day"
    inherit_cache = True


@compiles(utc_day)
def _utc_day(element, compiler, **kw):
    return f"CAST({compiler.process(element.clauses, **kw)} AS DATE)"


@compiles(utc_day, "sqlite")
def _utc_day_sqlite(element, compiler, **kw):
    return f"date({compiler.process(element.clauses, **kw)})"


class latest_of(FunctionElement):
    """The latest of several timestamps, none of them null (`coalesce` them first)."""

    type = sa.DateTime()
    name = "latest_of"
    inherit_cache = True


@compiles(latest_of)
def _latest_of(element, compiler, **kw):
    return f"GREATEST({compiler.process(element.clauses, **kw)})"


@compiles(latest_of, "sqlite")
def _latest_of_sqlite(element, compiler, **kw):
    return f"max({compiler.process(element.clauses, **kw)})"  # SQLite's max() of several arguments is scalar


def _dialect():
    return engine_for(require_tenant()).dialect.name


def _upsert(model, values, keys):
    """Insert the row or, when its key exists, overwrite it: one statement, safe against a concurrent twin."""
    insert = sqlite_insert if _dialect() == "sqlite" else postgresql_insert
    stmt = insert(model).values(**values)
    stmt = stmt.on_conflict_do_update(
        index_elements=keys, set_={name: stmt.excluded[name] for name in values if name not in keys}
    )
    db.session.execute(stmt)


def _serialize(user_id, course_id):
    """The refreshes of one learner in one course take turns until commit, so that the last one to write has
    read the newest sources (PostgreSQL: an advisory lock on the pair; SQLite: the database's write lock)."""
    with row_locks():
        if _dialect() == "postgresql":
            execute_in_tenant(
                sa.text("SELECT pg_advisory_xact_lock(:user_id, :course_id)"),
                {"user_id": user_id, "course_id": course_id},
            )


def _day_range(column, day):
    start = datetime.combine(day, datetime.min.time())
    return sa.and_(column >= start, column < start + timedelta(days=1))


def _course_attempts(course_id, user_id):
    """The learner's counted (submitted or graded) attempts at the course's quizzes, as a WHERE clause."""
    return sa.and_(
        QuizAttempt.user_id == user_id,
        QuizAttempt.status.in_(COUNTED_ATTEMPTS),
        QuizAttempt.quiz_id.in_(sa.select(Quiz.id).where(Quiz.course_id == course_id)),
    )


def _graded():
    return QuizAttempt.status == AttemptStatus.GRADED


@dataclass(frozen=True)
class EnrollmentState:
    """What `refresh_enrollment` found, for the caller to refresh the enrollment's days."""

    enrollment_id: int
    enrolled_at: datetime
    completed_at: datetime | None


def refresh_enrollment(course_id, user_id):
    """Recompute the `LearnerCourse` row of this learner's enrollment in the course (inserted, updated, or
    deleted when the enrollment is gone). Three statements and a lock; answers the enrollment's
    `EnrollmentState`, or None when there is none."""
    _serialize(user_id, course_id)

    def of_items(figure):
        return sa.select(figure).where(ItemProgress.enrollment_id == Enrollment.id).correlate(Enrollment)

    attempts = sa.select(
        sa.func.count(QuizAttempt.id),
        sa.func.count(QuizAttempt.id).filter(_graded()),
        sa.func.max(QuizAttempt.percent).filter(_graded()),
        sa.func.max(QuizAttempt.submitted_at),
    ).where(_course_attempts(course_id, user_id))
    enrollment = db.session.execute(
        sa.select(
            Enrollment.id,
            Enrollment.class_id,
            Enrollment.status,
            Enrollment.enrolled_at,
            Enrollment.due_at,
            Enrollment.completed_at,
            Enrollment.seconds_spent,
            Enrollment.last_reported_at,
            of_items(sa.func.count(ItemProgress.id)).scalar_subquery(),
            of_items(sa.func.max(ItemProgress.completed_at)).scalar_subquery(),
        ).where(Enrollment.course_id == course_id, Enrollment.user_id == user_id)
    ).first()
    if enrollment is None:
        db.session.execute(
            sa.delete(LearnerCourse).where(LearnerCourse.course_id == course_id, LearnerCourse.user_id == user_id)
        )
        return None
    (eid, class_id, status, enrolled_at, due_at, completed_at, seconds, reported_at, items_done, last_item) = enrollment
    attempt_count, graded_count, best_percent, last_submitted = db.session.execute(attempts).one()
    moments = [enrolled_at, last_item, reported_at, last_submitted]
    _upsert(
        LearnerCourse,
        {
            "enrollment_id": eid,
            "course_id": course_id,
            "user_id": user_id,
            "class_id": class_id,
            "active": status == "active",
            "enrolled_at": enrolled_at,
            "due_at": due_at,
            "completed_at": completed_at,
            "items_completed": items_done,
            "seconds_spent": seconds,
            "last_activity_at": max(moment for moment in moments if moment is not None),
            "attempts": attempt_count,
            "graded_attempts": graded_count,
            "best_percent": best_percent,
            "refreshed_at": utcnow(),
        },
        ["enrollment_id"],
    )
    return EnrollmentState(eid, enrolled_at, completed_at)


def refresh_day(day, user_id, course_id):
    """Recompute one `AnalyticsDay` row (course 0: the person's sign-ins), deleting it when every count is 0.
    Two statements and a lock."""
    _serialize(user_id, course_id)
    counts = dict.fromkeys(DAY_COUNTS, 0)
    if course_id == NO_COURSE:
        counts["sign_ins"] = db.session.scalar(
            sa.select(sa.func.count(SignIn.id)).where(SignIn.user_id == user_id, _day_range(SignIn.created_at, day))
        )
    else:
        counts.update(_course_day(day, user_id, course_id))
    key = AnalyticsDay.day == day, AnalyticsDay.user_id == user_id, AnalyticsDay.course_id == course_id
    if not any(counts.values()):
        db.session.execute(sa.delete(AnalyticsDay).where(*key))
        return None
    row = {"day": day, "user_id": user_id, "course_id": course_id, **counts}
    _upsert(AnalyticsDay, row, ["day", "user_id", "course_id"])
    return row


def _course_day(day, user_id, course_id):
    """The course columns of one day row, in one statement."""
    enrollment_id = (
        sa.select(Enrollment.id)
        .where(Enrollment.course_id == course_id, Enrollment.user_id == user_id)
        .scalar_subquery()
    )
    attempts = sa.and_(_course_attempts(course_id, user_id), _day_range(QuizAttempt.submitted_at, day))
    graded = sa.and_(attempts, _graded())

    def attempt_figure(figure, where):
        return sa.select(figure).where(where).scalar_subquery()

    row = db.session.execute(
        sa.select(
            sa.select(sa.func.count(Enrollment.id))
            .where(Enrollment.course_id == course_id, Enrollment.user_id == user_id)
            .where(_day_range(Enrollment.enrolled_at, day))
            .scalar_subquery()
            .label("enrollments"),
            sa.select(sa.func.count(Enrollment.id))
            .where(Enrollment.course_id == course_id, Enrollment.user_id == user_id)
            .where(_day_range(Enrollment.completed_at, day))
            .scalar_subquery()
            .label("completions"),
            sa.select(sa.func.count(ItemProgress.id))
            .where(ItemProgress.enrollment_id == enrollment_id, _day_range(ItemProgress.completed_at, day))
            .scalar_subquery()
            .label("items_completed"),
            sa.select(sa.func.coalesce(sa.func.sum(TimeByDay.seconds), 0))
            .where(TimeByDay.enrollment_id == enrollment_id, TimeByDay.day == day)
            .scalar_subquery()
            .label("seconds"),
            attempt_figure(sa.func.count(QuizAttempt.id), attempts).label("attempts"),
            attempt_figure(sa.func.count(QuizAttempt.id), graded).label("graded_attempts"),
            attempt_figure(sa.func.coalesce(sa.func.sum(QuizAttempt.percent), 0.0), graded).label("percent_sum"),
            attempt_figure(sa.func.count(QuizAttempt.id), sa.and_(graded, QuizAttempt.passed.is_(True))).label(
                "passed_attempts"
            ),
        )
    ).one()
    return row._asdict()


# The rebuild: the same figures for every key, set-based.


def _user_range(column, low, high):
    return sa.and_(column >= low, column < high)


def _day_sources(low, high):
    """One SELECT per source of the day rows of the people with low <= user id < high, each with every day
    column (zeros for the others), to be summed per key."""
    zero, zero_float = sa.literal(0), sa.literal(0.0, sa.Float)

    def columns(day, user_id, course_id, **given):
        values = {name: given.get(name, zero_float if name == "percent_sum" else zero) for name in DAY_COUNTS}
        return [day.label("day"), user_id.label("user_id"), course_id.label("course_id")] + [
            value.label(name) for name, value in values.items()
        ]

    sign_in_day = utc_day(SignIn.created_at)
    yield (
        sa.select(*columns(sign_in_day, SignIn.user_id, sa.literal(NO_COURSE), sign_ins=sa.func.count()))
        .where(_user_range(SignIn.user_id, low, high))
        .group_by(sign_in_day, SignIn.user_id)
    )
    enrolled = _user_range(Enrollment.user_id, low, high)
    yield sa.select(
        *columns(utc_day(Enrollment.enrolled_at), Enrollment.user_id, Enrollment.course_id, enrollments=sa.literal(1))
    ).where(enrolled)
    yield sa.select(
        *columns(utc_day(Enrollment.completed_at), Enrollment.user_id, Enrollment.course_id, completions=sa.literal(1))
    ).where(enrolled, Enrollment.completed_at.is_not(None))
    item_day = utc_day(ItemProgress.completed_at)
    yield (
        sa.select(*columns(item_day, Enrollment.user_id, Enrollment.course_id, items_completed=sa.func.count()))
        .join(Enrollment, Enrollment.id == ItemProgress.enrollment_id)
        .where(enrolled)
        .group_by(item_day, Enrollment.user_id, Enrollment.course_id)
    )
    yield (
        sa.select(
            *columns(TimeByDay.day, Enrollment.user_id, Enrollment.course_id, seconds=sa.func.sum(TimeByDay.seconds))
        )
        .join(Enrollment, Enrollment.id == TimeByDay.enrollment_id)
        .where(enrolled)
        .group_by(TimeByDay.day, Enrollment.user_id, Enrollment.course_id)
    )
    attempt_day = utc_day(QuizAttempt.submitted_at)
    graded = _graded()
    yield (
        sa.select(
            *columns(
                attempt_day,
                QuizAttempt.user_id,
                Quiz.course_id,
                attempts=sa.func.count(),
                graded_attempts=sa.func.count().filter(graded),
                percent_sum=sa.func.coalesce(sa.func.sum(QuizAttempt.percent).filter(graded), 0.0),
                passed_attempts=sa.func.count().filter(sa.and_(graded, QuizAttempt.passed.is_(True))),
            )
        )
        .join(Quiz, Quiz.id == QuizAttempt.quiz_id)
        .where(_user_range(QuizAttempt.user_id, low, high), QuizAttempt.status.in_(COUNTED_ATTEMPTS))
        .group_by(attempt_day, QuizAttempt.user_id, Quiz.course_id)
    )


def _insert_days(low, high):
    sources = sa.union_all(*_day_sources(low, high)).subquery("source")
    sums = [sa.func.sum(sources.c[name]).label(name) for name in DAY_COUNTS]
    merged = (
        sa.select(sources.c.day, sources.c.user_id, sources.c.course_id, *sums)
        .group_by(sources.c.day, sources.c.user_id, sources.c.course_id)
        .having(sa.or_(*(sa.func.sum(sources.c[name]) != 0 for name in DAY_COUNTS)))
    )
    names = ["day", "user_id", "course_id", *DAY_COUNTS]
    return db.session.execute(sa.insert(AnalyticsDay).from_select(names, merged)).rowcount


def _insert_enrollments(low, high, now):
    items = (
        sa.select(
            ItemProgress.enrollment_id,
            sa.func.count(ItemProgress.id).label("done"),
            sa.func.max(ItemProgress.completed_at).label("last"),
        )
        .join(Enrollment, Enrollment.id == ItemProgress.enrollment_id)
        .where(_user_range(Enrollment.user_id, low, high))
        .group_by(ItemProgress.enrollment_id)
        .subquery("items")
    )
    graded = _graded()
    attempts = (
        sa.select(
            QuizAttempt.user_id,
            Quiz.course_id,
            sa.func.count(QuizAttempt.id).label("made"),
            sa.func.count(QuizAttempt.id).filter(graded).label("graded"),
            sa.func.max(QuizAttempt.percent).filter(graded).label("best"),
            sa.func.max(QuizAttempt.submitted_at).label("last"),
        )
        .join(Quiz, Quiz.id == QuizAttempt.quiz_id)
        .where(_user_range(QuizAttempt.user_id, low, high), QuizAttempt.status.in_(COUNTED_ATTEMPTS))
        .group_by(QuizAttempt.user_id, Quiz.course_id)
        .subquery("attempts")
    )
    enrolled_at = Enrollment.enrolled_at
    rows = (
        sa.select(
            Enrollment.id,
            Enrollment.course_id,
            Enrollment.user_id,
            Enrollment.class_id,
            Enrollment.status == "active",
            enrolled_at,
            Enrollment.due_at,
            Enrollment.completed_at,
            sa.func.coalesce(items.c.done, 0),
            Enrollment.seconds_spent,
            latest_of(
                enrolled_at,
                sa.func.coalesce(items.c.last, enrolled_at),
                sa.func.coalesce(Enrollment.last_reported_at, enrolled_at),
                sa.func.coalesce(attempts.c.last, enrolled_at),
            ),
            sa.func.coalesce(attempts.c.made, 0),
            sa.func.coalesce(attempts.c.graded, 0),
            attempts.c.best,
            sa.literal(now, sa.DateTime),
        )
        .outerjoin(items, items.c.enrollment_id == Enrollment.id)
        .outerjoin(
            attempts, sa.and_(attempts.c.user_id == Enrollment.user_id, attempts.c.course_id == Enrollment.course_id)
        )
        .where(_user_range(Enrollment.user_id, low, high))
    )
    names = [
        "enrollment_id",
        "course_id",
        "user_id",
        "class_id",
        "active",
        "enrolled_at",
        "due_at",
        "completed_at",
        "items_completed",
        "seconds_spent",
        "last_activity_at",
        "attempts",
        "graded_attempts",
        "best_percent",
        "refreshed_at",
    ]
    return db.session.execute(sa.insert(LearnerCourse).from_select(names, rows)).rowcount


@dataclass(frozen=True)
class RebuildResult:
    enrollments: int
    days: int
    seconds: float


def _highest_user_id():
    highest = [
        db.session.scalar(sa.select(sa.func.max(column)))
        for column in (Enrollment.user_id, SignIn.user_id, QuizAttempt.user_id)
    ]
    return max((value for value in highest if value is not None), default=0)


def rebuild(session=None, chunk=REBUILD_CHUNK_USERS):
    """Replace both tables' contents with rows computed from the sources, in one transaction (committed
    here): the people in user id ranges of `chunk`, one `INSERT ... SELECT` per table and range. Answers
    the rows written and the seconds it took."""
    session = session or db.session
    started = time.perf_counter()
    with row_locks():  # SQLite: the write lock first; PostgreSQL: the tables' own locks below
        if _dialect() == "postgresql":
            execute_in_tenant(sa.text("LOCK TABLE analytics_enrollments, analytics_days IN EXCLUSIVE MODE"))
        session.execute(sa.delete(LearnerCourse))
        session.execute(sa.delete(AnalyticsDay))
        now = utcnow()
        enrollments = days = 0
        for low in range(0, _highest_user_id() + 1, chunk):
            enrollments += _insert_enrollments(low, low + chunk, now)
            days += _insert_days(low, low + chunk)
    session.commit()
    return RebuildResult(enrollments, days, time.perf_counter() - started)


def day_of(moment):
    """The UTC day of a naive UTC timestamp."""
    return moment.date()


def days_around(moment, margin=timedelta(minutes=1)):
    """The day of an event's time, and the neighbouring day when the time is within `margin` of midnight: the
    source row's own timestamp was taken a moment before or after the event's."""
    return sorted({day_of(moment - margin), day_of(moment), day_of(moment + margin)})
