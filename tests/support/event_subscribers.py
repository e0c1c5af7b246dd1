"""A subscriber whose effect shows every run (not idempotent by itself), for the event delivery tests.

Registered on the tests' own app (`events.register(app, this module)`), and in a real worker process:
`python -m tests.support.event_subscribers` (config as `tests.support.worker` reads it).
"""

import importlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import sqlalchemy as sa

from app import create_app, events
from app.events import subscriber
from app.extensions import db
from app.jobs import EventWorker, get_event_queue, redis_connection
from blueprints.users.models import User
from config import TestConfig

SLOW_SECONDS = float(os.environ.get("TESSERA_TEST_SUBSCRIBER_SECONDS", "0"))
BETWEEN_FLAG = os.environ.get("TESSERA_TEST_SUBSCRIBER_FLAG")  # a file touched between two people


@subscriber("class.members_added")
def mark_members(event):
    """Adds one "+" to each new member's first name, committing person by person (as a subscriber calling
    services that commit does): a second run would show as "++", a half-run as a missing "+"."""
    for user in db.session.scalars(sa.select(User).where(User.id.in_(event.user_ids))).all():
        user.first_name += "+"
        db.session.commit()
        if BETWEEN_FLAG:
            Path(BETWEEN_FLAG).touch()
        time.sleep(SLOW_SECONDS)  # a kill here, between commits, must undo the whole delivery


class Flaky:
    """Raises while `failures` is above 0 (counted down per call), then marks as `mark_members` does."""

    failures = 0


@subscriber("class.members_added")
def flaky_mark_members(event):
    if Flaky.failures > 0:
        Flaky.failures -= 1
        raise RuntimeError("the webhook endpoint is down")
    for user in db.session.scalars(sa.select(User).where(User.id.in_(event.user_ids))):
        user.last_name += "!"


def app_with_these_subscribers(app_config, **overrides):
    """A test app whose process also runs the subscribers of this module (the session's app does not)."""
    # The worker process runs this module (`python -m`); it must not load the test session's conftest.
    from tests.conftest import build_app, run_jobs  # noqa: PLC0415 (a worker entry point; conftest stays out)

    app = build_app(app_config, **overrides)
    events.register(app, importlib.import_module("tests.support.event_subscribers"))
    run_jobs(app)  # other tests' leftovers, so that the queue holds this test's jobs only
    return app


def worker_process(app, subscriber_seconds=0.0, flag=None):
    """A real event worker process (as `flask worker --events`) running these subscribers until its queue is
    empty."""
    keys = ("INSTANCE_DIR", "CONTROL_DATABASE_URL", "TENANT_DATABASE_URL_TEMPLATE", "REDIS_URL", "RQ_QUEUE")
    config = {key: app.config[key] for key in (*keys, "LMS_BASE_DOMAIN")}
    env = {
        **os.environ,
        "TESSERA_TEST_APP_CONFIG": json.dumps(config),
        "TESSERA_TEST_SUBSCRIBER_SECONDS": str(subscriber_seconds),
        "TESSERA_TEST_SUBSCRIBER_FLAG": str(flag or ""),
    }
    return subprocess.Popen(
        [sys.executable, "-m", "tests.support.event_subscribers"], env=env, stdout=subprocess.DEVNULL
    )


def main():
    app = create_app(TestConfig, **json.loads(os.environ["TESSERA_TEST_APP_CONFIG"]))
    # This file runs as `__main__`: register it under its import name, the one the tests' app knows.
    events.register(app, importlib.import_module("tests.support.event_subscribers"))
    with app.app_context():
        EventWorker([get_event_queue()], connection=redis_connection()).work(burst=True)


if __name__ == "__main__":
    main()
