"""The figures of an organization-wide audience, read from the roll-up tables (docs/analytics.md, "Roll-ups"):
the snapshot, the period and the per-course rows of everyone, which `figures.py` answers with when
`organization_wide` says the roll-ups can.

The roll-ups (`analytics_course_days`, `analytics_courses`, `analytics_people`) hold no person's membership, so
they answer only for everyone: an org admin (or a course's managers) without a branch or class filter. The
per-person path (`figures.py`) stays for the rest (branches, classes, teachers) and for what a roll-up cannot say.
"""

from datetime import timedelta
from types import SimpleNamespace

import sqlalchemy as sa

from app.extensions import db
from blueprints.analytics.definitions import DUE_SOON, PERIOD_SUMS, course_period_sums, rate, window_starts
from blueprints.analytics.filters import course_filter
from blueprints.analytics.models import (
    NO_COURSE,
    OPEN_ENROLLMENT,
    AnalyticsCourse,
    AnalyticsCourseDay,
    AnalyticsPerson,
    LearnerCourse,
)
from blueprints.courses.queries import item_counts


def organization_wide(filters, audience):
    """Whether the roll-ups can answer for the audience: everyone, without a branch or class filter."""
    return audience.everyone and filters.branch_id is None and filters.class_id is None


def ends_today(filters):
    """The active windows end today (or later: there are no day rows after today), so that "active since" is
    a count of the people whose last active day is in the window."""
    return filters.date_to >= filters.now.date()


def _open_enrollments(filters, *conditions):
    """A count of the active enrollments not completed (the partial indexes' rows) with `conditions`."""
    lc = LearnerCourse
    where = [sa.text(OPEN_ENROLLMENT), *conditions]
    if filters.course_id is not None:
        where.append(lc.course_id == filters.course_id)
    return sa.select(sa.func.count()).select_from(lc).where(*where).scalar_subquery()


def _open_risks(filters):
    """The overdue, due soon and (not overdue but) inactive conditions on `analytics_enrollments`."""
    lc = LearnerCourse
    not_overdue = sa.or_(lc.due_at.is_(None), lc.due_at >= filters.now)
    return {
        "overdue": [lc.due_at < filters.now],
        "due_soon": [lc.due_at >= filters.now, lc.due_at < filters.now + DUE_SOON],
        "inactive": [lc.last_activity_at < filters.now - timedelta(days=filters.at_risk_days), not_overdue],
    }


def _per_course(filters, with_due=False):
    """Per course, from its roll-up (a select to use as a subquery): active enrollments, completed, seconds,
    the enrollments of courses with items and the sum of their progress, each capped at 100 (the open
    enrollments with more items completed than the course has now, items deleted since, take back what they
    add beyond 100); `with_due`: overdue and due soon too, grouped counts on the open enrollments' `due_at`."""
    lc, c = LearnerCourse, AnalyticsCourse
    items = item_counts().subquery()
    counted = item_counts().subquery()
    beyond = (
        sa.select(
            lc.course_id,
            sa.func.sum(100.0 * (lc.items_completed - counted.c.item_count) / counted.c.item_count).label("beyond"),
        )
        .join(counted, counted.c.course_id == lc.course_id)
        .where(
            sa.text(OPEN_ENROLLMENT), lc.items_completed > counted.c.item_count, *course_filter(filters, lc.course_id)
        )
        .group_by(lc.course_id)
        .subquery("beyond")
    )
    with_items = items.c.item_count.is_not(None)
    columns = [
        c.course_id,
        c.enrollments,
        c.completed,
        c.seconds,
        sa.case((with_items, c.enrollments), else_=0).label("progress_enrollments"),
        sa.case(
            (
                with_items,
                100.0 * c.completed
                + 100.0 * c.progress_items / items.c.item_count
                - sa.func.coalesce(beyond.c.beyond, 0.0),
            ),
            else_=None,
        ).label("progress_sum"),
    ]
    stmt = (
        sa.select(*columns)
        .select_from(c)
        .outerjoin(items, items.c.course_id == c.course_id)
        .outerjoin(beyond, beyond.c.course_id == c.course_id)
        .where(*course_filter(filters, c.course_id))
    )
    if not with_due:
        return stmt
    risks = _open_risks(filters)
    # grouped by `course_id + 0`: grouping by the bare column, SQLite walks the index ordered by course (every
    # open enrollment, from the table) instead of the range of `due_at` in the index that holds the course too
    due_course = (lc.course_id + 0).label("course_id")
    due = (
        sa.select(
            due_course,
            sa.func.count().filter(*risks["overdue"]).label("overdue"),
            sa.func.count().filter(*risks["due_soon"]).label("due_soon"),
        )
        .where(sa.text(OPEN_ENROLLMENT), lc.due_at < filters.now + DUE_SOON, *course_filter(filters, lc.course_id))
        .group_by(due_course)
        .subquery("due")
    )
    return stmt.add_columns(
        sa.func.coalesce(due.c.overdue, 0).label("overdue"), sa.func.coalesce(due.c.due_soon, 0).label("due_soon")
    ).outerjoin(due, due.c.course_id == c.course_id)


