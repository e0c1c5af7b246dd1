"""The analytics figures (docs/analytics.md, "Figures"), scoped to an audience and narrowed by filters.

Each function answers the JSON-ready dict its endpoint returns, the pages call the same ones. Everything is
grouped SQL over the read model (`analytics_enrollments`, `analytics_days`), a few statements per call
whatever the number of learners: the audience and the filters are conditions in the WHERE, never id lists.
An organization-wide audience is read from the roll-ups instead where they answer (`everyone_figures.py`); the
per-person path here stays for the rest (branches, classes, teachers) and for what a roll-up cannot say. The
filters are `filters.py`'s, what a figure means where both paths compute it `definitions.py`'s.
"""

from datetime import datetime, time, timedelta
from types import SimpleNamespace

import sqlalchemy as sa

from app.extensions import db
from blueprints.analytics.definitions import (
    ACTIVE_WINDOWS,
    DUE_SOON,
    PERIOD_SUMS,
    course_period_sums,
    rate,
    rounded,
    score,
    window_starts,
)
from blueprints.analytics.everyone_figures import (
    courses_of_everyone,
    ends_today,
    organization_wide,
    period_of_everyone,
    snapshot_of_everyone,
)
from blueprints.analytics.filters import course_filter
from blueprints.analytics.models import (
    ACTIVE_ENROLLMENT,
    ALL_COURSES,
    DAY_COUNTS,
    NO_COURSE,
    AnalyticsCourseDay,
    AnalyticsDay,
    LearnerCourse,
)
from blueprints.assessments.queries import attempt_figures_by_quiz
from blueprints.branches.queries import people_of
from blueprints.classes.queries import students_of_classes
from blueprints.courses.queries import course_titles, courses_taught_by, item_counts

# `graded_attempts > 0` as a literal in the SQL, so that the planner may use the partial index on it
# (ix_analytics_days_graded, migration 0022): with a bound parameter neither SQLite nor a generic plan can
GRADED_NONE = sa.literal_column("0")
# course 0 as a literal, so that SQLite sees the condition of the sign-ins' partial index (`SIGN_IN_ROW`)
SIGN_IN_COURSE = sa.literal_column(str(NO_COURSE))


# --- conditions -----------------------------------------------------------------------------------------------


def person_filters(filters, user_id):
    """The branch and class filters, on a column of people's ids."""
    conditions = []
    if filters.branch_id is not None:
        conditions.append(user_id.in_(people_of([filters.branch_id])))
    if filters.class_id is not None:
        conditions.append(user_id.in_(students_of_classes([filters.class_id])))
    return conditions


def enrollment_conditions(filters, audience, user_id=LearnerCourse.user_id, course_id=LearnerCourse.course_id):
    """The audience's enrollments narrowed by the filters (the branch, the class, the course), on columns of
    people's and courses' ids."""
    conditions = [audience.enrollments(user_id, course_id), *person_filters(filters, user_id)]
    if filters.course_id is not None:
        conditions.append(course_id == filters.course_id)
    return conditions


def day_conditions(filters, audience, since, by_person=False):
    """Day rows of the audience from `since` to the period's end, narrowed by the filters (a course: its rows,
    and the sign-ins of the people enrolled in it). `by_person`: the audience's rows read through its people
    (`Audience.day_rows_by_person`)."""
    conditions = [
        AnalyticsDay.day >= since,
        AnalyticsDay.day <= filters.date_to,
        audience.day_rows_by_person() if by_person else audience.day_rows(),
        *person_filters(filters, AnalyticsDay.user_id),
    ]
    if filters.course_id is not None:
        enrolled = sa.select(LearnerCourse.user_id).where(LearnerCourse.course_id == filters.course_id)
        conditions.append(
            sa.or_(
                AnalyticsDay.course_id == filters.course_id,
                # `+ 0`: the sign-ins of the people enrolled, looked up per person (`ix_analytics_days_user_day`)
                # rather than every sign-in of the period filtered by the people
                sa.and_(AnalyticsDay.course_id + 0 == NO_COURSE, AnalyticsDay.user_id.in_(enrolled)),
            )
        )
    return conditions


