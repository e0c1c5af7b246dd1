"""Keeping the read model (`analytics_enrollments`, `analytics_days`) from the source tables.

Every row is recomputed for its key from `enrollments`, `item_progress`, `time_by_day`, `sign_ins` and
`quiz_attempts` (+ `quizzes` for the course), never incremented: `refresh_enrollment` and `refresh_day` for
one key (the subscribers call them), `rebuild` for every key at once, set-based. Both compute what
docs/analytics.md defines, so a rebuild gives exactly the rows the events gave.

Days are UTC days of the naive UTC timestamps the tables hold. One key's refresh selects with ranges on
indexed columns (`created_at >= day AND < day + 1`); the rebuild groups by `utc_day(column)`, which is
`date(x)` on SQLite and `CAST(x AS DATE)` on PostgreSQL.
"""

import contextvars
import time
import weakref
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from types import SimpleNamespace

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
from blueprints.analytics.models import (
    ACTIVE_ENROLLMENT,
    ACTIVITY_COUNTS,
    ALL_COURSES,
    BRANCH,
    CLASS,
    DAY_COUNTS,
    DEFAULT_AT_RISK_DAYS,
    GROUP_DAY_COUNTS,
    GROUP_FIGURES,
    NO_COURSE,
    OPEN_ENROLLMENT,
    PERSON_PROGRESS,
    AnalyticsCourse,
    AnalyticsCourseDay,
    AnalyticsDay,
    AnalyticsGroup,
    AnalyticsGroupDay,
    AnalyticsGroupMember,
    AnalyticsPerson,
    LearnerCourse,
)
from blueprints.assessments.models import AttemptStatus, Quiz, QuizAttempt
from blueprints.auth.models import SignIn
from blueprints.branches.queries import branch_members
from blueprints.classes.queries import student_classes
from blueprints.courses.queries import item_count_of, item_counts
from blueprints.learning.models import Enrollment, ItemProgress, TimeByDay

INTEGER_DAY_COUNTS = tuple(name for name in DAY_COUNTS if name != "percent_sum")
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


class earliest_of(FunctionElement):
    """The earliest of several values, none of them null (`coalesce` them first)."""

    type = sa.Date()
    name = "earliest_of"
    inherit_cache = True


@compiles(earliest_of)
def _earliest_of(element, compiler, **kw):
    return f"LEAST({compiler.process(element.clauses, **kw)})"


@compiles(earliest_of, "sqlite")
def _earliest_of_sqlite(element, compiler, **kw):
    return f"min({compiler.process(element.clauses, **kw)})"


class days_after(FunctionElement):
    """A SQL date `days` (a whole number, not a parameter) after another."""

    type = sa.Date()
    name = "days_after"
    inherit_cache = False  # the number is written into the SQL

    def __init__(self, day, days):
        self.days = int(days)
        super().__init__(day)


@compiles(days_after)
def _days_after(element, compiler, **kw):
    return f"({compiler.process(element.clauses, **kw)} + {element.days})"


@compiles(days_after, "sqlite")
def _days_after_sqlite(element, compiler, **kw):
    return f"date({compiler.process(element.clauses, **kw)}, '+{element.days} days')"


def _dialect():
    return engine_for(require_tenant()).dialect.name


def _execute(statement, params):
    """Core statements over the tables (no ORM): built once, bound to the tenant's database."""
    return execute_in_tenant(statement, params)


def _adding_upsert_of(table, keys, dialect, latest=(), recounted=()):
    """Insert the row or, when its key exists, add its values to the row's (the columns in `latest`: keep the
    later of both, none counting as earlier): the roll-ups' change, commutative between concurrent deliveries.
    The columns in `recounted` are neither inserted nor changed here (another statement recomputes them)."""
    insert = sqlite_insert if dialect == "sqlite" else postgresql_insert
    columns = [column for column in table.c if column.name not in recounted]
    stmt = insert(table).values({column.name: sa.bindparam(column.name) for column in columns})

    def combined(column):
        new = stmt.excluded[column.name]
        if column.name in latest:
            return latest_of(sa.func.coalesce(column, new), sa.func.coalesce(new, column))
        return column + new

    return stmt.on_conflict_do_update(
        index_elements=keys, set_={column.name: combined(column) for column in columns if column.name not in keys}
    )


def _activity(table):
    """A day row (or a sum of them) holds something the learner did."""
    return sa.or_(*(table.c[name] > 0 for name in ACTIVITY_COUNTS))


def _upsert_of(table, keys, dialect):
    """Insert the row or, when its key exists, overwrite it: one statement, safe against a concurrent twin."""
    insert = sqlite_insert if dialect == "sqlite" else postgresql_insert
    stmt = insert(table).values({column.name: sa.bindparam(column.name) for column in table.c})
    return stmt.on_conflict_do_update(
        index_elements=keys,
        set_={column.name: stmt.excluded[column.name] for column in table.c if column.name not in keys},
    )


# `AnalyticsPerson`'s figures of the person's active enrollments, recomputed from their `LearnerCourse` rows (and,
# for the progress, their courses' item counts)
PERSON_ENROLLMENT_FIGURES = ("last_activity_at", "open_due_at", "open_activity_at", *PERSON_PROGRESS)


def enrollment_progress(learners, item_count):
    """One enrollment's progress in percent: 100 when completed, else the items completed of the course's
    `item_count`, at most 100 (docs/analytics.md, "Figures"; meaningful only when the course has items)."""
    return sa.case(
        (learners.c.completed_at.is_not(None), 100.0),
        (learners.c.items_completed >= item_count, 100.0),
        else_=100.0 * learners.c.items_completed / item_count,
    )