def snapshot_of_everyone(filters):
    """`figures.snapshot` from the per-course roll-up, the people's and range counts on the open enrollments (one
    statement)."""
    per_course = _per_course(filters).subquery()
    learners = (
        sa.select(sa.func.count()).where(AnalyticsPerson.active_enrollments > 0).scalar_subquery()
        if filters.course_id is None
        else sa.func.coalesce(sa.func.sum(per_course.c.enrollments), 0)  # one enrollment per person in a course
    )
    row = db.session.execute(
        sa.select(
            learners.label("learners"),
            sa.func.coalesce(sa.func.sum(per_course.c.enrollments), 0).label("enrollments"),
            sa.func.coalesce(sa.func.sum(per_course.c.completed), 0).label("completed"),
            sa.func.coalesce(sa.func.sum(per_course.c.progress_enrollments), 0).label("progress_enrollments"),
            sa.func.sum(per_course.c.progress_sum).label("progress_sum"),
            *(_open_enrollments(filters, *conditions).label(name) for name, conditions in _open_risks(filters).items()),
        ).select_from(per_course)
    ).one()
    enrollments, completed = int(row.enrollments), int(row.completed)
    return {
        "learners": int(row.learners),
        "active_enrollments": enrollments,
        "completed": completed,
        "completion_rate": rate(completed, enrollments),
        "overdue": row.overdue,
        "due_soon": row.due_soon,
        "average_progress": _average(row.progress_sum, int(row.progress_enrollments)),
        "at_risk": row.overdue + row.inactive,
    }


def _average(total, count):
    return None if not count or total is None else round(float(total) / count, 1)


def period_of_everyone(filters):
    """`figures.period_figures` from the (day, course) roll-up and the people's last active day (one statement)."""
    cd = AnalyticsCourseDay
    windows = window_starts(filters)
    last = AnalyticsPerson.last_active_day

    def active_since(since):
        return sa.select(sa.func.count()).where(last >= since, last <= filters.date_to).scalar_subquery()

    row = db.session.execute(
        sa.select(
            *(
                sa.func.coalesce(sa.func.sum(getattr(cd, "seconds" if name == "seconds_spent" else name)), 0).label(
                    name
                )
                for name in PERIOD_SUMS
            ),
            *(active_since(since).label(f"active_{name}") for name, since in windows.items()),
        ).where(cd.day >= filters.date_from, cd.day <= filters.date_to, cd.course_id >= NO_COURSE)
    ).one()
    return row


def courses_of_everyone(filters):
    """`figures._courses_of` from the per-course and (day, course) roll-ups, with grouped counts of the open enrollments
    (two statements)."""
    now = {}
    for row in db.session.execute(_per_course(filters, with_due=True)):
        now[row.course_id] = SimpleNamespace(
            learners=row.enrollments,  # one enrollment per person in a course
            enrollments=row.enrollments,
            completed=row.completed,
            overdue=row.overdue,
            due_soon=row.due_soon,
            average_progress=None if row.progress_sum is None else row.progress_sum / row.progress_enrollments,
        )
    cd = AnalyticsCourseDay
    period = (
        sa.select(cd.course_id, *course_period_sums(cd))
        .where(
            cd.day >= filters.date_from,
            cd.day <= filters.date_to,
            cd.course_id > NO_COURSE,
            *course_filter(filters, cd.course_id),
        )
        .group_by(cd.course_id)
    )
    return now, {row.course_id: row for row in db.session.execute(period)}
