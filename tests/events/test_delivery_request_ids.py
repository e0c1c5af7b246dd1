"""Every delivery of an event runs and logs under the request that emitted it: the one queued right after the
commit, the sweep's (a crash between commit and relay, a lost job), a retry and `flask events replay`."""

import json
from collections import Counter
from contextlib import contextmanager

import pytest
import sqlalchemy as sa

from app import events
from app.events import emit_after_commit
from app.events.models import EventDelivery, OutboxEvent
from app.events.relay import sweep
from app.extensions import db
from app.jobs import get_event_queue
from app.observability.request_id import assign_request_id
from app.tenancy.context import tenant_context
from tests.conftest import make_user, run_jobs
from tests.support.event_subscribers import Flaky, app_with_these_subscribers

DELIVER = "app.events.relay.deliver"
SUBSCRIBERS = 4  # the two of tests.support.event_subscribers, learning's enrolment, integrations' webhooks


@pytest.fixture
def json_app(app_config):
    return app_with_these_subscribers(app_config, LOG_FORMAT="json")


@contextmanager
def request_of(app, tenant, request_id):
    """Inside `tenant`, as the request `request_id` (its id assigned as the app assigns every request's)."""
    with tenant_context(tenant, app), app.test_request_context("/", headers={"X-Request-Id": request_id}):
        assign_request_id()
        yield


def emit_members_added(user_id, relay=True):
    emit_after_commit(db.session, "class.members_added", class_id=1, user_ids=[user_id], role="student")
    if not relay:
        events.drop_pending(db.session)  # the process dies between the commit and the relay
    db.session.commit()


def delivery_lines(app, capsys):
    """Run the queued jobs; the `tessera.job` lines of the deliveries among them."""
    capsys.readouterr()
    run_jobs(app)
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    return [line for line in lines if line["logger"] == "tessera.job" and line["job"] == DELIVER]


def test_deliveries_the_sweep_queues_log_under_the_request_that_emitted_the_event(json_app, tenant, capsys):
    app = json_app
    student = make_user(app, tenant, "student", first_name="Di", last_name="Eck")
    for request_id in ("emitted-by-request-7", "emitted-by-request-8"):
        with request_of(app, tenant, request_id):
            emit_members_added(student, relay=False)
    with tenant_context(tenant, app):
        stored = db.session.scalars(sa.select(OutboxEvent.request_id).order_by(OutboxEvent.occurred_at)).all()
    assert stored == ["emitted-by-request-7", "emitted-by-request-8"]

    Flaky.failures = 1  # one delivery fails once: its retry logs under the same id
    try:
        assert sweep(app)["relayed"] == 2  # `flask events relay`: no request of its own
        lines = delivery_lines(app, capsys)
    finally:
        Flaky.failures = 0
    succeeded = Counter(line["request_id"] for line in lines if line["outcome"] == "succeeded")
    failed = [line["request_id"] for line in lines if line["outcome"] == "failed"]
    assert succeeded == {"emitted-by-request-7": SUBSCRIBERS, "emitted-by-request-8": SUBSCRIBERS}
    assert len(failed) == 1 and failed[0] in succeeded  # the attempt before the retry, under its event's id too


def test_lost_jobs_requeued_and_replayed_deliveries_log_under_the_emitting_request(json_app, tenant, capsys):
    app = json_app
    student = make_user(app, tenant, "student", first_name="Fa", last_name="Gee")
    with request_of(app, tenant, "emitted-by-request-9"):
        emit_members_added(student)  # relayed after the commit, as requests do
    get_event_queue(app).empty()  # ... and its jobs lost (a flushed Redis)
    assert sweep(app, everything=True)["requeued"] == SUBSCRIBERS
    lines = delivery_lines(app, capsys)
    assert [(line["request_id"], line["outcome"]) for line in lines] == [
        ("emitted-by-request-9", "succeeded")
    ] * SUBSCRIBERS

    Flaky.failures = 99
    try:
        with request_of(app, tenant, "emitted-by-request-10"):
            emit_members_added(student)
        run_jobs(app)
        with tenant_context(tenant, app):
            failed = db.session.scalar(sa.select(EventDelivery.id).where(EventDelivery.status == "failed"))
        Flaky.failures = 0
        replayed = app.test_cli_runner().invoke(args=["events", "replay", f"{tenant.slug}:{failed}"])
        assert replayed.exit_code == 0, replayed.output
        lines = delivery_lines(app, capsys)
    finally:
        Flaky.failures = 0
    assert [(line["request_id"], line["outcome"]) for line in lines] == [("emitted-by-request-10", "succeeded")]


def test_a_request_relaying_an_event_left_behind_does_not_lend_it_its_id(json_app, tenant, capsys):
    app = json_app
    student = make_user(app, tenant, "student", first_name="Ha", last_name="Ito")
    with tenant_context(tenant, app):
        emit_members_added(student, relay=False)  # by a command (no request), then the process died
    with request_of(app, tenant, "emitted-by-request-12"):
        emit_members_added(student)  # its relay after the commit claims both events
    lines = delivery_lines(app, capsys)
    assert Counter(line["request_id"] for line in lines) == {None: SUBSCRIBERS, "emitted-by-request-12": SUBSCRIBERS}


def test_a_platform_event_swept_after_a_crash_is_delivered_under_its_request(json_app, capsys):
    seen = []

    def note_archived(event):
        seen.append(event.slug)

    events.subscribe("tenant.archived")(note_archived)
    try:
        with json_app.test_request_context("/", headers={"X-Request-Id": "operator-request-11"}):
            assign_request_id()
            emit_after_commit(db.session, "tenant.archived", tenant="gone", tenant_id=0, slug="gone", purged=False)
            events.drop_pending(db.session)
            db.session.commit()
        sweep(json_app)
        lines = delivery_lines(json_app, capsys)
    finally:
        events.unsubscribe("tenant.archived", note_archived)
    assert seen == ["gone"]
    assert [(line["request_id"], line["tenant"], line["outcome"]) for line in lines] == [
        ("operator-request-11", None, "succeeded")
    ]
