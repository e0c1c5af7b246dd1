"""The analytics read model: small tables kept by subscribers from events, so that dashboards never scan raw
progress rows. Every row is recomputed from the source tables for its key (never incremented), so a delivery
seen twice changes nothing and `flask analytics rebuild` gives the same rows (docs/analytics.md)."""

import sqlalchemy as sa

from app.tenancy.base import TenantModel
from app.tenancy.models import utcnow

NO_COURSE = 0  # `AnalyticsDay.course_id` of what belongs to no course (sign-ins)
# a sign-in row: the partial index's condition, written the same in the figures' WHERE (a literal, not a parameter:
# SQLite uses a partial index only for a condition it can see implies the index's)
SIGN_IN_ROW = "course_id = 0"
# the day columns that are something the learner did (being enrolled by someone else is not)
ACTIVITY_COUNTS = ("sign_ins", "items_completed", "seconds", "attempts", "completions")
ALL_COURSES = -1  # `AnalyticsCourseDay.course_id` of the day's distinct active people (only `active_learners`)
# an active enrollment not completed: the partial indexes' condition, written the same in the figures' WHERE so
# that both planners (SQLite compares the terms as written) use them
OPEN_ENROLLMENT = "active = true AND completed_at IS NULL"
# an active enrollment: the condition of the per-person index (0024), written the same way in the figures' WHERE
ACTIVE_ENROLLMENT = "active = true"
# `AnalyticsPerson`'s progress figures (0027): 0, not none, for a person without such enrollments
PERSON_PROGRESS = ("completed", "progress_sum", "progress_count")


# The counts of a day row. On PostgreSQL the day rows' two indexes carry them and the other key column (`INCLUDE`,
# migration 0031), so that a teacher's period, read through the courses taught and through the people, is index-only
# scans instead of a page of the table per row (the rows of one course or one person are spread over the whole
# table). SQLite has no `INCLUDE`: its indexes keep their keys.
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
# What a teacher's snapshot reads of the active enrollments of the courses they teach, carried by the (course,
# user) index on PostgreSQL (migration 0031): an index-only range per course
COURSE_ENROLLMENT_COLUMNS = ("active", "completed_at", "items_completed", "due_at", "last_activity_at", "seconds_spent")


# what the per-person figures read of an active enrollment, and `active` (SQLite counts from a partial index alone
# only when it holds the condition's columns)
ACTIVE_PERSON_COLUMNS = (
    "user_id",
    "course_id",
    "completed_at",
    "items_completed",
    "due_at",
    "last_activity_at",
    "seconds_spent",
    "active",
)


class LearnerCourse(TenantModel):
    """One enrollment as the dashboards see it: where it stands now."""

    __tablename__ = "analytics_enrollments"
    __table_args__ = (
        sa.Index(
            "ix_analytics_enrollments_course_user",
            "course_id",
            "user_id",
            postgresql_include=list(COURSE_ENROLLMENT_COLUMNS),
        ),
        sa.Index("ix_analytics_enrollments_user", "user_id"),
        sa.Index("ix_analytics_enrollments_due", "due_at"),
        sa.Index("ix_analytics_enrollments_activity", "last_activity_at"),
        # overdue, due soon, inactive and the progress beyond a course's items as range counts (0023)
        sa.Index(
            "ix_analytics_enrollments_open_due",
            "due_at",
            "course_id",
            # the condition's own columns too: SQLite counts from a partial index alone only when it holds them
            "active",
            "completed_at",
            postgresql_where=sa.text(OPEN_ENROLLMENT),
            sqlite_where=sa.text(OPEN_ENROLLMENT),
        ),
        sa.Index(
            "ix_analytics_enrollments_open_activity",
            "last_activity_at",
            "due_at",  # inactive and not overdue: counted from the index alone
            "active",
            "completed_at",
            postgresql_where=sa.text(OPEN_ENROLLMENT),
            sqlite_where=sa.text(OPEN_ENROLLMENT),
        ),
        sa.Index(
            "ix_analytics_enrollments_open_items",
            "course_id",
            "items_completed",
            postgresql_where=sa.text(OPEN_ENROLLMENT),
            sqlite_where=sa.text(OPEN_ENROLLMENT),
        ),
        # the per-person figures (per branch, per class, the drill-down): one pass over the active enrollments in
        # person order, from the index alone (0024)
        sa.Index(
            "ix_analytics_enrollments_active_person",
            *ACTIVE_PERSON_COLUMNS,
            postgresql_where=sa.text(ACTIVE_ENROLLMENT),
            sqlite_where=sa.text(ACTIVE_ENROLLMENT),
        ),
    )

    enrollment_id = sa.Column(sa.Integer, sa.ForeignKey("enrollments.id", ondelete="CASCADE"), primary_key=True)
    course_id = sa.Column(sa.Integer, nullable=False)
    user_id = sa.Column(sa.Integer, nullable=False)
    class_id = sa.Column(sa.Integer)  # enrolled with this class
    active = sa.Column(sa.Boolean, nullable=False)  # status "active" (an ended enrollment keeps its row)
    enrolled_at = sa.Column(sa.DateTime, nullable=False)
    due_at = sa.Column(sa.DateTime)
    completed_at = sa.Column(sa.DateTime)
    items_completed = sa.Column(sa.Integer, nullable=False, default=0)
    seconds_spent = sa.Column(sa.Integer, nullable=False, default=0)
    # the latest of: enrolled, an item completed, time reported, an attempt submitted
    last_activity_at = sa.Column(sa.DateTime, nullable=False)
    attempts = sa.Column(sa.Integer, nullable=False, default=0)  # submitted or graded, in the course's quizzes
    graded_attempts = sa.Column(sa.Integer, nullable=False, default=0)
    best_percent = sa.Column(sa.Float)  # none: nothing graded yet
    refreshed_at = sa.Column(sa.DateTime, nullable=False, default=utcnow)


