"""Integrations for tests: rows made directly through the models (parts may add their own groups below)."""

import time
from datetime import timedelta

import sqlalchemy as sa
from rq import SimpleWorker
from rq.job import Job
from rq.registry import ScheduledJobRegistry

from app.extensions import db
from app.jobs import get_event_queue, redis_connection
from app.security.sealing import seal
from app.tenancy.context import tenant_context
from app.tenancy.models import utcnow
from blueprints.integrations import webhooks
from blueprints.integrations.models import (
    DeliveryStatus,
    Integration,
    IntegrationKind,
    WebhookAttempt,
    WebhookDelivery,
    WebhookSubscription,
)
from blueprints.integrations.signing import new_signing_secret

# --- part "hooks": webhook integrations, subscriptions and their deliveries ---------------------------------------

SEND_JOB = "blueprints.integrations.webhooks.send_deliveries"


def make_webhook_integration(app, tenant, url, *, event_types=("*",), name="Receiver", previous=None, until=None):
    """A webhook integration with one subscription to `url`; returns (integration id, subscription id, secret).
    `previous` / `until` (ISO): a rotation's old secret and the end of its overlap."""
    secret = new_signing_secret()
    sealed = {"current": secret}
    if previous:
        sealed |= {"previous": previous, "previous_until": until}
    with tenant_context(tenant, app):
        integration = Integration(
            kind=IntegrationKind.WEBHOOK, name=name, settings={}, secrets_sealed=seal(sealed, purpose="integrations")
        )
        db.session.add(integration)
        db.session.flush()
        subscription = WebhookSubscription(integration_id=integration.id, url=url, event_types=list(event_types))
        db.session.add(subscription)
        db.session.commit()
        return integration.id, subscription.id, secret


def add_subscription(app, tenant, integration_id, url, event_types=("*",)):
    with tenant_context(tenant, app):
        subscription = WebhookSubscription(integration_id=integration_id, url=url, event_types=list(event_types))
        db.session.add(subscription)
        db.session.commit()
        return subscription.id


def run_webhook_jobs(app, *, scheduler=True):
    """Run the event queue's jobs now, in-process (RQ's SimpleWorker), scheduled ones that are due included."""
    with app.app_context():
        SimpleWorker([get_event_queue()], connection=redis_connection()).work(burst=True, with_scheduler=scheduler)


def deliver_until_settled(app, tenant, timeout=20, sweep_grace=3):
    """Run the event queue's jobs (the scheduler's due retries included) until no delivery is pending or sending;
    a sweep (deliveries due for `sweep_grace` s, leases run out) between rounds catches what no job holds."""
    deadline = time.monotonic() + timeout
    while True:
        run_webhook_jobs(app)
        with tenant_context(tenant, app):
            waiting = db.session.scalar(
                sa.select(sa.func.count(WebhookDelivery.id)).where(
                    WebhookDelivery.status.in_((DeliveryStatus.PENDING, DeliveryStatus.SENDING))
                )
            )
            db.session.rollback()
            if not waiting:
                return
            webhooks.sweep_organization(grace_seconds=sweep_grace)
        if time.monotonic() > deadline:
            raise AssertionError(f"{waiting} webhook deliveries still waiting after {timeout} s")
        time.sleep(0.05)


def deliveries(app, tenant, **filters):
    """[WebhookDelivery] (detached) ordered by id, filtered by column values."""
    with tenant_context(tenant, app):
        stmt = sa.select(WebhookDelivery).filter_by(**filters).order_by(WebhookDelivery.id)
        found = db.session.scalars(stmt).all()
        db.session.expunge_all()
        return found


def attempts_of(app, tenant, delivery_id):
    with tenant_context(tenant, app):
        found = db.session.scalars(
            sa.select(WebhookAttempt).where(WebhookAttempt.delivery_id == delivery_id).order_by(WebhookAttempt.number)
        ).all()
        db.session.expunge_all()
        return found


def subscription_row(app, tenant, subscription_id):
    with tenant_context(tenant, app):
        found = db.session.get(WebhookSubscription, subscription_id)
        db.session.expunge(found)
        return found


def age_failures(app, tenant, subscription_id, days):
    """Move the subscription's clock: it has been failing since `days` ago."""
    with tenant_context(tenant, app):
        db.session.get(WebhookSubscription, subscription_id).failing_since = utcnow() - timedelta(days=days)
        db.session.commit()


