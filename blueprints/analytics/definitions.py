"""What a figure means where both the per-person path (`figures.py`) and the roll-ups (`everyone_figures.py`)
compute it (docs/analytics.md, "Figures"): "due soon", the windows of the active learners, the period's sums, and
a rate, an average or a score to one decimal."""

from datetime import timedelta

import sqlalchemy as sa

DUE_SOON = timedelta(days=7)
ACTIVE_WINDOWS = {"day": 1, "week": 7, "month": 30}

# the period's sums: {figure: column of `analytics_days`}
PERIOD_SUMS = {
    "sign_ins": "sign_ins",
    "enrollments": "enrollments",
    "completions": "completions",
    "items_completed": "items_completed",
    "seconds_spent": "seconds",
    "attempts": "attempts",
    "graded_attempts": "graded_attempts",
    "percent_sum": "percent_sum",
    "passed_attempts": "passed_attempts",
}


def window_starts(filters):
    """The first day of each window the active learners are counted in: the period, and the day, week and month
    ending on its last day."""
    return {"period": filters.date_from} | {
        name: filters.date_to - timedelta(days=days - 1) for name, days in ACTIVE_WINDOWS.items()
    }


def rate(part, whole):
    """`part` as a percent of `whole`, to one decimal (None when `whole` is 0)."""
    return None if not whole else round(100.0 * part / whole, 1)


def rounded(value):
    """A figure to one decimal (None stays None)."""
    return None if value is None else round(float(value), 1)


def score(percent_sum, graded):
    """The average score of `graded` attempts whose percents sum to `percent_sum`, to one decimal (None when
    none is graded)."""
    return None if not graded else round(float(percent_sum) / graded, 1)


def course_period_sums(rows):
    """The period's sums of a course's row (time, attempts, graded, their percents, passed), labelled, over
    `analytics_days` or its per-course roll-up `analytics_course_days`: both have these columns."""
    return (
        sa.func.sum(rows.seconds).label("seconds"),
        sa.func.sum(rows.attempts).label("attempts"),
        sa.func.sum(rows.graded_attempts).label("graded"),
        sa.func.sum(rows.percent_sum).label("percent_sum"),
        sa.func.sum(rows.passed_attempts).label("passed"),
    )
