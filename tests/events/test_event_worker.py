"""The event queue's worker (`flask worker --events`) on a real Redis: it delivers, retries and fails as RQ's
SimpleWorker does with a quarter of its round trips, and leaves RQ's registries as RQ would. Jobs find their
organization through a short-lived cache that still stops a suspended organization's jobs."""

import time

import pytest
import sqlalchemy as sa
from redis import Connection, ConnectionPool, Redis
from rq import SimpleWorker
from rq.registry import FailedJobRegistry, FinishedJobRegistry, StartedJobRegistry

from app import jobs
from app.events import emit_after_commit
from app.events.models import EventDelivery
from app.extensions import db
from app.jobs import EventWorker, enqueue, get_event_queue
from app.tenancy.context import tenant_context
from app.tenancy.provisioning import activate_tenant, get_tenant, suspend_tenant
from blueprints.users.models import User
from tests.conftest import make_user, run_jobs
from tests.support import jobs as test_jobs
from tests.support.event_subscribers import Flaky, app_with_these_subscribers
from tests.support.statements import recorded_on


class RoundTripCountingConnection(Connection):
    """A real Redis connection that counts what it sends: one send per command, or per pipeline."""

    sent = 0

    def send_packed_command(self, command, check_health=True):
        RoundTripCountingConnection.sent += 1
        return super().send_packed_command(command, check_health)


@pytest.fixture
def marking_app(app_config):
    return app_with_these_subscribers(app_config)


def emit_for(app, tenant, people):
    """One event per person, one commit each (as requests do); returns how many deliveries were queued."""
    with tenant_context(tenant, app):
        for person in people:
            emit_after_commit(db.session, "class.members_added", class_id=1, user_ids=[person], role="student")
            db.session.commit()
    return get_event_queue(app).count


def work_counting(app, worker_class):
    """Work the event queue until empty with `worker_class`; returns the Redis round trips it took."""
    pool = ConnectionPool.from_url(app.config["REDIS_URL"], connection_class=RoundTripCountingConnection)
    counting = Redis(connection_pool=pool)
    with app.app_context():
        worker = worker_class([get_event_queue(app)], connection=counting)
        RoundTripCountingConnection.sent = 0
        worker.work(burst=True)
    pool.disconnect()
    return RoundTripCountingConnection.sent


def test_the_event_worker_delivers_with_a_quarter_of_the_round_trips_and_leaves_rq_tidy(marking_app, tenant):
    people = [make_user(marking_app, tenant, "student", first_name="W") for _ in range(20)]
    first, second = people[:10], people[10:]
    queue = get_event_queue(marking_app)
    failed_before = FailedJobRegistry(queue=queue).count  # the queue's registries outlive each test

    queued = emit_for(marking_app, tenant, first)
    simple = work_counting(marking_app, SimpleWorker) / queued
    queued = emit_for(marking_app, tenant, second)
    event = work_counting(marking_app, EventWorker) / queued

    assert queued == 4 * len(second)  # four subscribers in this app (the webhooks' one: issue 16)
    assert event <= 6 and simple >= 20, (event, simple)  # 5 a job (and a few per run) against 27
    with tenant_context(tenant, marking_app):
        names = db.session.scalars(sa.select(User.first_name).where(User.id.in_(people))).all()
        statuses = db.session.scalars(sa.select(EventDelivery.status)).all()
    assert names == ["W+"] * len(people)  # every event applied once, by either worker
    assert statuses == ["done"] * 4 * len(people)
    assert StartedJobRegistry(queue=queue).count == 0 and FailedJobRegistry(queue=queue).count == failed_before
    assert FinishedJobRegistry(queue=queue).count >= 3 * len(second)  # kept a few seconds, then expired by Redis


def test_on_the_event_worker_a_failing_subscriber_is_retried_then_failed_then_replayed(marking_app, tenant):
    student = make_user(marking_app, tenant, "student", first_name="Fay", last_name="Gee")
    failed_before = FailedJobRegistry(queue=get_event_queue(marking_app)).count
    Flaky.failures = 99
    try:
        emit_for(marking_app, tenant, [student])
        work_counting(marking_app, EventWorker)
        with tenant_context(tenant, marking_app):
            flaky = db.session.execute(
                sa.select(EventDelivery.id, EventDelivery.status, EventDelivery.attempts).where(
                    EventDelivery.subscriber.like("%.flaky_mark_members")
                )
            ).one()
        retries = len(marking_app.config["EVENT_RETRY_INTERVALS"])
        assert (flaky.status, flaky.attempts) == ("failed", 1 + retries)
        assert FailedJobRegistry(queue=get_event_queue(marking_app)).count == failed_before + 1

        Flaky.failures = 0
        replayed = marking_app.test_cli_runner().invoke(args=["events", "replay", f"{tenant.slug}:{flaky.id}"])
        assert replayed.exit_code == 0, replayed.output
        work_counting(marking_app, EventWorker)
        with tenant_context(tenant, marking_app):
            person = db.session.get(User, student)
            assert (person.first_name, person.last_name) == ("Fay+", "Gee!")
            assert db.session.get(EventDelivery, flaky.id).status == "done"
    finally:
        Flaky.failures = 0


def test_jobs_look_their_organization_up_once_per_recheck_and_a_suspended_one_stops(app, make_tenant, monkeypatch):
    monkeypatch.setattr(jobs, "TENANT_RECHECK_SECONDS", 1.0)
    tenant = make_tenant()
    with app.app_context():
        control_database = db.engine
    with recorded_on(control_database) as recorded:
        with app.app_context():
            ran = [enqueue(tenant, test_jobs.emails_seen_by_job, retries=0) for _ in range(10)]
        run_jobs(app)
    for job in ran:
        job.refresh()
        assert job.is_finished
    registry_reads = [sql for sql, _parameters in recorded.statements if "FROM tenants" in sql]
    assert len(registry_reads) == 1

    with app.app_context():
        suspend_tenant(get_tenant(tenant.id))
        time.sleep(jobs.TENANT_RECHECK_SECONDS + 0.1)
        stopped = enqueue(tenant, test_jobs.emails_seen_by_job, retries=0)
    run_jobs(app)
    stopped.refresh()
    assert stopped.is_failed and "not active" in stopped.latest_result().exc_string

    with app.app_context():
        activate_tenant(get_tenant(tenant.id))
        back = enqueue(tenant, test_jobs.emails_seen_by_job, retries=0)
    run_jobs(app)  # not remembered as inactive: reactivated, its jobs run at once
    back.refresh()
    assert back.is_finished