def snapshot_columns(filters, lc=LearnerCourse):
    """Aggregates over active enrollments (`lc`: `LearnerCourse`, or the columns of a select of its rows) joined to
    their course's item count (`items`)."""
    items = item_counts().subquery()
    not_completed = lc.completed_at.is_(None)
    overdue = sa.and_(not_completed, lc.due_at < filters.now)
    due_soon = sa.and_(not_completed, lc.due_at >= filters.now, lc.due_at < filters.now + DUE_SOON)
    inactive = sa.and_(not_completed, lc.last_activity_at < filters.now - timedelta(days=filters.at_risk_days))
    progress = sa.case(
        (items.c.item_count.is_(None), None),
        (lc.completed_at.is_not(None), 100.0),
        (lc.items_completed >= items.c.item_count, 100.0),
        else_=100.0 * lc.items_completed / items.c.item_count,
    )
    risk = sa.case((overdue, 2), (inactive, 1), else_=0)
    columns = {
        "progress_sum": sa.func.sum(progress),
        "progress_count": sa.func.count(items.c.item_count),  # the enrollments `progress` is not null for
        # at risk: the same as `risk > 0`, in one test per row
        "at_risk_count": sa.func.coalesce(
            sa.func.sum(
                sa.case(
                    (
                        sa.and_(
                            not_completed,
                            sa.or_(
                                lc.due_at < filters.now,
                                lc.last_activity_at < filters.now - timedelta(days=filters.at_risk_days),
                            ),
                        ),
                        1,
                    ),
                    else_=0,
                )
            ),
            0,
        ),
        "learners": sa.func.count(sa.distinct(lc.user_id)),
        "enrollments": sa.func.count(),  # one row per enrollment (the items are one row per course)
        "completed": sa.func.count(lc.completed_at),
        "overdue": sa.func.coalesce(sa.func.sum(sa.case((overdue, 1), else_=0)), 0),
        "due_soon": sa.func.coalesce(sa.func.sum(sa.case((due_soon, 1), else_=0)), 0),
        "average_progress": sa.func.avg(progress),
        "at_risk": sa.func.coalesce(sa.func.sum(sa.case((risk > 0, 1), else_=0)), 0),
        "seconds": sa.func.coalesce(sa.func.sum(lc.seconds_spent), 0),
        "last_activity_at": sa.func.max(lc.last_activity_at),
        "risk": sa.func.max(risk),
    }
    return items, columns


def active_enrollments(filters, audience, items, *columns):
    """A select of `columns` over the audience's active enrollments narrowed by the filters, joined to their
    course's item count (`items`, from `snapshot_columns`)."""
    return (
        sa.select(*columns)
        .select_from(LearnerCourse)
        .outerjoin(items, items.c.course_id == LearnerCourse.course_id)
        .where(LearnerCourse.active.is_(True), *enrollment_conditions(filters, audience))
    )


def did_something(rows=AnalyticsDay.__table__):
    """A day row of something the learner did: a sign-in, an item, time, an attempt, a completion. Being
    enrolled (by a teacher, a class or an import) is not activity. `rows`: `analytics_days` or `_day_rows`."""
    c = rows.c
    return sa.or_(c.sign_ins > 0, c.items_completed > 0, c.seconds > 0, c.attempts > 0, c.completions > 0)


def _database():
    """The kind of the tenant's database ("sqlite", "postgresql"): a few statements are written for its planner."""
    return db.session.get_bind(mapper=AnalyticsDay).dialect.name


def _day_rows(filters, audience, since, name=None):
    """The day rows of `day_conditions` as a subquery; on PostgreSQL read in disjoint parts (`UNION ALL`) that
    each can read from one index: with a course filter, the course's rows (`ix_analytics_days_course_day`) and the
    sign-ins of the people enrolled in it (`ix_analytics_days_user_day`); for a teacher, the rows of the courses
    they teach, the other course rows of their students, and their people's sign-ins (`Audience.day_row_parts`).
    Read as one OR, PostgreSQL scans every row of the period and filters it."""
    a = AnalyticsDay
    if _database() == "sqlite":
        if filters.course_id is not None:
            return _named(_course_day_rows_on_sqlite(filters, audience, since), name)
        # SQLite reads the one condition from the indexes already (a teacher's rows through the people, in person
        # order); a UNION would only add a sort before the grouping
        return _named(sa.select(a).where(*day_conditions(filters, audience, since, by_person=True)), name)
    common = [a.day >= since, a.day <= filters.date_to, *person_filters(filters, a.user_id)]
    if filters.course_id is not None:
        enrolled = sa.select(LearnerCourse.user_id).where(LearnerCourse.course_id == filters.course_id)
        visible = audience.day_rows()
        parts = [
            [a.course_id == filters.course_id, visible],
            [a.course_id == NO_COURSE, a.user_id.in_(enrolled), visible],
        ]
    else:
        parts = [[part] for part in audience.day_row_parts()]
    selects = [sa.select(a).where(*common, *part) for part in parts]
    return _named(selects[0] if len(selects) == 1 else sa.union_all(*selects), name)