def _person_enrollment_figures(learners, item_count):
    """{column: (aggregate, *conditions)} over one person's (or, grouped, each person's) `LearnerCourse` rows;
    `item_count`, the item count of each row's course. The aggregates of `PERSON_PROGRESS` are none over no
    rows: their users make them 0."""
    active = learners.c.active.is_(True)
    still_open = learners.c.completed_at.is_(None)
    with_items = item_count > 0
    return {
        "last_activity_at": (sa.func.max(learners.c.last_activity_at), active),
        "open_due_at": (sa.func.min(learners.c.due_at), active, still_open),
        "open_activity_at": (sa.func.min(learners.c.last_activity_at), active, still_open),
        "completed": (sa.func.count(learners.c.completed_at), active),
        "progress_sum": (sa.func.sum(enrollment_progress(learners, item_count)), active, with_items),
        "progress_count": (sa.func.count(), active, with_items),
    }


def _recount_people(people, learners, person):
    """An UPDATE of `analytics_people` that recomputes `PERSON_ENROLLMENT_FIGURES` of the people `person` is
    (a bound id, or `people.c.user_id` for every row the caller's WHERE keeps) from their rows."""
    figures = _person_enrollment_figures(learners, item_count_of(learners.c.course_id))
    values = {}
    for name, (figure, *where) in figures.items():
        value = sa.select(figure).where(learners.c.user_id == person, *where).scalar_subquery()
        values[name] = sa.func.coalesce(value, 0) if name in PERSON_PROGRESS else value
    return sa.update(people).values(values)


@cache
def _statements(dialect):
    """The refreshes' statements, built once per database kind (their construction cost more than running them)."""
    enrollments, progress, spent = Enrollment.__table__, ItemProgress.__table__, TimeByDay.__table__
    attempts, quizzes, sign_ins = QuizAttempt.__table__, Quiz.__table__, SignIn.__table__
    learners, days = LearnerCourse.__table__, AnalyticsDay.__table__
    course_days, courses, people = AnalyticsCourseDay.__table__, AnalyticsCourse.__table__, AnalyticsPerson.__table__
    course_id, user_id = sa.bindparam("course_id", type_=sa.Integer), sa.bindparam("user_id", type_=sa.Integer)
    start, end = sa.bindparam("start", type_=sa.DateTime), sa.bindparam("end", type_=sa.DateTime)
    day = sa.bindparam("day", type_=sa.Date)
    # an UPDATE of `analytics_people` would take a `user_id` parameter for a new value of its column
    person_id = sa.bindparam("person_id", type_=sa.Integer)
    graded = attempts.c.status == AttemptStatus.GRADED
    counted = sa.and_(
        attempts.c.user_id == user_id,
        attempts.c.status.in_(COUNTED_ATTEMPTS),
        attempts.c.quiz_id.in_(sa.select(quizzes.c.id).where(quizzes.c.course_id == course_id)),
    )
    this_enrollment = sa.and_(enrollments.c.course_id == course_id, enrollments.c.user_id == user_id)

    def of_items(figure):
        return sa.select(figure).where(progress.c.enrollment_id == enrollments.c.id).correlate(enrollments)

    def within(column):
        return sa.and_(column >= start, column < end)

    def scalar(figure, *where):
        return sa.select(figure).where(*where).scalar_subquery()

    enrollment_id = sa.select(enrollments.c.id).where(this_enrollment).scalar_subquery()
    on_the_day = sa.and_(counted, within(attempts.c.submitted_at))
    graded_on_the_day = sa.and_(on_the_day, graded)
    return SimpleNamespace(
        # the pair's lock, then the person's (course 0): a person's deliveries take turns for their roll-ups
        lock=sa.text("SELECT pg_advisory_xact_lock(:user_id, :course_id), pg_advisory_xact_lock(:user_id, 0)"),
        lock_person=sa.text("SELECT pg_advisory_xact_lock(:user_id, 0)"),
        old_enrollment=sa.select(
            learners.c.active,
            learners.c.completed_at,
            learners.c.items_completed,
            learners.c.seconds_spent,
            learners.c.due_at,
            learners.c.last_activity_at,
        ).where(learners.c.course_id == course_id, learners.c.user_id == user_id),
        old_day=sa.select(*(days.c[name] for name in DAY_COUNTS)).where(
            days.c.day == day, days.c.user_id == user_id, days.c.course_id == course_id
        ),
        add_course=_adding_upsert_of(courses, ["course_id"], dialect),
        forget_empty_course=sa.delete(courses).where(courses.c.course_id == course_id, courses.c.enrollments == 0),
        add_course_day=_adding_upsert_of(course_days, ["day", "course_id"], dialect),
        forget_empty_course_day=sa.delete(course_days).where(
            course_days.c.day == day,
            course_days.c.course_id == course_id,
            *(course_days.c[name] == 0 for name in (*INTEGER_DAY_COUNTS, "active_learners")),
        ),
        add_person=_adding_upsert_of(
            people, ["user_id"], dialect, latest=("last_active_day",), recounted=PERSON_ENROLLMENT_FIGURES
        ),
        recount_person=_recount_people(people, learners, person_id).where(people.c.user_id == person_id),
        # the people with an active enrollment in the course, after its items changed (their rows locked first
        # on PostgreSQL, so that the recount reads what a concurrent delivery of theirs committed)
        lock_people_of_course=sa.select(people.c.user_id)
        .where(
            people.c.user_id.in_(
                sa.select(learners.c.user_id).where(learners.c.course_id == course_id, learners.c.active.is_(True))
            )
        )
        .order_by(people.c.user_id)
        .with_for_update(),
        recount_people_of_course=_recount_people(people, learners, people.c.user_id).where(
            people.c.user_id.in_(
                sa.select(learners.c.user_id).where(learners.c.course_id == course_id, learners.c.active.is_(True))
            )
        ),
        active_rows_of_day=sa.select(sa.func.count()).where(
            days.c.user_id == user_id, days.c.day == day, _activity(days)
        ),
        recount_last_active_day=sa.update(people)
        .where(people.c.user_id == user_id)
        .values(
            last_active_day=sa.select(sa.func.max(days.c.day))
            .where(days.c.user_id == user_id, _activity(days))
            .scalar_subquery()
        ),
        forget_empty_person=sa.delete(people).where(
            people.c.user_id == user_id, people.c.active_enrollments == 0, people.c.last_active_day.is_(None)
        ),
        enrollment=sa.select(
            enrollments.c.id,
            enrollments.c.class_id,
            enrollments.c.status,
            enrollments.c.enrolled_at,
            enrollments.c.due_at,
            enrollments.c.completed_at,
            enrollments.c.seconds_spent,
            enrollments.c.last_reported_at,
            of_items(sa.func.count(progress.c.id)).scalar_subquery(),
            of_items(sa.func.max(progress.c.completed_at)).scalar_subquery(),
        ).where(this_enrollment),
        attempts=sa.select(
            sa.func.count(attempts.c.id),
            sa.func.count(attempts.c.id).filter(graded),
            sa.func.max(attempts.c.percent).filter(graded),
            sa.func.max(attempts.c.submitted_at),
        ).where(counted),
        forget_enrollment=sa.delete(learners).where(learners.c.course_id == course_id, learners.c.user_id == user_id),
        upsert_enrollment=_upsert_of(learners, ["enrollment_id"], dialect),
        sign_ins=sa.select(sa.func.count(sign_ins.c.id)).where(
            sign_ins.c.user_id == user_id, within(sign_ins.c.created_at)
        ),
        course_day=sa.select(
            scalar(sa.func.count(enrollments.c.id), this_enrollment, within(enrollments.c.enrolled_at)),
            scalar(sa.func.count(enrollments.c.id), this_enrollment, within(enrollments.c.completed_at)),
            scalar(
                sa.func.count(progress.c.id),
                progress.c.enrollment_id == enrollment_id,
                within(progress.c.completed_at),
            ),
            scalar(
                sa.func.coalesce(sa.func.sum(spent.c.seconds), 0),
                spent.c.enrollment_id == enrollment_id,
                spent.c.day == day,
            ),
            scalar(sa.func.count(attempts.c.id), on_the_day),
            scalar(sa.func.count(attempts.c.id), graded_on_the_day),
            scalar(sa.func.coalesce(sa.func.sum(attempts.c.percent), 0.0), graded_on_the_day),
            scalar(sa.func.count(attempts.c.id), graded_on_the_day, attempts.c.passed.is_(True)),
        ),
        forget_day=sa.delete(days).where(days.c.day == day, days.c.user_id == user_id, days.c.course_id == course_id),
        upsert_day=_upsert_of(days, ["day", "user_id", "course_id"], dialect),
    )


