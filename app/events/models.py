"""The outbox and its deliveries, in two places with one shape.

Tenant events live in the organization's own database (`event_outbox`, `event_deliveries`), written in
the transaction of the change they announce; platform events in the control plane's
(`platform_event_outbox`, `platform_event_deliveries`). One delivery row per (event, subscriber): its
unique key is what makes a subscriber run once per event however often the event is delivered.
"""

import sqlalchemy as sa
from sqlalchemy.orm import declared_attr

from app.extensions import db
from app.tenancy.base import TenantModel
from app.tenancy.models import utcnow


class DeliveryStatus:
    PENDING = "pending"  # queued (or waiting for a retry)
    DONE = "done"  # the subscriber's effect committed, with this row
    FAILED = "failed"  # retries exhausted: listed by `flask events failed`, re-run by `flask events replay`


class OutboxColumns:
    id = sa.Column(sa.String(36), primary_key=True)  # the event id (a uuid)
    name = sa.Column(sa.String(80), nullable=False)
    payload = sa.Column(sa.JSON, nullable=False)
    occurred_at = sa.Column(sa.DateTime, nullable=False)
    relayed_at = sa.Column(sa.DateTime, index=True)  # NULL: committed, its deliveries not queued yet
    # The request (or job) that emitted it: every delivery, whoever queues it (the relay after the commit, the
    # sweep, a replay), runs and logs under this id, so that a subscriber's work joins the request that caused it.
    request_id = sa.Column(sa.String(64))


class DeliveryColumns:
    id = sa.Column(sa.Integer, primary_key=True)
    subscriber = sa.Column(sa.String(200), nullable=False)
    status = sa.Column(sa.String(10), nullable=False, default=DeliveryStatus.PENDING, index=True)
    attempts = sa.Column(sa.Integer, nullable=False, default=0)
    last_error = sa.Column(sa.Text)
    created_at = sa.Column(sa.DateTime, nullable=False, default=utcnow)
    stale_at = sa.Column(sa.DateTime, nullable=False, default=utcnow)  # pending and past it: its job was lost
    done_at = sa.Column(sa.DateTime)

    @declared_attr
    def __table_args__(cls):
        return (sa.UniqueConstraint("event_id", "subscriber"),)


class OutboxEvent(OutboxColumns, TenantModel):
    __tablename__ = "event_outbox"


class EventDelivery(DeliveryColumns, TenantModel):
    __tablename__ = "event_deliveries"

    event_id = sa.Column(sa.String(36), sa.ForeignKey("event_outbox.id", ondelete="CASCADE"), nullable=False)


class PlatformOutboxEvent(OutboxColumns, db.Model):
    __tablename__ = "platform_event_outbox"


class PlatformEventDelivery(DeliveryColumns, db.Model):
    __tablename__ = "platform_event_deliveries"

    event_id = sa.Column(sa.String(36), sa.ForeignKey("platform_event_outbox.id", ondelete="CASCADE"), nullable=False)


MODELS = {"tenant": (OutboxEvent, EventDelivery), "platform": (PlatformOutboxEvent, PlatformEventDelivery)}
