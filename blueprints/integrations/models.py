"""Integrations (docs/integrations.md): an organization's webhook endpoints and roster syncs, the webhook
subscriptions with their deliveries and every attempt of each, and the roster syncs' records and bad rows."""

import sqlalchemy as sa

from app.tenancy.base import TenantModel
from app.tenancy.models import utcnow


class IntegrationKind:
    WEBHOOK = "webhook"  # a receiver of our events (Standard Webhooks)
    ONEROSTER = "oneroster"  # a school information system's roster, as OneRoster 1.2 CSV
    ALL = (WEBHOOK, ONEROSTER)


class IntegrationStatus:
    ACTIVE = "active"
    PAUSED = "paused"  # by its owner: nothing is delivered or synced, deliveries wait
    DISABLED = "disabled"  # by us (see `disabled_reason`); its owner enables it again
    ALL = (ACTIVE, PAUSED, DISABLED)


class Integration(TenantModel):
    __tablename__ = "integrations"

    id = sa.Column(sa.Integer, primary_key=True)
    kind = sa.Column(sa.String(20), nullable=False)
    name = sa.Column(sa.String(100), nullable=False)
    status = sa.Column(sa.String(20), nullable=False, default=IntegrationStatus.ACTIVE)
    disabled_reason = sa.Column(sa.String(300))
    # what is not secret, by kind (docs/integrations.md, "Settings"): e.g. a OneRoster sync's source URL and mode
    settings = sa.Column(sa.JSON, nullable=False, default=dict)
    # the secrets, sealed (app/security/sealing.py, purpose "integrations"): a dict by kind, e.g. the webhook
    # signing secrets {"current": "whsec_...", "previous": "whsec_...", "previous_until": ISO time}; shown once
    secrets_sealed = sa.Column(sa.Text)
    owner_id = sa.Column(sa.Integer, sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    created_by_api_key_id = sa.Column(sa.Integer, sa.ForeignKey("api_keys.id", ondelete="SET NULL"))
    created_at = sa.Column(sa.DateTime, nullable=False, default=utcnow)
    updated_at = sa.Column(sa.DateTime, nullable=False, default=utcnow, onupdate=utcnow)


class SubscriptionStatus:
    ACTIVE = "active"
    DISABLED = "disabled"  # 410 from the receiver, failing for WEBHOOK_DISABLE_AFTER_DAYS, or by its owner
    ALL = (ACTIVE, DISABLED)


ALL_EVENTS = "*"  # a subscription's event types: catalog names, or ["*"] for every event


class WebhookSubscription(TenantModel):
    """Where one webhook integration's events go: a URL and the event types it wants."""

    __tablename__ = "webhook_subscriptions"

    id = sa.Column(sa.Integer, primary_key=True)
    integration_id = sa.Column(
        sa.Integer, sa.ForeignKey("integrations.id", ondelete="CASCADE"), nullable=False, index=True
    )
    url = sa.Column(sa.String(2000), nullable=False)
    event_types = sa.Column(sa.JSON, nullable=False, default=lambda: [ALL_EVENTS])
    description = sa.Column(sa.String(300), nullable=False, default="")
    status = sa.Column(sa.String(20), nullable=False, default=SubscriptionStatus.ACTIVE)
    disabled_reason = sa.Column(sa.String(300))
    failing_since = sa.Column(sa.DateTime)  # the first failure after the last success; none while it succeeds
    created_at = sa.Column(sa.DateTime, nullable=False, default=utcnow)
    updated_at = sa.Column(sa.DateTime, nullable=False, default=utcnow, onupdate=utcnow)


class DeliveryStatus:
    PENDING = "pending"  # waiting for its next attempt (`next_attempt_at`)
    SENDING = "sending"  # claimed by a worker until `lease_until` (a worker that died: claimed again after it)
    SUCCEEDED = "succeeded"
    FAILED = "failed"  # gave up: the schedule ran out, the subscription was disabled, or a 410
    ALL = (PENDING, SENDING, SUCCEEDED, FAILED)


class WebhookDelivery(TenantModel):
    """One event for one subscription: one message (`message_id`, the `webhook-id` header, the same on every
    attempt and redelivery), its body fixed when it was made, and where it stands."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        sa.UniqueConstraint("subscription_id", "event_id"),  # an event relayed twice is one delivery
        sa.Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
        sa.Index("ix_webhook_deliveries_log", "subscription_id", "id"),
    )

    id = sa.Column(sa.Integer, primary_key=True)
    subscription_id = sa.Column(
        sa.Integer, sa.ForeignKey("webhook_subscriptions.id", ondelete="CASCADE"), nullable=False
    )
    event_id = sa.Column(sa.String(36), nullable=False)  # the catalog event's id; a test event's own
    event_type = sa.Column(sa.String(100), nullable=False)
    message_id = sa.Column(sa.String(64), nullable=False, unique=True)  # "msg_" + ...: the `webhook-id`
    body = sa.Column(sa.Text, nullable=False)  # the JSON sent, under WEBHOOK_MAX_BODY_BYTES
    status = sa.Column(sa.String(20), nullable=False, default=DeliveryStatus.PENDING)
    attempts = sa.Column(sa.Integer, nullable=False, default=0)
    next_attempt_at = sa.Column(sa.DateTime)  # none once succeeded or failed
    lease_until = sa.Column(sa.DateTime)  # while sending
    last_status_code = sa.Column(sa.Integer)
    last_error = sa.Column(sa.String(300))
    created_at = sa.Column(sa.DateTime, nullable=False, default=utcnow)
    delivered_at = sa.Column(sa.DateTime)


class WebhookAttempt(TenantModel):
    """One HTTP request of a delivery, as the delivery log shows it."""

    __tablename__ = "webhook_attempts"

    id = sa.Column(sa.Integer, primary_key=True)
    delivery_id = sa.Column(
        sa.Integer, sa.ForeignKey("webhook_deliveries.id", ondelete="CASCADE"), nullable=False, index=True
    )
    number = sa.Column(sa.Integer, nullable=False)  # 1 for the first attempt
    started_at = sa.Column(sa.DateTime, nullable=False, default=utcnow)
    duration_ms = sa.Column(sa.Integer)
    status_code = sa.Column(sa.Integer)  # none when no answer came (refused, timeout, blocked address)
    response_excerpt = sa.Column(sa.String(500))  # the answer's first characters, as text
    error = sa.Column(sa.String(300))  # why there was no 2xx, in words


class RosterSyncStatus:
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class RosterSync(TenantModel):
    """One OneRoster 1.2 CSV zip, dry run or commit (docs/integrations.md, "Roster sync")."""

    __tablename__ = "roster_syncs"

    id = sa.Column(sa.Integer, primary_key=True)
    integration_id = sa.Column(sa.Integer, sa.ForeignKey("integrations.id", ondelete="SET NULL"), index=True)
    owner = sa.Column(sa.String(40), nullable=False)  # "user:<id>" or "key:<id>", as the people import
    file_sha256 = sa.Column(sa.String(64), nullable=False)
    filename = sa.Column(sa.String(255), nullable=False)
    file_path = sa.Column(sa.String(500), nullable=False)
    mode = sa.Column(sa.String(10), nullable=False)  # "dry_run" or "commit"
    processing = sa.Column(sa.String(10))  # the manifest's: "bulk" or "delta" (per file in `counts`)
    status = sa.Column(sa.String(20), nullable=False, default=RosterSyncStatus.QUEUED)
    total_rows = sa.Column(sa.Integer)
    processed_rows = sa.Column(sa.Integer, nullable=False, default=0)
    # per file: {"users.csv": {"created": n, "updated": n, "unchanged": n, "deactivated": n, "invalid": n}, ...}
    counts = sa.Column(sa.JSON, nullable=False, default=dict)
    checkpoint = sa.Column(sa.JSON)  # where a commit stands (file, row): a crashed job resumes from here
    error_message = sa.Column(sa.Text)
    created_by_id = sa.Column(sa.Integer, sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_by_api_key_id = sa.Column(sa.Integer, sa.ForeignKey("api_keys.id", ondelete="SET NULL"))
    rq_job_id = sa.Column(sa.String(64))
    created_at = sa.Column(sa.DateTime, nullable=False, default=utcnow)
    started_at = sa.Column(sa.DateTime)
    finished_at = sa.Column(sa.DateTime)


class RosterSyncError(TenantModel):
    __tablename__ = "roster_sync_errors"
    __table_args__ = (sa.Index("ix_roster_sync_errors_sync", "sync_id", "file", "row_number"),)

    id = sa.Column(sa.Integer, primary_key=True)
    sync_id = sa.Column(sa.Integer, sa.ForeignKey("roster_syncs.id", ondelete="CASCADE"), nullable=False)
    file = sa.Column(sa.String(40), nullable=False)  # "users.csv", or "manifest.csv", or the zip itself
    row_number = sa.Column(sa.Integer, nullable=False)  # as a spreadsheet counts: the header is row 1; 0: the file
    column = sa.Column(sa.String(40), nullable=False)
    value = sa.Column(sa.String(300))
    reason = sa.Column(sa.String(300), nullable=False)