@cache
def _group_statements(dialect):
    """The statements keeping the roll-ups per branch and per class, built once per database kind."""
    learners, days, people = LearnerCourse.__table__, AnalyticsDay.__table__, AnalyticsPerson.__table__
    members, groups, group_days = (
        AnalyticsGroupMember.__table__,
        AnalyticsGroup.__table__,
        AnalyticsGroupDay.__table__,
    )
    user_id = sa.bindparam("user_id", type_=sa.Integer)
    user_ids = sa.bindparam("user_ids", expanding=True, type_=sa.Integer)
    course_id = sa.bindparam("course_id", type_=sa.Integer)
    kind, group_id = sa.bindparam("kind", type_=sa.String), sa.bindparam("group_id", type_=sa.Integer)
    day = sa.bindparam("day", type_=sa.Date)
    active_in_course = sa.select(learners.c.user_id).where(
        learners.c.course_id == course_id, learners.c.active.is_(True)
    )
    source = _membership_sources().subquery("source")
    return SimpleNamespace(
        # the people's shares of their groups (no row: none, as `figures._people_now_from_people` joins the row)
        shares=sa.select(
            people.c.user_id,
            sa.select(sa.func.count())
            .where(learners.c.user_id == people.c.user_id, sa.text(ACTIVE_ENROLLMENT))
            .scalar_subquery()
            .label("enrollments"),
            people.c.completed,
            people.c.progress_sum,
            people.c.progress_count,
        ).where(people.c.user_id.in_(user_ids)),
        # their open enrollments (due and risk days) and their day rows with graded attempts
        open_enrollments=sa.select(learners.c.user_id, learners.c.due_at, learners.c.last_activity_at).where(
            learners.c.user_id.in_(user_ids), sa.text(OPEN_ENROLLMENT)
        ),
        graded_days=sa.select(days.c.user_id, days.c.day, days.c.graded_attempts, days.c.percent_sum).where(
            days.c.user_id.in_(user_ids), days.c.course_id != NO_COURSE, days.c.graded_attempts > 0
        ),
        # who counts in which group: the copy, and the sources
        groups_of_people=sa.select(members.c.user_id, members.c.kind, members.c.group_id).where(
            members.c.user_id.in_(user_ids)
        ),
        source_groups_of_people=sa.select(source.c.user_id, source.c.kind, source.c.group_id).where(
            source.c.user_id.in_(user_ids)
        ),
        # PostgreSQL: the person's advisory lock (see `_serialize`) of each of them, in person order
        lock_people=sa.text(
            "SELECT pg_advisory_xact_lock(person, 0) FROM (SELECT unnest(CAST(:user_ids AS integer[])) AS person"
            " ORDER BY person OFFSET 0) AS people"  # the locks taken in this order: the sort stays below the calls
        ),
        add_member=sa.insert(members).values(kind=kind, group_id=group_id, user_id=user_id),
        forget_member=sa.delete(members).where(
            members.c.kind == kind, members.c.group_id == group_id, members.c.user_id == user_id
        ),
        add_group=_adding_upsert_of(groups, ["kind", "group_id"], dialect),
        forget_empty_group=sa.delete(groups).where(
            groups.c.kind == kind, groups.c.group_id == group_id, groups.c.learners == 0
        ),
        add_group_day=_adding_upsert_of(group_days, ["kind", "group_id", "day"], dialect),
        forget_empty_group_day=sa.delete(group_days).where(
            group_days.c.kind == kind,
            group_days.c.group_id == group_id,
            group_days.c.day == day,
            *(group_days.c[name] == 0 for name in GROUP_DAY_COUNTS if name != "percent_sum"),
        ),
        # the figures of the people with an active enrollment in a course, and their groups
        people_of_course=sa.select(
            people.c.user_id, people.c.completed, people.c.progress_sum, people.c.progress_count
        ).where(people.c.user_id.in_(active_in_course)),
        groups_of_people_of_course=sa.select(members.c.kind, members.c.group_id, members.c.user_id).where(
            members.c.user_id.in_(active_in_course)
        ),
        # PostgreSQL: the person's advisory lock (see `_serialize`) of each of them, in person order
        lock_people_of_course=sa.select(
            sa.literal_column("user_id"),
            sa.func.pg_advisory_xact_lock(sa.literal_column("user_id"), sa.literal_column("0")),
        ).select_from(
            sa.select(learners.c.user_id)
            .where(learners.c.course_id == course_id, learners.c.active.is_(True))
            .order_by(learners.c.user_id)
            .offset(0)  # the locks taken in this order: the sort stays below the function's calls
            .subquery()
        ),
    )


