"""Webhook deliveries to a real receiver on loopback, each verified with the Standard Webhooks reference library:
an event becomes one signed delivery per subscription wanting it; rotation signs with both secrets during the
overlap; a receiver down is retried on the (compressed) schedule, then delivered; Retry-After is honoured; 410
disables; failing for days disables and tells the org admins; redeliver and test events keep their webhook-id."""

import contextlib
import json
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from app.events import emit_after_commit
from app.extensions import db
from app.tenancy.context import tenant_context
from blueprints.audit.models import AuditEvent
from blueprints.integrations import webhooks
from blueprints.integrations.models import DeliveryStatus, SubscriptionStatus, WebhookSubscription
from blueprints.integrations.signing import new_signing_secret
from blueprints.notifications.models import Notification
from blueprints.users.models import User
from tests.conftest import make_user
from tests.support.integrations import (
    add_subscription,
    age_failures,
    attempts_of,
    deliver_until_settled,
    deliveries,
    forget_scheduled_webhook_retries,
    make_webhook_integration,
    subscription_row,
)
from tests.support.webhook_receiver import WebhookReceiver


@pytest.fixture(autouse=True)
def _no_retries_left_behind(app):
    yield
    forget_scheduled_webhook_retries(app)


def emit(app, tenant, name, **fields):
    with tenant_context(tenant, app):
        event = emit_after_commit(db.session, name, **fields)
        db.session.commit()
        return event


def test_an_event_reaches_each_subscription_wanting_it_signed_once_with_links_and_its_attempt_logged(app, tenant):
    student = make_user(app, tenant, "student")
    with WebhookReceiver() as receiver, WebhookReceiver() as other:
        integration_id, everything, secret = make_webhook_integration(app, tenant, receiver.url)
        receiver.secrets.append(secret)
        completions = add_subscription(app, tenant, integration_id, receiver.url, ["course.completed"])
        add_subscription(app, tenant, integration_id, other.url, ["badge.awarded"])
        event = emit(app, tenant, "course.completed", course_id=12, user_id=student)
        deliver_until_settled(app, tenant)

        seen = receiver.wait_for(2)
        assert other.received == []
        assert all(request.verified_with == [secret] for request in seen)
        assert {request.headers["user-agent"] for request in seen} == {"Tessera-Webhooks/1"}
        assert {request.headers["content-type"] for request in seen} == {"application/json"}
        body = seen[0].json
        assert body["type"] == "course.completed"
        assert body["timestamp"] == event.occurred_at.isoformat()
        assert body["data"]["event_id"] == event.event_id and body["data"]["course_id"] == 12
        assert body["data"]["links"] == {
            "course": f"http://{tenant.slug}.{app.config['LMS_BASE_DOMAIN']}/api/v1/courses/12",
            "user": f"http://{tenant.slug}.{app.config['LMS_BASE_DOMAIN']}/api/v1/users/{student}",
        }

    made = deliveries(app, tenant)
    assert sorted(d.subscription_id for d in made) == sorted([everything, completions])
    assert {d.status for d in made} == {DeliveryStatus.SUCCEEDED}
    assert sorted(d.message_id for d in made) == sorted(request.message_id for request in seen)
    assert all(d.message_id.startswith("msg_") and len(d.message_id) == 30 for d in made)
    (attempt,) = attempts_of(app, tenant, made[0].id)
    assert attempt.number == 1 and attempt.status_code == 200 and attempt.duration_ms is not None
    assert attempt.response_excerpt == '{"ok": true}' and attempt.error is None

    with tenant_context(tenant, app):  # the relay runs the subscriber again (at least once): nothing new
        assert webhooks.add_event_deliveries(event) == []
        db.session.commit()
    assert len(deliveries(app, tenant)) == 2


def test_during_a_rotation_both_secrets_sign_and_after_it_only_the_new_one(app, tenant):
    old = new_signing_secret()
    later = (datetime.now(UTC) + timedelta(hours=24)).isoformat()
    with WebhookReceiver(old) as receiver:
        _, _, new = make_webhook_integration(
            app, tenant, receiver.url, previous=old, until=later, event_types=["user.registered"]
        )
        receiver.secrets.append(new)
        emit(app, tenant, "user.registered", user_id=1)
        deliver_until_settled(app, tenant)
        (request,) = receiver.wait_for(1)
        assert request.verified_with == [old, new]
        assert len(request.headers["webhook-signature"].split(" ")) == 2

    ended = (datetime.now(UTC) - timedelta(seconds=1)).isoformat()
    with WebhookReceiver(old) as receiver:
        _, _, new = make_webhook_integration(
            app, tenant, receiver.url, previous=old, until=ended, event_types=["auth.signed_in"]
        )
        receiver.secrets.append(new)
        emit(app, tenant, "auth.signed_in", user_id=2, kind="password")
        deliver_until_settled(app, tenant)
        requests = receiver.wait_for(1)
        assert [request.verified_with for request in requests] == [[new]]


