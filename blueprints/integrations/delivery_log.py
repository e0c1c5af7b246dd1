"""The delivery log of a webhook integration (docs/integrations.md, "API" and "Pages"): its deliveries with their
attempts, redeliver one or every failed one (or those of a filter), send a test event. For org admins
(`integrations.manage`, checked by the routes); every read and write is of the integration named in the URL, in
the current organization's database."""

import sqlalchemy as sa

from app.api.listing import ListSpec, apply_filters, parse_list_query, run_list_query
from app.errors import Conflict, NotFound
from app.extensions import db
from blueprints.integrations import webhooks
from blueprints.integrations.models import (
    DeliveryStatus,
    Integration,
    IntegrationKind,
    WebhookAttempt,
    WebhookDelivery,
    WebhookSubscription,
)

DELIVERY_LIST = ListSpec(
    filters={
        "status": WebhookDelivery.status,
        "event_type": WebhookDelivery.event_type,
        "subscription_id": WebhookDelivery.subscription_id,
        "created_at": WebhookDelivery.created_at,
    },
    sorts={"id": WebhookDelivery.id, "created_at": WebhookDelivery.created_at},
    default_sort=("-id",),
    tiebreaker=WebhookDelivery.id,
)
REDELIVER_AT_MOST = 10_000  # one request's redeliveries; the rest in the next one


def webhook_integration(integration_id):
    """The webhook integration `integration_id` of this organization (NotFound otherwise, also for a roster one)."""
    integration = db.session.get(Integration, integration_id)
    if integration is None or integration.kind != IntegrationKind.WEBHOOK:
        raise NotFound("No such webhook integration.")
    return integration


def subscription_of(integration, subscription_id):
    subscription = db.session.get(WebhookSubscription, subscription_id)
    if subscription is None or subscription.integration_id != integration.id:
        raise NotFound("No such webhook subscription in this integration.")
    return subscription


def subscriptions_of(integration):
    return db.session.scalars(
        sa.select(WebhookSubscription)
        .where(WebhookSubscription.integration_id == integration.id)
        .order_by(WebhookSubscription.id)
    ).all()


def _of_integration(integration):
    return sa.select(WebhookDelivery).where(
        WebhookDelivery.subscription_id.in_(
            sa.select(WebhookSubscription.id).where(WebhookSubscription.integration_id == integration.id)
        )
    )


def list_deliveries(integration, query):
    """One page of the integration's deliveries, newest first by default (filters: status, event_type,
    subscription_id, created_at)."""
    return run_list_query(db.session, _of_integration(integration), query, DELIVERY_LIST)


def delivery_of(integration, delivery_id):
    delivery = db.session.scalar(_of_integration(integration).where(WebhookDelivery.id == delivery_id))
    if delivery is None:
        raise NotFound("No such delivery in this integration.")
    return delivery


def attempts_of(delivery):
    return db.session.scalars(
        sa.select(WebhookAttempt).where(WebhookAttempt.delivery_id == delivery.id).order_by(WebhookAttempt.number)
    ).all()


def redeliver_one(integration, delivery_id):
    """Send one delivery again now (same webhook-id). One being sent right now: Conflict, unchanged."""
    delivery = delivery_of(integration, delivery_id)
    if delivery.status == DeliveryStatus.SENDING:
        raise Conflict("This delivery is being sent right now; wait for its attempt.")
    webhooks.redeliver([delivery.id])
    db.session.commit()
    db.session.refresh(delivery)
    return delivery


def redeliver_matching(integration, args):
    """Redeliver every failed delivery of the integration, or those matching the list filters in `args`
    (`filter[status]=...` etc.; a filter without a status still takes failed ones only unless it names one).
    Returns how many were queued."""
    query = parse_list_query(args, DELIVERY_LIST)
    stmt = apply_filters(_of_integration(integration), query, DELIVERY_LIST)
    if not any(condition.field == "status" for condition in query.conditions):
        stmt = stmt.where(WebhookDelivery.status == DeliveryStatus.FAILED)
    stmt = stmt.where(WebhookDelivery.status != DeliveryStatus.SENDING)
    ids = db.session.scalars(
        stmt.with_only_columns(WebhookDelivery.id).order_by(WebhookDelivery.id).limit(REDELIVER_AT_MOST)
    ).all()
    changed = webhooks.redeliver(ids)
    db.session.commit()
    return len(changed)


def send_test(integration, subscription_id, message=None):
    subscription = subscription_of(integration, subscription_id)
    delivery = webhooks.add_test_delivery(subscription, message)
    db.session.commit()
    return delivery


def summary(integration):
    return webhooks.status_counts(integration.id)


def last_attempts(deliveries):
    """{delivery id: its latest WebhookAttempt} for a page of deliveries (one query)."""
    ids = [delivery.id for delivery in deliveries]
    if not ids:
        return {}
    latest = (
        sa.select(WebhookAttempt.delivery_id, sa.func.max(WebhookAttempt.number).label("number"))
        .where(WebhookAttempt.delivery_id.in_(ids))
        .group_by(WebhookAttempt.delivery_id)
        .subquery()
    )
    rows = db.session.scalars(
        sa.select(WebhookAttempt).join(
            latest,
            sa.and_(latest.c.delivery_id == WebhookAttempt.delivery_id, latest.c.number == WebhookAttempt.number),
        )
    ).all()
    return {attempt.delivery_id: attempt for attempt in rows}