def _membership_sources():
    """(kind, group_id, user_id) of who counts in which group, from the sources: a branch's members in any role
    (as `performance`'s branches), a class's students."""
    branches, classes = branch_members().subquery(), student_classes().subquery()
    return sa.union_all(
        sa.select(sa.literal(BRANCH).label("kind"), branches.c.branch_id.label("group_id"), branches.c.user_id),
        sa.select(sa.literal(CLASS), classes.c.class_id, classes.c.user_id),
    )


def _shares_of(statements, user_ids):
    """{person: {figure: value}} of `GROUP_FIGURES`: what each person adds to each of their groups now (nothing
    without an active enrollment)."""
    found = {user_id: dict.fromkeys(GROUP_FIGURES, 0) for user_id in user_ids}
    for row in _execute(statements.shares, {"user_ids": list(found)}):
        if row.enrollments:
            found[row.user_id] = {
                "learners": 1,
                "enrollments": row.enrollments,
                "completed": row.completed,
                "progress_sum": row.progress_sum,
                "progress_count": row.progress_count,
            }
    return found


def _person_share(statements, user_id):
    """{figure: value} of `GROUP_FIGURES` of one person (see `_shares_of`)."""
    return _shares_of(statements, [user_id])[user_id]


def _risk_moment(due_at, last_activity_at):
    """When an open enrollment becomes at risk at the default at-risk days: overdue or inactive, the earlier."""
    inactive_from = last_activity_at + timedelta(days=DEFAULT_AT_RISK_DAYS)
    return inactive_from if due_at is None else min(due_at, inactive_from)


def _open_days(enrollment):
    """{day: {"due_open": n, "risk_open": n}} of one enrollment row (a mapping, or None): its due day and its risk
    day while it is active and not completed."""
    if enrollment is None or not enrollment["active"] or enrollment["completed_at"] is not None:
        return {}
    found = {}
    if enrollment["due_at"] is not None:
        found.setdefault(day_of(enrollment["due_at"]), dict.fromkeys(GROUP_DAY_COUNTS, 0))["due_open"] += 1
    moment = _risk_moment(enrollment["due_at"], enrollment["last_activity_at"])
    found.setdefault(day_of(moment), dict.fromkeys(GROUP_DAY_COUNTS, 0))["risk_open"] += 1
    return found


def _day_changes(before, after):
    """{day: {count: after - before}} of two `_open_days`-like dicts, the days whose counts changed."""
    changes = {}
    for day in set(before) | set(after):
        old, new = before.get(day, {}), after.get(day, {})
        change = {name: new.get(name, 0) - old.get(name, 0) for name in GROUP_DAY_COUNTS}
        if any(change.values()):
            changes[day] = change
    return changes


def _days_of(statements, user_ids):
    """{person: {day: counts}} of what each person adds to each of their groups' days: their open enrollments' due
    and risk days, their graded attempts."""
    found = {user_id: {} for user_id in user_ids}
    params = {"user_ids": list(found)}
    for user_id, due_at, last_activity_at in _execute(statements.open_enrollments, params):
        row = {"active": True, "completed_at": None, "due_at": due_at, "last_activity_at": last_activity_at}
        for day, counts in _open_days(row).items():
            mine = found[user_id].setdefault(day, dict.fromkeys(GROUP_DAY_COUNTS, 0))
            for name, value in counts.items():
                mine[name] += value
    for user_id, day, graded, percent_sum in _execute(statements.graded_days, params):
        mine = found[user_id].setdefault(day, dict.fromkeys(GROUP_DAY_COUNTS, 0))
        mine["graded"] += graded
        mine["percent_sum"] += percent_sum
    return found


class _GroupChanges:
    """Changes to add to groups and group days, summed per key, then written in key order (so that concurrent
    transactions take the rows' locks in the same order) with the rows they leave empty deleted."""

    def __init__(self):
        self.groups, self.days = {}, {}

    def add(self, groups, share, days, sign=1):
        for group in groups:
            if any(share.values()):
                mine = self.groups.setdefault(group, dict.fromkeys(GROUP_FIGURES, 0))
                for name, value in share.items():
                    mine[name] += sign * value
            for day, counts in days.items():
                mine = self.days.setdefault((*group, day), dict.fromkeys(GROUP_DAY_COUNTS, 0))
                for name, value in counts.items():
                    mine[name] += sign * value

    def write(self, statements):
        groups = [
            {"kind": kind, "group_id": group_id, **change}
            for (kind, group_id), change in sorted(self.groups.items())
            if any(change.values())
        ]
        if groups:
            _execute(statements.add_group, groups)
            emptied = [{"kind": row["kind"], "group_id": row["group_id"]} for row in groups if row["learners"] < 0]
            if emptied:
                _execute(statements.forget_empty_group, emptied)
        days = [
            {"kind": kind, "group_id": group_id, "day": day, **change}
            for (kind, group_id, day), change in sorted(self.days.items())
            if any(change.values())
        ]
        if days:
            _execute(statements.add_group_day, days)
            emptied = [
                {"kind": row["kind"], "group_id": row["group_id"], "day": row["day"]}
                for row in days
                if row["due_open"] < 0 or row["risk_open"] < 0 or row["graded"] < 0
            ]
            if emptied:
                _execute(statements.forget_empty_group_day, emptied)