def _course_day_rows_on_sqlite(filters, audience, since):
    """`day_conditions`' rows with a course filter, on SQLite: the course's rows (`ix_analytics_days_course_day`),
    then the sign-ins of the people enrolled in it, person by person from `ix_analytics_days_sign_ins` alone (a
    sign-in row's other counts are 0). Read as one OR, SQLite looked each person's every day row up in the table
    (`ix_analytics_days_user_day`) and kept the sign-ins: 115 against 20 ms for the 8 783 learners of the bench's
    largest course."""
    a = AnalyticsDay
    common = [
        a.day >= since,
        a.day <= filters.date_to,
        audience.day_rows_by_person(),
        *person_filters(filters, a.user_id),
    ]
    course_rows = sa.select(a.day, a.user_id, a.course_id, *(a.__table__.c[name] for name in DAY_COUNTS)).where(
        a.course_id == filters.course_id, *common
    )
    # the enrolled people first (a subquery SQLite reads before the day rows, one person at a time): given as
    # `user_id IN (...)`, it read every sign-in of the period from the (course, day) index and filtered them
    enrolled = (
        sa.select(LearnerCourse.user_id).where(LearnerCourse.course_id == filters.course_id).distinct().subquery()
    )

    def count(name):  # in `DAY_COUNTS` order, as the course's rows: the sign-ins, and 0 for every other count
        if name == "sign_ins":
            return a.sign_ins
        return (sa.literal(0.0, sa.Float) if name == "percent_sum" else sa.literal(0)).label(name)

    sign_ins = (
        sa.select(a.day, a.user_id, a.course_id, *(count(name) for name in DAY_COUNTS))
        .select_from(enrolled)
        .join(a, a.user_id == enrolled.c.user_id)
        .where(a.course_id == SIGN_IN_COURSE, *common)
    )
    return sa.union_all(course_rows, sign_ins)


def _named(rows, name):
    """`rows` as a subquery, or as the CTE `name` (read by two parts of one statement, once)."""
    return rows.subquery("day_rows") if name is None else rows.cte(name)


def _period_statement(filters, audience, rows=None):
    """One statement over the day rows from the earliest window's start: the period's sums and how many people were
    active since each window's start: per person their sums and their last active day, then the totals (grouping
    by person once costs SQLite less than a count(DISTINCT) per window); a teacher's on PostgreSQL:
    `_period_by_distinct`."""
    since = _earliest_day(filters)
    rows = _day_rows(filters, audience, since) if rows is None else rows
    in_period = rows.c.day >= filters.date_from

    def in_the_period(column):  # every row read is in the period when it starts at the earliest window's start
        return column if filters.date_from <= since else sa.case((in_period, column), else_=0)

    if audience.teacher_id is not None and _database() == "postgresql":
        return _period_by_distinct(filters, rows, in_the_period)
    per_person = (
        sa.select(
            *(sa.func.sum(in_the_period(rows.c[column])).label(name) for name, column in PERIOD_SUMS.items()),
            sa.func.max(sa.case((did_something(rows), rows.c.day))).label("last_day"),
        )
        .group_by(rows.c.user_id)
        .subquery()
    )
    windows = window_starts(filters)
    return sa.select(
        *(sa.func.coalesce(sa.func.sum(per_person.c[name]), 0).label(name) for name in PERIOD_SUMS),
        *(
            sa.func.coalesce(sa.func.sum(sa.case((per_person.c.last_day >= since, 1), else_=0)), 0).label(
                f"active_{name}"
            )
            for name, since in windows.items()
        ),
    )


