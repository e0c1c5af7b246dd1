"""Integrations for tests: rows made directly through the models (parts may add their own groups below)."""

import time
from datetime import timedelta

import sqlalchemy as sa
from rq import SimpleWorker

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
from blueprints.integrations.receiver import DEMO_INTEGRATION
from blueprints.integrations.signing import new_signing_secret

# --- part "hooks": webhook integrations, subscriptions and their deliveries ---------------------------------------


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


# --- part manage: the demo's webhook integration ----------------------------------------------------------------


def demo_integration_ids():
    """The demo's "Demo receiver" integration and its subscription (inside the demo tenant's context)."""
    integration_id = db.session.scalar(sa.select(Integration.id).where(Integration.name == DEMO_INTEGRATION))
    subscription_id = db.session.scalar(
        sa.select(WebhookSubscription.id).where(WebhookSubscription.integration_id == integration_id)
    )
    return {"integration_id": integration_id, "subscription_id": subscription_id}
