"""A real worker killed with SIGKILL in the middle of delivering events: nothing lost, nothing applied twice."""

import os
import signal
import time

import pytest
import sqlalchemy as sa

from app.events import emit_after_commit
from app.events.models import EventDelivery
from app.events.relay import sweep
from app.extensions import db
from app.tenancy.context import tenant_context
from blueprints.users.models import User
from tests.conftest import make_user, run_jobs
from tests.support.event_subscribers import app_with_these_subscribers, worker_process
from tests.support.processes import children_of

EVENTS = 30


@pytest.fixture
def marking_app(app_config):
    return app_with_these_subscribers(app_config)


def test_sigkill_while_delivering_loses_nothing_and_applies_nothing_twice(marking_app, tenant, tmp_path):
    students = [make_user(marking_app, tenant, "student", first_name="S") for _ in range(2 * EVENTS)]
    with tenant_context(tenant, marking_app):
        for pair in zip(students[::2], students[1::2], strict=True):  # one event per commit, as requests do
            emit_after_commit(db.session, "class.members_added", class_id=1, user_ids=list(pair), role="student")
            db.session.commit()

    def marked():
        with tenant_context(tenant, marking_app):
            return db.session.scalar(sa.select(sa.func.count()).where(User.first_name == "S+"))

    flag = tmp_path / "between-two-people"
    worker = worker_process(marking_app, subscriber_seconds=0.3, flag=flag)
    deadline = time.monotonic() + 90
    while marked() < 10 and time.monotonic() < deadline:
        time.sleep(0.02)
    flag.unlink(missing_ok=True)
    while not flag.exists() and time.monotonic() < deadline:
        time.sleep(0.005)
    # Now a delivery has committed its first person and sleeps before the second.
    for pid in [*children_of(worker.pid), worker.pid]:  # RQ's work horse runs the job: kill both
        os.kill(pid, signal.SIGKILL)
    worker.wait()
    at_kill = marked()
    assert 10 <= at_kill < 2 * EVENTS, f"the kill should land mid-way, not at {at_kill}"
    assert at_kill % 2 == 0  # the half-delivered event's first person was rolled back with it

    totals = sweep(marking_app, everything=True)  # what `flask events relay` does once jobs are overdue
    assert totals["requeued"] >= EVENTS - at_kill // 2
    run_jobs(marking_app)

    with tenant_context(tenant, marking_app):
        names = db.session.scalars(sa.select(User.first_name).where(User.id.in_(students))).all()
        statuses = db.session.scalars(sa.select(EventDelivery.status)).all()
    assert names == ["S+"] * 2 * EVENTS  # every event applied, none twice
    assert statuses == ["done"] * len(statuses) and len(statuses) == 4 * EVENTS  # 4 subscribers (webhooks: issue 16)
