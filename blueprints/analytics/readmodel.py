"""Keeping the read model (`analytics_enrollments`, `analytics_days`) from the source tables.

Every row is recomputed for its key from `enrollments`, `item_progress`, `time_by_day`, `sign_ins` and
`quiz_attempts` (+ `quizzes` for the course), never incremented: `refresh_enrollment` and `refresh_day` for
one key (the subscribers call them), `rebuild` for every key at once, set-based. Both compute what
docs/analytics.md defines, so a rebuild gives exactly the rows the events gave.

The roll-ups per branch and per class are kept in `group_rollups.py` (the refreshes here hand it each person's
change); the SQL building blocks both use are in `sql.py`.

Days are UTC days of the naive UTC timestamps the tables hold. One key's refresh selects with ranges on
indexed columns (`created_at >= day AND < day + 1`); the rebuild groups by `utc_day(column)`, which is
`date(x)` on SQLite and `CAST(x AS DATE)` on PostgreSQL.
"""

import time
import weakref
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from types import SimpleNamespace

import sqlalchemy as sa

from app.extensions import db
from app.tenancy.base import execute_in_tenant
from app.tenancy.locks import row_locks
from app.tenancy.models import utcnow
from blueprints.analytics.group_rollups import (
    add_to_person_s_groups,
    group_statements,
    group_writes,
    insert_group_roll_ups,
    person_share,
    roll_up_groups,
)
from blueprints.analytics.models import (
    ACTIVITY_COUNTS,
    ALL_COURSES,
    DAY_COUNTS,
    GROUP_FIGURES,
    NO_COURSE,
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
from blueprints.analytics.sql import (
    adding_upsert_of,
    dialect_name,
    execute,
    latest_of,
    upsert_of,
    utc_day,
)
from blueprints.assessments.models import AttemptStatus, Quiz, QuizAttempt
from blueprints.auth.models import SignIn
from blueprints.courses.queries import item_count_of, item_counts
from blueprints.learning.models import Enrollment, ItemProgress, TimeByDay

INTEGER_DAY_COUNTS = tuple(name for name in DAY_COUNTS if name != "percent_sum")
COUNTED_ATTEMPTS = (AttemptStatus.SUBMITTED, AttemptStatus.GRADED)
REBUILD_CHUNK_USERS = 2000  # the rebuild's statements each cover the people of one user id range of this size


def _activity(table):
    """A day row (or a sum of them) holds something the learner did."""
    return sa.or_(*(table.c[name] > 0 for name in ACTIVITY_COUNTS))


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
        add_course=adding_upsert_of(courses, ["course_id"], dialect),
        forget_empty_course=sa.delete(courses).where(courses.c.course_id == course_id, courses.c.enrollments == 0),
        add_course_day=adding_upsert_of(course_days, ["day", "course_id"], dialect),
        forget_empty_course_day=sa.delete(course_days).where(
            course_days.c.day == day,
            course_days.c.course_id == course_id,
            *(course_days.c[name] == 0 for name in (*INTEGER_DAY_COUNTS, "active_learners")),
        ),
        add_person=adding_upsert_of(
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
        upsert_enrollment=upsert_of(learners, ["enrollment_id"], dialect),
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
        upsert_day=upsert_of(days, ["day", "user_id", "course_id"], dialect),
    )


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
            execute(statements.lock, {"user_id": user_id, "course_id": course_id})
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
    dialect = dialect_name()
    statements = _statements(dialect)
    _serialize(statements, dialect, user_id, course_id)
    key = {"course_id": course_id, "user_id": user_id}
    old = execute(statements.old_enrollment, key).first()
    enrollment = execute(statements.enrollment, key).first()
    if enrollment is None:
        share = person_share(group_statements(dialect), user_id) if old is not None else None
        execute(statements.forget_enrollment, key)
        _roll_up_enrollment(statements, key, old, None)
        if old is not None:
            execute(statements.recount_person, {"person_id": user_id})
            roll_up_groups(dialect, user_id, share, old._mapping, None)
        return None
    (eid, class_id, status, enrolled_at, due_at, completed_at, seconds, reported_at, items_done, last_item) = enrollment
    attempt_count, graded_count, best_percent, last_submitted = execute(statements.attempts, key).one()
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
    share = person_share(group_statements(dialect), user_id) if changes_person else None
    execute(statements.upsert_enrollment, row)
    _roll_up_enrollment(statements, key, old, row)
    if changes_person:
        execute(statements.recount_person, {"person_id": user_id})
        roll_up_groups(dialect, user_id, share, None if old is None else old._mapping, row)
    return EnrollmentState(eid, enrolled_at, completed_at)


def _person_figures_of(enrollment):
    """What of an enrollment's row its person's `PERSON_ENROLLMENT_FIGURES` depend on."""
    return tuple(
        enrollment[name] for name in ("active", "completed_at", "due_at", "last_activity_at", "items_completed")
    )


def refresh_course_progress(course_id):
    """Recompute the progress figures (`PERSON_ENROLLMENT_FIGURES`) of every person with an active enrollment in
    the course, set-based: its items changed, and with them each enrollment's progress (one UPDATE; on
    PostgreSQL their rows are locked first, in person order)."""
    dialect = dialect_name()
    statements, groups_statements = _statements(dialect), group_statements(dialect)
    key = {"course_id": course_id}
    locked = None  # SQLite: the database's write lock holds everyone
    with row_locks():
        if dialect == "postgresql":
            # the people's advisory locks first, as their refreshes and memberships take them (`_serialize`)
            locked = {row.user_id for row in execute(groups_statements.lock_people_of_course, key)}
            execute(statements.lock_people_of_course, key)
    before = {row.user_id: row for row in execute(groups_statements.people_of_course, key)}
    execute(statements.recount_people_of_course, key)
    changed = {}
    for row in execute(groups_statements.people_of_course, key):
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
        for kind, group_id, user_id in execute(groups_statements.groups_of_people_of_course, key):
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
    execute(statements.add_course, {"course_id": key["course_id"], **dict(zip(names, change, strict=True))})
    if change[0] < 0:
        execute(statements.forget_empty_course, key)
    if change[0]:
        execute(
            statements.add_person, {"user_id": key["user_id"], "active_enrollments": change[0], "last_active_day": None}
        )
        if change[0] < 0:
            execute(statements.forget_empty_person, key)


COURSE_DAY_COUNTS = DAY_COUNTS[1:]  # every column but sign_ins, in `course_day`'s order


def refresh_day(day, user_id, course_id):
    """Recompute one `AnalyticsDay` row (course 0: the person's sign-ins), deleting it when every count is 0.
    Two statements and a lock; answers the row, or None when there is none."""
    dialect = dialect_name()
    statements = _statements(dialect)
    _serialize(statements, dialect, user_id, course_id)
    start = datetime.combine(day, datetime.min.time())
    params = {"day": day, "start": start, "end": start + timedelta(days=1), "user_id": user_id, "course_id": course_id}
    old = execute(statements.old_day, params).first()
    counts = dict.fromkeys(DAY_COUNTS, 0)
    if course_id == NO_COURSE:
        counts["sign_ins"] = execute(statements.sign_ins, params).scalar()
    else:
        counts.update(zip(COURSE_DAY_COUNTS, execute(statements.course_day, params).one(), strict=True))
    old_counts = dict(zip(DAY_COUNTS, old, strict=True)) if old else None
    if not any(counts.values()):
        execute(statements.forget_day, params)
        _roll_up_day(statements, params, old_counts, None)
        _roll_up_graded(user_id, day, old_counts, None)
        return None
    row = {"day": day, "user_id": user_id, "course_id": course_id, **counts}
    execute(statements.upsert_day, row)
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
        add_to_person_s_groups(user_id, dict.fromkeys(GROUP_FIGURES, 0), days)


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
    execute(statements.add_course_day, {"day": params["day"], "course_id": params["course_id"], **change})
    if any(value < 0 for value in change.values()):
        execute(statements.forget_empty_course_day, params)
    if was_active == is_active:
        return
    # whether the person did anything else that day (their deliveries take turns: see `_serialize`)
    others = execute(statements.active_rows_of_day, params).scalar() - int(is_active)
    if others:
        return
    whole_day = {"day": params["day"], "course_id": ALL_COURSES, **dict.fromkeys(DAY_COUNTS, 0)}
    execute(statements.add_course_day, {**whole_day, "active_learners": 1 if is_active else -1})
    person = {"user_id": params["user_id"]}
    if is_active:
        execute(statements.add_person, {**person, "active_enrollments": 0, "last_active_day": params["day"]})
        return
    execute(statements.forget_empty_course_day, {**params, "course_id": ALL_COURSES})
    execute(statements.recount_last_active_day, person)
    execute(statements.forget_empty_person, person)


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
            if dialect_name() == "postgresql":
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
            insert_group_roll_ups(session)
            # counted, not summed from rowcounts: PostgreSQL's driver has none for an ORM INSERT ... SELECT
            enrollments = session.scalar(sa.select(sa.func.count()).select_from(LearnerCourse))
            days = session.scalar(sa.select(sa.func.count()).select_from(AnalyticsDay))
        session.commit()
    except Exception:
        session.rollback()
        raise
    return RebuildResult(enrollments, days, time.perf_counter() - started)