class AnalyticsDay(TenantModel):
    """What one learner did on one day (UTC) in one course (`course_id` 0: outside courses, i.e. sign-ins)."""

    __tablename__ = "analytics_days"
    __table_args__ = (
        sa.Index("ix_analytics_days_course_day", "course_id", "day", postgresql_include=["user_id", *DAY_COUNTS]),
        # every column as a key column (not `INCLUDE`, which SQLite lacks), so that a branch manager's and a
        # teacher's day rows, read person by person, come from the index alone on both databases (0036)
        sa.Index("ix_analytics_days_user_day", "user_id", "day", "course_id", *DAY_COUNTS),
        # the few rows with graded attempts, for the period's average scores per branch and class (0022)
        sa.Index(
            "ix_analytics_days_graded",
            "day",
            postgresql_where=sa.text("graded_attempts > 0"),
            sqlite_where=sa.text("graded_attempts > 0"),
        ),
        # the sign-ins (course 0, whose other counts are always 0) per person and day, for a course's analytics on
        # SQLite: the sign-ins of the course's learners read from this index alone (0035); its condition's column
        # too, for the same reason as the enrollments' partial indexes
        sa.Index(
            "ix_analytics_days_sign_ins",
            "user_id",
            "day",
            "sign_ins",
            "course_id",
            postgresql_where=sa.text(SIGN_IN_ROW),
            sqlite_where=sa.text(SIGN_IN_ROW),
        ),
    )

    day = sa.Column(sa.Date, primary_key=True)
    user_id = sa.Column(sa.Integer, primary_key=True)
    course_id = sa.Column(sa.Integer, primary_key=True, default=NO_COURSE)
    sign_ins = sa.Column(sa.Integer, nullable=False, default=0)
    enrollments = sa.Column(sa.Integer, nullable=False, default=0)  # enrolled that day (0 or 1)
    completions = sa.Column(sa.Integer, nullable=False, default=0)  # completed the course that day (0 or 1)
    items_completed = sa.Column(sa.Integer, nullable=False, default=0)
    seconds = sa.Column(sa.Integer, nullable=False, default=0)
    attempts = sa.Column(sa.Integer, nullable=False, default=0)  # submitted that day
    graded_attempts = sa.Column(sa.Integer, nullable=False, default=0)  # of those, graded (now)
    percent_sum = sa.Column(sa.Float, nullable=False, default=0.0)  # of the graded ones' percents
    passed_attempts = sa.Column(sa.Integer, nullable=False, default=0)


# Roll-ups without the person (migration 0023), kept by the same refreshes from the change of the rows above (new
# row minus old row, in the same transaction) and recomputed by `rebuild`: an organization-wide dashboard reads a
# few thousand of these instead of every enrollment and day row.


class AnalyticsCourseDay(TenantModel):
    """The sums of the day rows of one day and course (course 0: sign-ins), and how many of those rows are
    activity (`active_learners`: people active in that course that day). Course `ALL_COURSES`: only
    `active_learners`, the distinct people active that day in anything."""

    __tablename__ = "analytics_course_days"

    day = sa.Column(sa.Date, primary_key=True)
    course_id = sa.Column(sa.Integer, primary_key=True)
    sign_ins = sa.Column(sa.Integer, nullable=False, default=0)
    enrollments = sa.Column(sa.Integer, nullable=False, default=0)
    completions = sa.Column(sa.Integer, nullable=False, default=0)
    items_completed = sa.Column(sa.Integer, nullable=False, default=0)
    seconds = sa.Column(sa.Integer, nullable=False, default=0)
    attempts = sa.Column(sa.Integer, nullable=False, default=0)
    graded_attempts = sa.Column(sa.Integer, nullable=False, default=0)
    percent_sum = sa.Column(sa.Float, nullable=False, default=0.0)
    passed_attempts = sa.Column(sa.Integer, nullable=False, default=0)
    active_learners = sa.Column(sa.Integer, nullable=False, default=0)


class AnalyticsCourse(TenantModel):
    """One course's active enrollments now: how many, completed, the items completed of the ones not completed,
    and their seconds (a row only while the course has an active enrollment)."""

    __tablename__ = "analytics_courses"

    course_id = sa.Column(sa.Integer, primary_key=True)
    enrollments = sa.Column(sa.Integer, nullable=False, default=0)
    completed = sa.Column(sa.Integer, nullable=False, default=0)
    progress_items = sa.Column(sa.Integer, nullable=False, default=0)
    seconds = sa.Column(sa.Integer, nullable=False, default=0)