_PENDING_GROUP_CHANGES = contextvars.ContextVar("pending_group_changes", default=None)


@contextmanager
def group_writes():
    """Within: every change to the roll-ups per group is summed, then written once at the end, in key order. The
    subscribers run each delivery within, whichever refreshes it makes: two deliveries then take the group rows'
    locks in one order, so PostgreSQL never aborts one as deadlocked (each refresh writing its own changes could
    lock one member's days in the order another member's delivery locks them the other way round). Nested, the
    outermost writes; without one, each refresh writes its own changes."""
    pending = _PENDING_GROUP_CHANGES.get()
    if pending is not None:
        yield pending
        return
    changes = _GroupChanges()
    token = _PENDING_GROUP_CHANGES.set(changes)
    try:
        yield changes
    finally:
        _PENDING_GROUP_CHANGES.reset(token)
    changes.write(_group_statements(_dialect()))  # not after an error: the transaction rolls back


def _add_to_person_s_groups(user_id, share_change, day_changes):
    """Add one person's change (`GROUP_FIGURES`, and {day: counts}) to each group they count in (the copy)."""
    if not any(share_change.values()) and not day_changes:
        return
    statements = _group_statements(_dialect())
    groups = [(kind, group_id) for _, kind, group_id in _execute(statements.groups_of_people, {"user_ids": [user_id]})]
    if groups:
        with group_writes() as changes:
            changes.add(groups, share_change, day_changes)


def _grouped(rows):
    """{person: {(kind, group_id)}} of (user_id, kind, group_id) rows."""
    found = {}
    for user_id, kind, group_id in rows:
        found.setdefault(user_id, set()).add((kind, group_id))
    return found


MEMBERSHIP_CHUNK = 500  # people per set of statements: an import batch's event names up to a batch


def refresh_memberships(user_ids):
    """Bring the copy of these people's memberships (`analytics_group_members`) to what the sources say, adding
    each person's whole share to the groups they joined and taking it back from those they left: a redelivery
    finds nothing to change. Set-based: a handful of statements per `MEMBERSHIP_CHUNK` people, whatever their
    number. On PostgreSQL everyone's advisory lock first (as their refreshes take it, in person order), so that
    a refresh of theirs never runs between reading their share and changing the copy."""
    dialect = _dialect()
    statements = _group_statements(dialect)
    people = sorted(set(user_ids))
    with group_writes() as changes:
        for start in range(0, len(people), MEMBERSHIP_CHUNK):
            _reconcile_memberships(statements, dialect, people[start : start + MEMBERSHIP_CHUNK], changes)


def _reconcile_memberships(statements, dialect, people, changes):
    params = {"user_ids": people}
    if dialect == "postgresql":
        with row_locks():
            _execute(statements.lock_people, params)
    wanted = _grouped(_execute(statements.source_groups_of_people, params))
    held = _grouped(_execute(statements.groups_of_people, params))
    moves = {}
    for user_id in people:
        mine, theirs = wanted.get(user_id, set()), held.get(user_id, set())
        if mine != theirs:
            moves[user_id] = (sorted(mine - theirs), sorted(theirs - mine))
    if not moves:
        return
    shares, days = _shares_of(statements, list(moves)), _days_of(statements, list(moves))
    joined_pairs, left_pairs = [], []
    for user_id, (joined, left) in moves.items():
        changes.add(joined, shares[user_id], days[user_id])
        changes.add(left, shares[user_id], days[user_id], sign=-1)
        joined_pairs += [{"kind": kind, "group_id": group_id, "user_id": user_id} for kind, group_id in joined]
        left_pairs += [{"kind": kind, "group_id": group_id, "user_id": user_id} for kind, group_id in left]
    if joined_pairs:
        _execute(statements.add_member, joined_pairs)
    if left_pairs:
        _execute(statements.forget_member, left_pairs)


_SERIALIZED = weakref.WeakKeyDictionary()  # transaction -> the (user, course) pairs it holds already


def _serialize(statements, dialect, user_id, course_id):
    """The refreshes of one learner in one course take turns until commit, so that the last one to write has
    read the newest sources (PostgreSQL: an advisory lock on the pair; SQLite: the database's write lock). Once
    per transaction: a delivery refreshes the enrollment and its days under one lock. On PostgreSQL the person's
    lock (course 0) follows, always in that order: the deliveries of one person take turns, so that whether they
    did anything else that day, and their `analytics_people` row, are theirs to change (the roll-ups)."""
    session = db.session()
    held = _SERIALIZED.setdefault(session.get_transaction() or session.begin(), set())
    if (user_id, course_id) in held:
        return
    with row_locks():
        if dialect == "postgresql":
            _execute(statements.lock, {"user_id": user_id, "course_id": course_id})
    held.add((user_id, course_id))


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
    dialect = _dialect()
    statements = _statements(dialect)
    _serialize(statements, dialect, user_id, course_id)
    key = {"course_id": course_id, "user_id": user_id}
    old = _execute(statements.old_enrollment, key).first()
    enrollment = _execute(statements.enrollment, key).first()
    if enrollment is None:
        share = _person_share(_group_statements(dialect), user_id) if old is not None else None
        _execute(statements.forget_enrollment, key)
        _roll_up_enrollment(statements, key, old, None)
        if old is not None:
            _execute(statements.recount_person, {"person_id": user_id})
            _roll_up_groups(dialect, user_id, share, old._mapping, None)
        return None
    (eid, class_id, status, enrolled_at, due_at, completed_at, seconds, reported_at, items_done, last_item) = enrollment
    attempt_count, graded_count, best_percent, last_submitted = _execute(statements.attempts, key).one()
    moments = [enrolled_at, last_item, reported_at, last_submitted]
    row = {
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
    }
    changes_person = old is None or _person_figures_of(old._mapping) != _person_figures_of(row)
    share = _person_share(_group_statements(dialect), user_id) if changes_person else None
    _execute(statements.upsert_enrollment, row)
    _roll_up_enrollment(statements, key, old, row)
    if changes_person:
        _execute(statements.recount_person, {"person_id": user_id})
        _roll_up_groups(dialect, user_id, share, None if old is None else old._mapping, row)
    return EnrollmentState(eid, enrolled_at, completed_at)