def _period_by_distinct(filters, rows, in_the_period):
    """`_period_statement` for a teacher on PostgreSQL: the sums over the rows as they come, and a
    `count(DISTINCT person)` of the rows of something done since each window's start (one per distinct start: the
    period and the month are the same window by default). A teacher's rows come from three parts (courses taught,
    their students' other courses, their people's sign-ins: 52 000 rows of 10 000 people on the bench), which
    PostgreSQL hashes by person at about a fifth more CPU than these sums and sorts (99 to 113 against 134 to 141 ms
    of the server's CPU); a branch manager's rows, read person by person, cost it a little more this way (48 to 50
    against 41 to 43 ms), so they keep the grouping (docs/analytics.md, "A teacher's period")."""
    something_done = did_something(rows)
    active_since = {}
    for since in sorted(set(window_starts(filters).values())):
        active_since[since] = sa.func.count(sa.distinct(rows.c.user_id)).filter(something_done, rows.c.day >= since)
    return sa.select(
        *(
            sa.func.coalesce(sa.func.sum(in_the_period(rows.c[column])), 0).label(name)
            for name, column in PERIOD_SUMS.items()
        ),
        *(active_since[since].label(f"active_{name}") for name, since in window_starts(filters).items()),
    )


def _earliest_day(filters):
    return min(filters.date_from, filters.date_to - timedelta(days=max(ACTIVE_WINDOWS.values()) - 1))


def _day_bounds(filters):
    """The period as naive UTC datetimes [start, end) for source timestamps."""
    return datetime.combine(filters.date_from, time()), datetime.combine(filters.date_to + timedelta(days=1), time())


# --- the figures ----------------------------------------------------------------------------------------------


def snapshot(filters, audience):
    """The figures of now over the audience's active enrollments (one statement; organization-wide: the
    roll-ups)."""
    if organization_wide(filters, audience):
        return snapshot_of_everyone(filters)
    wanted = ("learners", "enrollments", "completed", "overdue", "due_soon", "average_progress", "at_risk")
    if not audience.everyone and _database() == "postgresql":
        rows = _enrollments_by_part(filters, audience)
        items, columns = snapshot_columns(filters, rows.c)
        stmt = (
            sa.select(*(columns[name].label(name) for name in wanted))
            .select_from(rows)
            .outerjoin(items, items.c.course_id == rows.c.course_id)
        )
    else:
        items, columns = snapshot_columns(filters)
        stmt = active_enrollments(filters, audience, items, *(columns[name].label(name) for name in wanted))
    # a UNION of enrollments carries no entity the session could route by: the read model's database
    row = db.session.execute(stmt, bind_arguments={"mapper": LearnerCourse}).one()
    return {
        "learners": row.learners,
        "active_enrollments": row.enrollments,
        "completed": row.completed,
        "completion_rate": rate(row.completed, row.enrollments),
        "overdue": row.overdue,
        "due_soon": row.due_soon,
        "average_progress": rounded(row.average_progress),
        "at_risk": row.at_risk,
    }


def _enrollments_by_part(filters, audience):
    """The audience's active enrollments (not everyone's; PostgreSQL) as a subquery of the columns the snapshot
    reads: a `UNION ALL` of disjoint parts that an index each serves. For a teacher, the enrollments in the courses
    they teach (`ix_analytics_enrollments_course_user`, which carries those columns: an index-only range per
    course); then every other enrollment of the people the audience reaches otherwise (a teacher's classes'
    students, a branch manager's members: `ix_analytics_enrollments_active_person`, looked up per person). Read
    as one OR, PostgreSQL scans every enrollment of the organization and tests both conditions on each; given the
    people as `IN (SELECT ...)` it still scans them all and hashes the people, while `= ANY(ARRAY(SELECT ...))`
    makes it look each one up."""
    lc = LearnerCourse
    read = (
        lc.user_id,
        lc.course_id,
        lc.completed_at,
        lc.items_completed,
        lc.due_at,
        lc.last_activity_at,
        lc.seconds_spent,
    )
    common = [sa.text(ACTIVE_ENROLLMENT), *person_filters(filters, lc.user_id), *course_filter(filters, lc.course_id)]
    parts, not_taught = [], []
    if audience.teacher_id is not None:
        taught = courses_taught_by(audience.teacher_id)
        parts.append(sa.select(*read).where(*common, lc.course_id.in_(taught)))
        not_taught.append(lc.course_id.not_in(taught))
    others = audience.people_reached_otherwise()
    if others is not None:
        person = lc.user_id == sa.any_(sa.func.array(others.scalar_subquery()))
        parts.append(sa.select(*read).where(*common, *not_taught, person))
    if not parts:  # nobody
        parts.append(sa.select(*read).where(sa.false()))
    return (parts[0] if len(parts) == 1 else sa.union_all(*parts)).subquery("enrollments")