def test_a_receiver_down_for_a_while_is_retried_on_the_schedule_then_delivered(app, tenant):
    receiver = WebhookReceiver()  # down: its port is held, and connections to it are refused until it starts
    try:
        _, subscription_id, secret = make_webhook_integration(app, tenant, receiver.url)
        receiver.secrets.append(secret)
        emit(app, tenant, "course.completed", course_id=1, user_id=1)
        deliver_until_settled_once(app, tenant)
        (delivery,) = deliveries(app, tenant)
        for _ in range(200):  # two attempts refused by the closed port, through the scheduler's jobs
            deliver_until_settled_once(app, tenant)
            if len(attempts_of(app, tenant, delivery.id)) >= 2:
                break
        with receiver:  # back up
            receiver.answer(503)  # up, but not ready: one more failure, without Retry-After
            deliver_until_settled(app, tenant, timeout=30)
            requests = receiver.wait_for(2)
    finally:
        receiver.stop()

    attempts = attempts_of(app, tenant, delivery.id)
    assert [a.status_code for a in attempts][-2:] == [503, 200]
    assert all(a.status_code is None and "Could not connect" in a.error for a in attempts[:-2])
    assert len(attempts) >= 4 and [a.number for a in attempts] == list(range(1, len(attempts) + 1))
    schedule = app.config["WEBHOOK_RETRY_SCHEDULE"]
    for before, after, step in zip(attempts, attempts[1:], schedule, strict=False):
        assert (after.started_at - before.started_at).total_seconds() >= step  # never earlier than its step
    assert {request.message_id for request in requests} == {delivery.message_id}
    assert all(request.verified_with == [secret] for request in requests)
    (done,) = deliveries(app, tenant)
    assert done.status == DeliveryStatus.SUCCEEDED and done.attempts == len(attempts)
    assert subscription_row(app, tenant, subscription_id).failing_since is None


def deliver_until_settled_once(app, tenant):
    with contextlib.suppress(AssertionError):
        deliver_until_settled(app, tenant, timeout=0.3)


def test_the_schedule_runs_out_then_the_delivery_failed(app, tenant):
    with WebhookReceiver() as receiver:
        _, _, _secret = make_webhook_integration(app, tenant, receiver.url)
        schedule = app.config["WEBHOOK_RETRY_SCHEDULE"]
        receiver.answer(500, body=b"x" * 2000, times=len(schedule) + 1)
        emit(app, tenant, "user.registered", user_id=1)
        deliver_until_settled(app, tenant, timeout=40, sweep_grace=0)  # the outcome, not the scheduler's pace
    (delivery,) = deliveries(app, tenant)
    attempts = attempts_of(app, tenant, delivery.id)
    assert delivery.status == DeliveryStatus.FAILED and delivery.next_attempt_at is None
    assert len(attempts) == len(schedule) + 1 and {a.status_code for a in attempts} == {500}
    assert len(attempts[0].response_excerpt) == 500 and attempts[0].error == "HTTP 500: not a 2xx answer"


def test_a_429_with_retry_after_waits_that_long_instead_of_the_schedule_step(app, tenant):
    with WebhookReceiver() as receiver:
        make_webhook_integration(app, tenant, receiver.url)
        receiver.answer(429, headers={"Retry-After": "2"})
        emit(app, tenant, "user.registered", user_id=1)
        deliver_until_settled(app, tenant, timeout=30)
        receiver.wait_for(2)
    (delivery,) = deliveries(app, tenant)
    first, second = attempts_of(app, tenant, delivery.id)
    assert (first.status_code, second.status_code) == (429, 200)
    assert (second.started_at - first.started_at).total_seconds() >= 2  # the schedule's step is 0.2 s


