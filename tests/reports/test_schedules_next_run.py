"""`next_run`: the first run of a schedule strictly after a moment, across hours, weekdays and month ends."""

from datetime import datetime
from types import SimpleNamespace

import pytest

from blueprints.reports.schedules import cadence_in_words, next_run


def schedule(cadence, hour=6, weekday=None, month_day=None):
    return SimpleNamespace(cadence=cadence, hour=hour, weekday=weekday, month_day=month_day)


@pytest.mark.parametrize(
    ("plan", "after", "expected"),
    [
        # daily: later today when the hour is still to come, else tomorrow; exactly at the hour is "after" it
        (schedule("daily", hour=6), datetime(2026, 3, 10, 5, 59, 59), datetime(2026, 3, 10, 6)),
        (schedule("daily", hour=6), datetime(2026, 3, 10, 6, 0), datetime(2026, 3, 11, 6)),
        (schedule("daily", hour=0), datetime(2026, 12, 31, 23, 30), datetime(2027, 1, 1, 0)),
        (schedule("daily", hour=23), datetime(2026, 2, 28, 23, 0, 1), datetime(2026, 3, 1, 23)),
        # weekly: 2026-03-10 is a Tuesday (weekday 1)
        (schedule("weekly", hour=6, weekday=1), datetime(2026, 3, 10, 5), datetime(2026, 3, 10, 6)),
        (schedule("weekly", hour=6, weekday=1), datetime(2026, 3, 10, 6), datetime(2026, 3, 17, 6)),
        (schedule("weekly", hour=8, weekday=0), datetime(2026, 3, 10, 9), datetime(2026, 3, 16, 8)),
        (schedule("weekly", hour=18, weekday=6), datetime(2026, 12, 28, 0), datetime(2027, 1, 3, 18)),
        # monthly: the day this month while it is to come, else next month's (over the year's end, and February)
        (schedule("monthly", hour=6, month_day=28), datetime(2026, 2, 27, 12), datetime(2026, 2, 28, 6)),
        (schedule("monthly", hour=6, month_day=28), datetime(2026, 2, 28, 6), datetime(2026, 3, 28, 6)),
        (schedule("monthly", hour=6, month_day=1), datetime(2026, 1, 31, 23), datetime(2026, 2, 1, 6)),
        (schedule("monthly", hour=7, month_day=15), datetime(2026, 12, 15, 7, 0, 1), datetime(2027, 1, 15, 7)),
        (schedule("monthly", hour=0, month_day=28), datetime(2028, 2, 29, 12), datetime(2028, 3, 28, 0)),
    ],
)
def test_next_run_is_the_first_run_strictly_after(plan, after, expected):
    assert next_run(plan, after) == expected


def test_runs_follow_each_other_a_period_apart():
    weekly, monthly = schedule("weekly", hour=6, weekday=4), schedule("monthly", hour=6, month_day=3)
    moment, fridays = datetime(2026, 1, 1), []
    for _ in range(5):
        moment = next_run(weekly, moment)
        fridays.append(moment)
    assert [day.day for day in fridays] == [2, 9, 16, 23, 30] and {d.weekday() for d in fridays} == {4}
    moment, months = datetime(2026, 11, 20), []
    for _ in range(4):
        moment = next_run(monthly, moment)
        months.append(moment)
    assert months == [
        datetime(2026, 12, 3, 6),
        datetime(2027, 1, 3, 6),
        datetime(2027, 2, 3, 6),
        datetime(2027, 3, 3, 6),
    ]


def test_cadence_in_words():
    assert cadence_in_words(schedule("weekly", hour=6, weekday=0)) == "Weekly on Monday at 06:00 UTC"
    assert cadence_in_words(schedule("monthly", hour=23, month_day=28)) == "Monthly on day 28 at 23:00 UTC"
    assert cadence_in_words(schedule("daily", hour=0)) == "Daily at 00:00 UTC"