def _roll_up_groups(dialect, user_id, share_before, old, new):
    """Add the change of the person's share (`share_before` -> now) and of one enrollment's open days (`old` ->
    `new` rows, either may be none) to each of the person's groups."""
    share_after = _person_share(_group_statements(dialect), user_id)
    share_change = {name: share_after[name] - share_before[name] for name in GROUP_FIGURES}
    _add_to_person_s_groups(user_id, share_change, _day_changes(_open_days(old), _open_days(new)))


def _person_figures_of(enrollment):
    """What of an enrollment's row its person's `PERSON_ENROLLMENT_FIGURES` depend on."""
    return tuple(
        enrollment[name] for name in ("active", "completed_at", "due_at", "last_activity_at", "items_completed")
    )


def refresh_course_progress(course_id):
    """Recompute the progress figures (`PERSON_ENROLLMENT_FIGURES`) of every person with an active enrollment in
    the course, set-based: its items changed, and with them each enrollment's progress (one UPDATE; on
    PostgreSQL their rows are locked first, in person order)."""
    dialect = _dialect()
    statements, groups_statements = _statements(dialect), _group_statements(dialect)
    key = {"course_id": course_id}
    locked = None  # SQLite: the database's write lock holds everyone
    with row_locks():
        if dialect == "postgresql":
            # the people's advisory locks first, as their refreshes and memberships take them (`_serialize`)
            locked = {row.user_id for row in _execute(groups_statements.lock_people_of_course, key)}
            _execute(statements.lock_people_of_course, key)
    before = {row.user_id: row for row in _execute(groups_statements.people_of_course, key)}
    _execute(statements.recount_people_of_course, key)
    changed = {}
    for row in _execute(groups_statements.people_of_course, key):
        old = before.get(row.user_id)
        if old is None or (locked is not None and row.user_id not in locked):
            # enrolled (or back) since the lock: their own refresh, under their lock, reads the new items and
            # moves their share; counting them here too would add it twice (review, session 15)
            continue
        change = {name: row[index + 1] - old[index + 1] for index, name in enumerate(PERSON_PROGRESS)}
        if any(change.values()):
            changed[row.user_id] = change
    if not changed:
        return
    # each person's change to their groups (the enrollments and learners stay: every one of them is a learner)
    with group_writes() as changes:
        for kind, group_id, user_id in _execute(groups_statements.groups_of_people_of_course, key):
            if user_id in changed:
                changes.add([(kind, group_id)], {"learners": 0, "enrollments": 0, **changed[user_id]}, {})


def _course_share(active, completed_at, items_completed, seconds_spent):
    """What one enrollment adds to its course's roll-up: (enrollments, completed, progress_items, seconds)."""
    if not active:
        return (0, 0, 0, 0)
    completed = completed_at is not None
    return (1, int(completed), 0 if completed else items_completed, seconds_spent)


def _roll_up_enrollment(statements, key, old, new):
    """Add the change of one enrollment's row (old -> new, either may be none) to its course's and its person's
    roll-ups: nothing when it did not change (a redelivery)."""
    before = _course_share(*old[:4]) if old is not None else (0, 0, 0, 0)
    after = (
        _course_share(new["active"], new["completed_at"], new["items_completed"], new["seconds_spent"])
        if new is not None
        else (0, 0, 0, 0)
    )
    change = [now - then for now, then in zip(after, before, strict=True)]
    if not any(change):
        return
    names = ("enrollments", "completed", "progress_items", "seconds")
    _execute(statements.add_course, {"course_id": key["course_id"], **dict(zip(names, change, strict=True))})
    if change[0] < 0:
        _execute(statements.forget_empty_course, key)
    if change[0]:
        _execute(
            statements.add_person, {"user_id": key["user_id"], "active_enrollments": change[0], "last_active_day": None}
        )
        if change[0] < 0:
            _execute(statements.forget_empty_person, key)


COURSE_DAY_COUNTS = DAY_COUNTS[1:]  # every column but sign_ins, in `course_day`'s order


def refresh_day(day, user_id, course_id):
    """Recompute one `AnalyticsDay` row (course 0: the person's sign-ins), deleting it when every count is 0.
    Two statements and a lock; answers the row, or None when there is none."""
    dialect = _dialect()
    statements = _statements(dialect)
    _serialize(statements, dialect, user_id, course_id)
    start = datetime.combine(day, datetime.min.time())
    params = {"day": day, "start": start, "end": start + timedelta(days=1), "user_id": user_id, "course_id": course_id}
    old = _execute(statements.old_day, params).first()
    counts = dict.fromkeys(DAY_COUNTS, 0)
    if course_id == NO_COURSE:
        counts["sign_ins"] = _execute(statements.sign_ins, params).scalar()
    else:
        counts.update(zip(COURSE_DAY_COUNTS, _execute(statements.course_day, params).one(), strict=True))
    old_counts = dict(zip(DAY_COUNTS, old, strict=True)) if old else None
    if not any(counts.values()):
        _execute(statements.forget_day, params)
        _roll_up_day(statements, params, old_counts, None)
        _roll_up_graded(user_id, day, old_counts, None)
        return None
    row = {"day": day, "user_id": user_id, "course_id": course_id, **counts}
    _execute(statements.upsert_day, row)
    _roll_up_day(statements, params, old_counts, counts)
    _roll_up_graded(user_id, day, old_counts, counts)
    return row


def _roll_up_graded(user_id, day, old, new):
    """Add the change of a day row's graded attempts and their percents to each of the person's groups' day (only
    course rows have them)."""
    zero = {"graded_attempts": 0, "percent_sum": 0.0}
    graded = (new or zero)["graded_attempts"] - (old or zero)["graded_attempts"]
    percent_sum = (new or zero)["percent_sum"] - (old or zero)["percent_sum"]
    if graded or percent_sum:
        days = {day: {"due_open": 0, "risk_open": 0, "graded": graded, "percent_sum": percent_sum}}
        _add_to_person_s_groups(user_id, dict.fromkeys(GROUP_FIGURES, 0), days)