def test_a_410_disables_the_subscription_and_fails_its_pending_deliveries(app, tenant):
    with WebhookReceiver() as receiver:
        _, subscription_id, _ = make_webhook_integration(app, tenant, receiver.url)
        receiver.answer(410)
        emit(app, tenant, "user.registered", user_id=1)
        deliver_until_settled(app, tenant)
        with tenant_context(tenant, app):  # a delivery made before the 410 was seen
            queued = webhooks.add_test_delivery(db.session.get(WebhookSubscription, subscription_id))
            db.session.commit()
            assert queued.status == DeliveryStatus.PENDING
        emit(app, tenant, "user.registered", user_id=2)  # after: none made
        deliver_until_settled(app, tenant)
        receiver.wait_for(2)
    subscription = subscription_row(app, tenant, subscription_id)
    assert subscription.status == SubscriptionStatus.DISABLED and "410" in subscription.disabled_reason
    with tenant_context(tenant, app):  # in the audit trail, by the system that did it
        [entry] = db.session.scalars(
            sa.select(AuditEvent).where(AuditEvent.details["change"].as_string() == "subscription_disabled")
        ).all()
        assert (entry.actor_kind, entry.details["subscription_id"]) == ("system", subscription_id)
        assert "410" in entry.details["reason"]
    made = deliveries(app, tenant)
    assert [(d.event_type, d.status) for d in made] == [
        ("user.registered", DeliveryStatus.FAILED),
        ("webhook.test", DeliveryStatus.SUCCEEDED),  # a test event still goes: is the receiver back?
    ]


def test_failing_for_five_days_disables_the_subscription_and_tells_the_org_admins(app, tenant):
    with tenant_context(tenant, app):
        admin_ids = db.session.scalars(sa.select(User.id).where(User.role == "org_admin")).all()
    with WebhookReceiver() as receiver:
        integration_id, subscription_id, _ = make_webhook_integration(app, tenant, receiver.url, name="SIS")
        receiver.answer(500, times=3)
        emit(app, tenant, "user.registered", user_id=1)
        deliver_until_settled_once(app, tenant)
        receiver.wait_for(1)
        assert subscription_row(app, tenant, subscription_id).status == SubscriptionStatus.ACTIVE  # a day is not 5
        age_failures(app, tenant, subscription_id, days=5)
        deliver_until_settled(app, tenant)
    subscription = subscription_row(app, tenant, subscription_id)
    assert subscription.status == SubscriptionStatus.DISABLED
    assert subscription.disabled_reason == "Every delivery failed for 5 days."
    assert [d.status for d in deliveries(app, tenant)] == [DeliveryStatus.FAILED]
    with tenant_context(tenant, app):
        told = db.session.scalars(sa.select(Notification).where(Notification.type == "webhook_disabled")).all()
        assert sorted(n.user_id for n in told) == sorted(admin_ids) and admin_ids
        assert {n.link for n in told} == {f"/integrations/{integration_id}"}
        assert all(receiver.url in n.subject and "SIS" in n.body for n in told)


def test_redeliver_and_test_events_go_with_their_own_message_ids(app, tenant):
    with WebhookReceiver() as receiver:
        _, subscription_id, secret = make_webhook_integration(app, tenant, receiver.url)
        receiver.secrets.append(secret)
        receiver.answer(400, times=len(app.config["WEBHOOK_RETRY_SCHEDULE"]) + 1)
        emit(app, tenant, "user.registered", user_id=1)
        deliver_until_settled(app, tenant, timeout=40, sweep_grace=0)
        (failed,) = deliveries(app, tenant)
        assert failed.status == DeliveryStatus.FAILED
        with tenant_context(tenant, app):
            assert webhooks.redeliver([failed.id]) == [failed.id]
            test = webhooks.add_test_delivery(db.session.get(WebhookSubscription, subscription_id))
            db.session.commit()
            test_id = test.id
        deliver_until_settled(app, tenant)
        requests = receiver.wait_for(len(app.config["WEBHOOK_RETRY_SCHEDULE"]) + 3)
    assert all(request.verified_with == [secret] for request in requests)
    by_id = {d.id: d for d in deliveries(app, tenant)}
    assert by_id[failed.id].status == DeliveryStatus.SUCCEEDED
    # the redelivery and the test event go out together, in either order
    (test_request,) = [r for r in requests if r.json["type"] == "webhook.test"]
    assert [r.message_id for r in requests if r is not test_request] == [failed.message_id] * (len(requests) - 1)
    assert test_request.message_id == by_id[test_id].message_id != failed.message_id
    assert "test event" in test_request.json["data"]["message"]


def test_a_large_event_is_cut_under_the_body_limit_with_its_full_count(app, tenant):
    with WebhookReceiver() as receiver:
        make_webhook_integration(app, tenant, receiver.url)
        people = list(range(1, 5001))
        emit(app, tenant, "class.members_added", class_id=3, user_ids=people, role="student")
        deliver_until_settled(app, tenant)
        (request,) = receiver.wait_for(1)
    assert len(request.body) <= app.config["WEBHOOK_MAX_BODY_BYTES"]
    data = json.loads(request.body)["data"]
    assert data["truncated"] is True and data["user_ids_count"] == 5000
    assert data["user_ids"] == people[: len(data["user_ids"])] and data["user_ids"]
    assert data["links"]["class"].endswith("/api/v1/classes/3") and "users" not in data["links"]