def period_figures(filters, audience):
    """The sums of the period, its active learners and scores (one statement over the day rows; everyone, no
    course, a period ending today: the roll-ups)."""
    if organization_wide(filters, audience) and filters.course_id is None and ends_today(filters):
        row = period_of_everyone(filters)
    else:
        # a UNION of day rows carries no entity the session could route by
        row = db.session.execute(_period_statement(filters, audience), bind_arguments={"mapper": AnalyticsDay}).one()
    return period_figures_of(row)


def period_figures_of(row):
    """`period_figures` of the period statement's row."""
    return {
        "active_learners": {
            "day": int(row.active_day),
            "week": int(row.active_week),
            "month": int(row.active_month),
            "period": int(row.active_period),
        },
        "sign_ins": int(row.sign_ins),
        "enrollments": int(row.enrollments),
        "completions": int(row.completions),
        "items_completed": int(row.items_completed),
        "seconds_spent": int(row.seconds_spent),
        "attempts": int(row.attempts),
        "graded_attempts": int(row.graded_attempts),
        "average_score": score(row.percent_sum, int(row.graded_attempts)),
        "pass_rate": rate(int(row.passed_attempts), int(row.graded_attempts)),
    }


def overview(filters, audience):
    """Every figure in one object: the snapshot of now and the period's, with the period and filters echoed
    (two statements)."""
    return {
        "period": filters.period(),
        "filters": filters.echo(),
        **snapshot(filters, audience),
        **period_figures(filters, audience),
    }


def engagement(filters, audience):
    """Per day of the period (zeros included): active learners and the sums of the day (one statement; everyone
    without a course: the (day, course) roll-up)."""
    if organization_wide(filters, audience) and filters.course_id is None:
        cd = AnalyticsCourseDay
        rows = db.session.execute(
            sa.select(
                cd.day,
                sa.func.sum(sa.case((cd.course_id == ALL_COURSES, cd.active_learners), else_=0)).label(
                    "active_learners"
                ),
                *(
                    sa.func.sum(getattr(cd, name)).label(name)
                    for name in ("sign_ins", "enrollments", "completions", "items_completed", "seconds", "attempts")
                ),
            )
            .where(cd.day >= filters.date_from, cd.day <= filters.date_to)
            .group_by(cd.day)
        ).all()
        return engagement_days(filters, rows)
    rows = db.session.execute(
        _engagement_statement(filters, _day_rows(filters, audience, filters.date_from)),
        bind_arguments={"mapper": AnalyticsDay},
    ).all()
    return engagement_days(filters, rows)


ENGAGEMENT_SUMS = ("sign_ins", "enrollments", "completions", "items_completed", "seconds", "attempts")


def _engagement_statement(filters, rows):
    """Per day of the period in `rows` (day rows): the distinct people active and the day's sums."""
    return (
        sa.select(
            rows.c.day.label("day"),
            sa.func.count(sa.distinct(sa.case((did_something(rows), rows.c.user_id)))).label("active_learners"),
            *(sa.func.sum(rows.c[name]).label(name) for name in ENGAGEMENT_SUMS),
        )
        .where(rows.c.day >= filters.date_from)
        .group_by(rows.c.day)
    )


def period_and_days(filters, audience):
    """`period_figures`' row and `engagement`'s day rows from one read of the day rows (a CTE that both parts of a
    `UNION ALL` read: a course's analytics needs both, over the same rows): (period row, [day rows])."""
    rows = _day_rows(filters, audience, _earliest_day(filters), name="course_day_rows")
    period = _period_statement(filters, audience, rows).subquery("period")
    days = _engagement_statement(filters, rows).subquery("days")
    period_names = [column.name for column in period.c]
    day_names = ["day", "active_learners", *ENGAGEMENT_SUMS]

    def blank(name):
        return sa.cast(sa.null(), sa.Date if name == "day" else sa.Float if name == "percent_sum" else sa.Integer)

    both = sa.union_all(  # the day part's columns prefixed: both parts have sums of the same names
        sa.select(
            sa.literal("period").label("part"),
            *(blank(name).label(f"of_day_{name}") for name in day_names),
            *(period.c[name] for name in period_names),
        ),
        sa.select(
            sa.literal("day").label("part"),
            *(days.c[name].label(f"of_day_{name}") for name in day_names),
            *(blank(name).label(name) for name in period_names),
        ),
    )
    found = db.session.execute(both, bind_arguments={"mapper": AnalyticsDay}).all()
    day_rows = [
        SimpleNamespace(**{name: getattr(row, f"of_day_{name}") for name in day_names})
        for row in found
        if row.part == "day"
    ]
    return next(row for row in found if row.part == "period"), day_rows