def _is_activity(counts):
    return counts is not None and any(counts[name] > 0 for name in ACTIVITY_COUNTS)


def _roll_up_day(statements, params, old, new):
    """Add the change of one day row (old -> new counts, either may be none) to the (day, course) roll-up and,
    when the row became activity or stopped being it, to the day's distinct active people and the person's
    last active day."""
    zero = dict.fromkeys(DAY_COUNTS, 0)
    change = {name: (new or zero)[name] - (old or zero)[name] for name in DAY_COUNTS}
    was_active, is_active = _is_activity(old), _is_activity(new)
    change["active_learners"] = int(is_active) - int(was_active)
    if not any(change.values()):
        return
    _execute(statements.add_course_day, {"day": params["day"], "course_id": params["course_id"], **change})
    if any(value < 0 for value in change.values()):
        _execute(statements.forget_empty_course_day, params)
    if was_active == is_active:
        return
    # whether the person did anything else that day (their deliveries take turns: see `_serialize`)
    others = _execute(statements.active_rows_of_day, params).scalar() - int(is_active)
    if others:
        return
    whole_day = {"day": params["day"], "course_id": ALL_COURSES, **dict.fromkeys(DAY_COUNTS, 0)}
    _execute(statements.add_course_day, {**whole_day, "active_learners": 1 if is_active else -1})
    person = {"user_id": params["user_id"]}
    if is_active:
        _execute(statements.add_person, {**person, "active_enrollments": 0, "last_active_day": params["day"]})
        return
    _execute(statements.forget_empty_course_day, {**params, "course_id": ALL_COURSES})
    _execute(statements.recount_last_active_day, person)
    _execute(statements.forget_empty_person, person)


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
    graded = QuizAttempt.status == AttemptStatus.GRADED
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


def _insert_days(session, low, high):
    sources = sa.union_all(*_day_sources(low, high)).subquery("source")
    sums = [sa.func.sum(sources.c[name]).label(name) for name in DAY_COUNTS]
    merged = (
        sa.select(sources.c.day, sources.c.user_id, sources.c.course_id, *sums)
        .group_by(sources.c.day, sources.c.user_id, sources.c.course_id)
        .having(sa.or_(*(sa.func.sum(sources.c[name]) != 0 for name in DAY_COUNTS)))
    )
    names = ["day", "user_id", "course_id", *DAY_COUNTS]
    session.execute(sa.insert(AnalyticsDay).from_select(names, merged))


def _insert_enrollments(session, low, high, now):
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
    graded = QuizAttempt.status == AttemptStatus.GRADED
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
    session.execute(sa.insert(LearnerCourse).from_select(names, rows))


READ_MODEL_TABLES = (
    "analytics_enrollments",
    "analytics_days",
    "analytics_course_days",
    "analytics_courses",
    "analytics_people",
    "analytics_group_members",
    "analytics_groups",
    "analytics_group_days",
)


def _insert_roll_ups(session):
    """The roll-ups from the read model just written, set-based: what the refreshes' changes add up to."""
    days, learners = AnalyticsDay.__table__, LearnerCourse.__table__
    active = _activity(days)
    names = ["day", "course_id", *DAY_COUNTS, "active_learners"]
    per_course_day = sa.select(
        days.c.day,
        days.c.course_id,
        *(sa.func.sum(days.c[name]) for name in DAY_COUNTS),
        sa.func.count().filter(active),
    ).group_by(days.c.day, days.c.course_id)
    session.execute(sa.insert(AnalyticsCourseDay).from_select(names, per_course_day))
    zero, zero_float = sa.literal(0), sa.literal(0.0, sa.Float)
    per_day = (
        sa.select(
            days.c.day,
            sa.literal(ALL_COURSES),
            *(zero_float if name == "percent_sum" else zero for name in DAY_COUNTS),
            sa.func.count(sa.distinct(days.c.user_id)),
        )
        .where(active)
        .group_by(days.c.day)
    )
    session.execute(sa.insert(AnalyticsCourseDay).from_select(names, per_day))
    is_active = learners.c.active.is_(True)
    completed = learners.c.completed_at.is_not(None)
    per_course = (
        sa.select(
            learners.c.course_id,
            sa.func.count(),
            sa.func.count(learners.c.completed_at),
            sa.func.coalesce(sa.func.sum(sa.case((completed, 0), else_=learners.c.items_completed)), 0),
            sa.func.coalesce(sa.func.sum(learners.c.seconds_spent), 0),
        )
        .where(is_active)
        .group_by(learners.c.course_id)
    )
    session.execute(
        sa.insert(AnalyticsCourse).from_select(
            ["course_id", "enrollments", "completed", "progress_items", "seconds"], per_course
        )
    )
    items = item_counts().subquery("course_items")
    item_count = sa.func.coalesce(items.c.item_count, 0)
    person_figures = _person_enrollment_figures(learners, item_count)

    def nothing(name):  # the day rows' part has none of the enrollment figures
        return sa.literal(0.0, sa.Float) if name == "progress_sum" else sa.cast(sa.null(), people_types[name])

    people_types = {name: AnalyticsPerson.__table__.c[name].type for name in person_figures}
    sources = sa.union_all(
        sa.select(
            learners.c.user_id.label("user_id"),
            sa.func.count().label("enrolled"),
            sa.cast(sa.null(), sa.Date).label("last_day"),
            *(
                figure.filter(*where[1:]).label(name) if where[1:] else figure.label(name)
                for name, (figure, *where) in person_figures.items()
            ),
        )
        .select_from(learners)
        .outerjoin(items, items.c.course_id == learners.c.course_id)
        .where(is_active)
        .group_by(learners.c.user_id),
        sa.select(
            days.c.user_id,
            sa.literal(0),
            sa.func.max(days.c.day),
            *(nothing(name) for name in person_figures),
        )
        .where(active)
        .group_by(days.c.user_id),
    ).subquery("source")
    per_person = sa.select(
        sources.c.user_id,
        sa.func.sum(sources.c.enrolled),
        sa.func.max(sources.c.last_day),
        # one source has them, the other none (the progress's sum: 0, and none when the person has no course with
        # items: 0 here too)
        *(
            sa.func.coalesce(sa.func.sum(sources.c[name]), 0)
            if name in PERSON_PROGRESS
            else sa.func.max(sources.c[name])
            for name in person_figures
        ),
    ).group_by(sources.c.user_id)
    session.execute(
        sa.insert(AnalyticsPerson).from_select(
            ["user_id", "active_enrollments", "last_active_day", *person_figures], per_person
        )
    )