class AnalyticsPerson(TenantModel):
    """One person: their active enrollments now and the last day they did something (a row while either is
    there), so that "learners" and "active in the last N days ending today" are index range counts.

    And, over their active enrollments (null when none; 0024, recomputed from the person's `LearnerCourse` rows
    whenever one of them changes): the latest activity, the earliest due date and the earliest last activity of
    the ones not completed. Whether a person is overdue or at risk now is then a condition on their own row
    (`open_due_at < now`, `open_activity_at < now - N days`), and the drill-down pages through these rows."""

    __tablename__ = "analytics_people"
    __table_args__ = (
        sa.Index("ix_analytics_people_active_enrollments", "active_enrollments"),
        sa.Index("ix_analytics_people_last_active_day", "last_active_day"),
        sa.Index("ix_analytics_people_last_activity", "last_activity_at", "user_id"),
    )

    user_id = sa.Column(sa.Integer, primary_key=True)
    active_enrollments = sa.Column(sa.Integer, nullable=False, default=0)
    last_active_day = sa.Column(sa.Date)
    last_activity_at = sa.Column(sa.DateTime)  # the latest `last_activity_at` of their active enrollments
    open_due_at = sa.Column(sa.DateTime)  # the earliest `due_at` of their active enrollments not completed
    open_activity_at = sa.Column(sa.DateTime)  # the earliest `last_activity_at` of those
    # over their active enrollments (0027, recomputed with the three above and when a course's items change):
    # how many are completed, and the sum and count of the progress of those in courses with items (each
    # enrollment's progress capped at 100), so that a group's figures are a join of its members to these rows
    completed = sa.Column(sa.Integer, nullable=False, default=0, server_default="0")
    progress_sum = sa.Column(sa.Float, nullable=False, default=0.0, server_default="0")
    progress_count = sa.Column(sa.Integer, nullable=False, default=0, server_default="0")


# Roll-ups per branch and per class (migration 0037, docs/analytics.md "Per branch and per class, rolled up"): what
# `performance` reads for an org admin instead of every active enrollment summed into every membership. Each group's
# rows are the sums over its members (the copy below) of their current share, kept by the same refreshes (adding the
# person's change to each of their groups) and by the `memberships.changed` subscriber (adding or taking back a
# person's whole share when they join or leave a group); `rebuild` computes all three from the sources.

BRANCH, CLASS = "branch", "class"  # `kind` of a group
# the at-risk days the group days' `risk_open` is counted for (`Filters.at_risk_days`' default; another is counted from
# the enrollments)
DEFAULT_AT_RISK_DAYS = 14
GROUP_FIGURES = ("learners", "enrollments", "completed", "progress_sum", "progress_count")
GROUP_DAY_COUNTS = ("due_open", "risk_open", "graded", "percent_sum")


class AnalyticsGroupMember(TenantModel):
    """The read model's copy of who counts in which group: a branch's members in any role, a class's students."""

    __tablename__ = "analytics_group_members"
    __table_args__ = (sa.Index("ix_analytics_group_members_user", "user_id"),)

    kind = sa.Column(sa.String(10), primary_key=True)
    group_id = sa.Column(sa.Integer, primary_key=True)
    user_id = sa.Column(sa.Integer, primary_key=True)


class AnalyticsGroup(TenantModel):
    """One group's members with an active enrollment now, and the sums of their `AnalyticsPerson` figures: active
    enrollments, completed, progress (a row while one member has an active enrollment)."""

    __tablename__ = "analytics_groups"

    kind = sa.Column(sa.String(10), primary_key=True)
    group_id = sa.Column(sa.Integer, primary_key=True)
    learners = sa.Column(sa.Integer, nullable=False, default=0)
    enrollments = sa.Column(sa.Integer, nullable=False, default=0)
    completed = sa.Column(sa.Integer, nullable=False, default=0)
    progress_sum = sa.Column(sa.Float, nullable=False, default=0.0)
    progress_count = sa.Column(sa.Integer, nullable=False, default=0)


class AnalyticsGroupDay(TenantModel):
    """Per group and UTC day: the members' open enrollments (active, not completed) due that day (`due_open`) and
    those whose risk moment, the earlier of the due date and the last activity + the default at-risk days, falls
    that day (`risk_open`); the members' graded attempts submitted that day and the sum of their percents. Absolute
    moments only: overdue now is the days before today plus today's enrollments due before now."""

    __tablename__ = "analytics_group_days"

    kind = sa.Column(sa.String(10), primary_key=True)
    group_id = sa.Column(sa.Integer, primary_key=True)
    day = sa.Column(sa.Date, primary_key=True)
    due_open = sa.Column(sa.Integer, nullable=False, default=0)
    risk_open = sa.Column(sa.Integer, nullable=False, default=0)
    graded = sa.Column(sa.Integer, nullable=False, default=0)
    percent_sum = sa.Column(sa.Float, nullable=False, default=0.0)