def engagement_days(filters, rows):
    """`engagement`'s answer from its day rows: every day of the period, zeros for a day without a row."""
    found = {_as_date(row.day): row for row in rows}
    names = ("active_learners", "sign_ins", "enrollments", "completions", "items_completed", "seconds", "attempts")
    days = []
    for offset in range(filters.days):
        day = filters.date_from + timedelta(days=offset)
        row = found.get(day)
        days.append({"day": day.isoformat(), **{name: int(getattr(row, name)) if row else 0 for name in names}})
    return {"period": filters.period(), "days": days}


def _as_date(value):
    return value.date() if isinstance(value, datetime) else value


def courses(filters, audience):
    """Per course of the audience: learners, completed, completion rate, overdue, due soon, average progress
    (now, active enrollments), and the period's seconds, attempts, average score and pass rate (three
    statements; everyone: the roll-ups, four)."""
    if organization_wide(filters, audience):
        now, period = courses_of_everyone(filters)
    else:
        now, period = _courses_of(filters, audience)
    titles = course_titles(set(now) | set(period))
    rows = []
    for course_id in sorted(titles, key=lambda found: (titles[found].lower(), found)):
        current, done = now.get(course_id), period.get(course_id)
        graded = int(done.graded) if done else 0
        rows.append(
            {
                "course_id": course_id,
                "title": titles[course_id],
                "learners": current.learners if current else 0,
                "enrollments": current.enrollments if current else 0,
                "completed": current.completed if current else 0,
                "completion_rate": rate(current.completed, current.enrollments) if current else None,
                "overdue": int(current.overdue) if current else 0,
                "due_soon": int(current.due_soon) if current else 0,
                "average_progress": rounded(current.average_progress) if current else None,
                "seconds": int(done.seconds) if done else 0,
                "attempts": int(done.attempts) if done else 0,
                "average_score": score(done.percent_sum, graded) if done else None,
                "pass_rate": rate(done.passed, graded) if done else None,
            }
        )
    return {"period": filters.period(), "filters": filters.echo(), "courses": rows}


def _courses_of(filters, audience):
    """Per course of the audience: the snapshot's rows and the period's (two statements)."""
    items, columns = snapshot_columns(filters)
    names = ("learners", "enrollments", "completed", "overdue", "due_soon", "average_progress")
    now_rows = db.session.execute(
        active_enrollments(
            filters, audience, items, LearnerCourse.course_id, *(columns[name].label(name) for name in names)
        ).group_by(LearnerCourse.course_id)
    ).all()
    a = AnalyticsDay
    period_rows = db.session.execute(
        sa.select(a.course_id, *course_period_sums(a))
        .where(a.course_id != NO_COURSE, *day_conditions(filters, audience, filters.date_from))
        .group_by(a.course_id)
    ).all()
    return {row.course_id: row for row in now_rows}, {row.course_id: row for row in period_rows}


def assessments(filters, audience):
    """Per quiz, the attempts submitted in the period by the audience (read from the attempts themselves):
    attempts, learners, average score and pass rate over the graded ones (one statement)."""
    start, end = _day_bounds(filters)

    def visible(user_id, course_id):
        return sa.and_(audience.enrollments(user_id, course_id), *person_filters(filters, user_id))

    rows = attempt_figures_by_quiz(visible, start, end, filters.course_id)
    return {
        "period": filters.period(),
        "filters": filters.echo(),
        "assessments": [
            {
                "quiz_id": row.quiz_id,
                "title": row.title,
                "course_id": row.course_id,
                "course_title": row.course_title,
                "attempts": row.attempts,
                "learners": row.learners,
                "graded": row.graded,
                "average_score": score(row.percent_sum or 0, row.graded),
                "pass_rate": rate(row.passed, row.graded),
            }
            for row in rows
        ],
    }