def demo_webhook_ids():
    """The demo's webhook integration and one of its deliveries (inside the demo tenant), for the crawler. Until
    the demo has one (part "manage" seeds "Demo receiver"), a webhook integration with a delivered test event is
    made here, straight from the models."""
    integration_id = db.session.scalar(
        sa.select(Integration.id).where(Integration.kind == IntegrationKind.WEBHOOK).order_by(Integration.id)
    )
    if integration_id is None:
        integration = Integration(
            kind=IntegrationKind.WEBHOOK,
            name="Crawled receiver",
            settings={},
            secrets_sealed=seal({"current": new_signing_secret()}, purpose="integrations"),
        )
        db.session.add(integration)
        db.session.flush()
        integration_id = integration.id
    subscription = db.session.scalar(
        sa.select(WebhookSubscription).where(WebhookSubscription.integration_id == integration_id)
    )
    if subscription is None:
        subscription = WebhookSubscription(integration_id=integration_id, url="http://127.0.0.1:8765/hooks")
        db.session.add(subscription)
        db.session.flush()
    delivery_id = db.session.scalar(
        sa.select(WebhookDelivery.id).where(WebhookDelivery.subscription_id == subscription.id)
    )
    if delivery_id is None:
        now = utcnow()
        delivery = WebhookDelivery(
            subscription_id=subscription.id,
            event_id=str(now.timestamp()),
            event_type=webhooks.TEST_EVENT,
            message_id=webhooks.new_message_id(),
            body='{"type":"webhook.test","timestamp":"2026-01-01T00:00:00+00:00","data":{"message":"crawled"}}',
            status=DeliveryStatus.SUCCEEDED,
            attempts=1,
            delivered_at=now,
            created_at=now,
        )
        db.session.add(delivery)
        db.session.flush()
        db.session.add(WebhookAttempt(delivery_id=delivery.id, number=1, duration_ms=12, status_code=200))
        delivery_id = delivery.id
    db.session.commit()
    return {"integration_id": integration_id, "delivery_id": delivery_id}


def webhook_rows():
    """For the permission matrix (inside its tenant): webhook integrations W1 and W2, each with one endpoint (to a
    port nothing listens on, wanting only course.completed) and one failed delivery, and a roster integration R1.
    {hook_w1, hook_s1, hook_d1, hook_w2, hook_s2, hook_d2, hook_roster}."""
    made = {}
    for key in ("1", "2"):
        integration = Integration(
            kind=IntegrationKind.WEBHOOK,
            name=f"W{key}",
            settings={},
            secrets_sealed=seal({"current": new_signing_secret()}, purpose="integrations"),
        )
        db.session.add(integration)
        db.session.flush()
        subscription = WebhookSubscription(
            integration_id=integration.id, url="http://127.0.0.1:9/hooks", event_types=["course.completed"]
        )
        db.session.add(subscription)
        db.session.flush()
        delivery = WebhookDelivery(
            subscription_id=subscription.id,
            event_id=f"matrix-{key}",
            event_type="course.completed",
            message_id=webhooks.new_message_id(),
            body="{}",
            status=DeliveryStatus.FAILED,
            attempts=8,
            last_error="HTTP 500: not a 2xx answer",
        )
        db.session.add(delivery)
        db.session.flush()
        made |= {f"hook_w{key}": integration.id, f"hook_s{key}": subscription.id, f"hook_d{key}": delivery.id}
    roster = Integration(kind=IntegrationKind.ONEROSTER, name="R1", settings={"source_url": None, "processing": "bulk"})
    db.session.add(roster)
    db.session.commit()
    return made | {"hook_roster": roster.id}


def forget_scheduled_webhook_retries(app):
    """Drop the retries RQ's scheduler still holds for webhook deliveries (those a sweep sent already): after the
    test its organization is gone, and another test's scheduler would run them into a failed job."""
    with app.app_context():
        queue = get_event_queue()
        registry = ScheduledJobRegistry(queue=queue)
        jobs = Job.fetch_many(registry.get_job_ids(), connection=redis_connection())
        for job in jobs:
            if job is not None and SEND_JOB in job.args:
                registry.remove(job, delete_job=True)