def _insert_group_roll_ups(session):
    """The copy of the memberships and the roll-ups per group from it, the read model just written and the people's
    rows: what the memberships subscriber and the refreshes add up to."""
    members, learners, people, days = (
        AnalyticsGroupMember.__table__,
        LearnerCourse.__table__,
        AnalyticsPerson.__table__,
        AnalyticsDay.__table__,
    )
    session.execute(sa.insert(AnalyticsGroupMember).from_select(["kind", "group_id", "user_id"], _membership_sources()))
    counted = (
        sa.select(learners.c.user_id, sa.func.count().label("enrollments"))
        .where(learners.c.active.is_(True))
        .group_by(learners.c.user_id)
        .subquery("counted")
    )
    per_group = (
        sa.select(
            members.c.kind,
            members.c.group_id,
            sa.func.count(),
            sa.func.sum(counted.c.enrollments),
            sa.func.sum(people.c.completed),
            sa.func.sum(people.c.progress_sum),
            sa.func.sum(people.c.progress_count),
        )
        .select_from(counted)
        .join(people, people.c.user_id == counted.c.user_id)
        .join(members, members.c.user_id == counted.c.user_id)
        .group_by(members.c.kind, members.c.group_id)
    )
    session.execute(sa.insert(AnalyticsGroup).from_select(["kind", "group_id", *GROUP_FIGURES], per_group))
    still_open = sa.and_(learners.c.active.is_(True), learners.c.completed_at.is_(None))
    zero, zero_float = sa.literal(0), sa.literal(0.0, sa.Float)
    due_day = utc_day(learners.c.due_at)
    inactive_day = days_after(utc_day(learners.c.last_activity_at), DEFAULT_AT_RISK_DAYS)
    risk_day = earliest_of(sa.func.coalesce(due_day, inactive_day), inactive_day)
    sources = sa.union_all(
        sa.select(
            learners.c.user_id.label("user_id"),
            due_day.label("day"),
            sa.literal(1).label("due_open"),
            zero.label("risk_open"),
            zero.label("graded"),
            zero_float.label("percent_sum"),
        ).where(still_open, learners.c.due_at.is_not(None)),
        sa.select(learners.c.user_id, risk_day, zero, sa.literal(1), zero, zero_float).where(still_open),
        sa.select(days.c.user_id, days.c.day, zero, zero, days.c.graded_attempts, days.c.percent_sum).where(
            days.c.course_id != NO_COURSE, days.c.graded_attempts > 0
        ),
    ).subquery("source")
    per_group_day = (
        sa.select(
            members.c.kind,
            members.c.group_id,
            sources.c.day,
            *(sa.func.sum(sources.c[name]) for name in GROUP_DAY_COUNTS),
        )
        .select_from(sources)
        .join(members, members.c.user_id == sources.c.user_id)
        .group_by(members.c.kind, members.c.group_id, sources.c.day)
    )
    session.execute(
        sa.insert(AnalyticsGroupDay).from_select(["kind", "group_id", "day", *GROUP_DAY_COUNTS], per_group_day)
    )


@dataclass(frozen=True)
class RebuildResult:
    enrollments: int
    days: int
    seconds: float


def _highest_user_id(session):
    highest = [
        session.scalar(sa.select(sa.func.max(column)))
        for column in (Enrollment.user_id, SignIn.user_id, QuizAttempt.user_id)
    ]
    return max((value for value in highest if value is not None), default=0)


def rebuild(session=None, chunk=REBUILD_CHUNK_USERS):
    """Replace both tables' contents with rows computed from the sources, in one transaction of `session` (the
    tenant's `db.session` by default), committed here or rolled back: the people in user id ranges of `chunk`,
    one `INSERT ... SELECT` per table and range. Answers the rows written and the seconds it took."""
    session = session or db.session
    started = time.perf_counter()
    try:
        with row_locks():  # SQLite: the write lock first; PostgreSQL: the tables' own locks below
            if _dialect() == "postgresql":
                execute_in_tenant(sa.text(f"LOCK TABLE {', '.join(READ_MODEL_TABLES)} IN EXCLUSIVE MODE"))
            for model in (
                LearnerCourse,
                AnalyticsDay,
                AnalyticsCourseDay,
                AnalyticsCourse,
                AnalyticsPerson,
                AnalyticsGroupMember,
                AnalyticsGroup,
                AnalyticsGroupDay,
            ):
                session.execute(sa.delete(model))
            now = utcnow()
            for low in range(0, _highest_user_id(session) + 1, chunk):
                _insert_enrollments(session, low, low + chunk, now)
                _insert_days(session, low, low + chunk)
            _insert_roll_ups(session)
            _insert_group_roll_ups(session)
            # counted, not summed from rowcounts: PostgreSQL's driver has none for an ORM INSERT ... SELECT
            enrollments = session.scalar(sa.select(sa.func.count()).select_from(LearnerCourse))
            days = session.scalar(sa.select(sa.func.count()).select_from(AnalyticsDay))
        session.commit()
    except Exception:
        session.rollback()
        raise
    return RebuildResult(enrollments, days, time.perf_counter() - started)


def day_of(moment):
    """The UTC day of a naive UTC timestamp."""
    return moment.date()


def days_around(moment, margin=timedelta(minutes=1)):
    """The day of an event's time, and the neighbouring day when the time is within `margin` of midnight: the
    source row's own timestamp was taken a moment before or after the event's."""
    return sorted({day_of(moment - margin), day_of(moment), day_of(moment + margin)})
