"""The retry schedule's arithmetic: each step with at most 10 % jitter and never less, the last attempt's end,
and Retry-After (seconds or an HTTP date) on 429 and 503 only, at least the step and at most 10 h."""

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from blueprints.integrations.webhooks import next_wait_seconds, retry_after_seconds


def test_each_retry_waits_its_step_plus_at_most_ten_percent_and_the_eighth_attempt_is_the_last(app):
    compressed = app.config["WEBHOOK_RETRY_SCHEDULE"]
    with app.app_context():
        app.config["WEBHOOK_RETRY_SCHEDULE"] = (5, 300, 1800, 7200, 18000, 36000, 36000)  # the specification's
        try:
            for attempt, step in enumerate(app.config["WEBHOOK_RETRY_SCHEDULE"], start=1):
                waits = [next_wait_seconds(attempt) for _ in range(200)]
                assert all(step <= wait <= step * 1.1 for wait in waits)
                assert max(waits) > step * 1.05  # the jitter is there, not a constant
            assert next_wait_seconds(8) is None
        finally:
            app.config["WEBHOOK_RETRY_SCHEDULE"] = compressed


@pytest.mark.parametrize(
    ("status", "header", "expected"),
    [
        (429, "120", 120),
        (503, "120", 120),
        (503, "0", 0.2),  # never sooner than the schedule's step
        (429, "999999", 36000),  # at most 10 h
        (500, "120", None),  # only 429 and 503 ask to wait
        (429, "soon", None),
    ],
)
def test_retry_after_on_429_and_503(app, status, header, expected):
    with app.app_context():
        wait = next_wait_seconds(1, status, {"retry-after": header})
    if expected is None:
        assert 0.2 <= wait <= 0.22
    else:
        assert wait == expected


def test_retry_after_as_an_http_date():
    now = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
    later = format_datetime(now + timedelta(minutes=3), usegmt=True)
    assert retry_after_seconds({"retry-after": later}, now=now) == 180
    assert retry_after_seconds({"retry-after": format_datetime(now - timedelta(hours=1), usegmt=True)}, now=now) == 0
    assert retry_after_seconds({}) is None
