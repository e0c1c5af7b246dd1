"""A real event worker process SIGKILLed while the receiver holds its request: the delivery stays leased, the
lease runs out, the sweep queues it again and a new worker delivers it. The receiver sees the message twice,
both times with the same webhook-id (at least once, deduplicable); the log keeps one attempt."""

import os
import signal
import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa
from rq.registry import StartedJobRegistry

from app.events import emit_after_commit
from app.extensions import db
from app.jobs import get_event_queue, redis_connection
from app.tenancy.context import tenant_context
from app.tenancy.models import utcnow
from blueprints.integrations import webhooks
from blueprints.integrations.models import DeliveryStatus, Integration, WebhookAttempt, WebhookDelivery
from tests.conftest import run_jobs
from tests.support.event_worker import start_event_worker, stop
from tests.support.integrations import (
    attempts_of,
    deliveries,
    forget_scheduled_webhook_retries,
    make_webhook_integration,
)
from tests.support.waiting import eventually
from tests.support.webhook_receiver import WebhookReceiver


@pytest.fixture(autouse=True)
def _no_retries_left_behind(app):
    yield
    forget_scheduled_webhook_retries(app)


def forget_killed_workers_jobs(app):
    """RQ keeps the job a SIGKILLed worker was running in the queue's started registry until its timeout (then it
    fails it): the engine does not need that job (the lease and the sweep send its deliveries), and other tests of
    this session count the registry."""
    with app.app_context():
        registry = StartedJobRegistry(queue=get_event_queue())
        redis_connection().delete(registry.key)


def wait_until(condition, timeout=30):
    assert eventually(condition, timeout, interval=0.05), "timed out"


def test_a_worker_killed_mid_delivery_delivers_after_restart_with_the_same_webhook_id(app, tenant):
    run_jobs(app)  # other tests' leftovers: the workers below run this test's jobs only
    held = threading.Event()
    with WebhookReceiver() as receiver:
        _, _, secret = make_webhook_integration(app, tenant, receiver.url)
        receiver.secrets.append(secret)
        receiver.answer(200, hold=held)  # the first request waits: the worker is killed meanwhile
        with tenant_context(tenant, app):
            emit_after_commit(db.session, "course.completed", course_id=4, user_id=1)
            db.session.commit()
        worker = start_event_worker(app)
        try:
            receiver.wait_for(1)
            os.kill(worker.pid, signal.SIGKILL)
            worker.wait()
        finally:
            held.set()
            forget_killed_workers_jobs(app)
        (delivery,) = deliveries(app, tenant)
        assert delivery.status == DeliveryStatus.SENDING and delivery.lease_until > utcnow()
        assert attempts_of(app, tenant, delivery.id) == []

        with tenant_context(tenant, app):
            assert webhooks.sweep_organization(grace_seconds=0) == 0  # leased: nobody else sends it yet
            stored = db.session.get(WebhookDelivery, delivery.id)
            stored.lease_until = utcnow() - timedelta(seconds=1)  # the lease runs out
            db.session.commit()
        swept = app.test_cli_runner().invoke(args=["integrations", "sweep", "--once"])
        assert swept.exit_code == 0 and "webhook deliveries queued again" in swept.output, swept.output
        assert deliveries(app, tenant)[0].status == DeliveryStatus.PENDING  # released, queued
        worker = start_event_worker(app)
        try:
            wait_until(lambda: deliveries(app, tenant)[0].status == DeliveryStatus.SUCCEEDED)
        finally:
            stop(worker)
        requests = receiver.wait_for(2)

    assert len(requests) == 2
    assert {request.message_id for request in requests} == {delivery.message_id}
    assert all(request.verified_with == [secret] for request in requests)
    assert requests[0].body == requests[1].body
    (attempt,) = attempts_of(app, tenant, delivery.id)
    assert attempt.number == 1 and attempt.status_code == 200
    (done,) = deliveries(app, tenant)
    assert done.attempts == 1 and done.lease_until is None and done.delivered_at is not None


def test_an_integration_deleted_while_its_delivery_is_in_flight_leaves_the_others_delivered(app, tenant):
    run_jobs(app)
    held = threading.Event()
    with WebhookReceiver() as doomed, WebhookReceiver() as other:
        integration_id, _, _ = make_webhook_integration(app, tenant, doomed.url)
        make_webhook_integration(app, tenant, other.url)
        doomed.answer(200, hold=held)
        with tenant_context(tenant, app):
            emit_after_commit(db.session, "course.completed", course_id=4, user_id=1)
            db.session.commit()
        worker = start_event_worker(app)
        try:
            doomed.wait_for(1)
            other.wait_for(1)  # both in one job's batch
            with tenant_context(tenant, app):  # as DELETE /integrations/{id} does: its deliveries go with it
                db.session.delete(db.session.get(Integration, integration_id))
                db.session.commit()
            held.set()
            wait_until(lambda: [d.status for d in deliveries(app, tenant)] == [DeliveryStatus.SUCCEEDED])
        finally:
            held.set()
            stop(worker)
    (delivered,) = deliveries(app, tenant)
    assert [a.status_code for a in attempts_of(app, tenant, delivered.id)] == [200]
    with tenant_context(tenant, app):
        assert db.session.scalar(sa.select(sa.func.count(WebhookAttempt.id))) == 1  # none of the deleted one's
