"""Integrations for tests: rows made directly through the models (parts may add their own groups below)."""

import io
import time
import zipfile
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
from rq import SimpleWorker
from rq.job import Job
from rq.registry import ScheduledJobRegistry

from app.extensions import db
from app.jobs import get_event_queue, redis_connection
from app.security.sealing import seal
from app.tenancy.context import tenant_context
from app.tenancy.models import utcnow
from blueprints.integrations import roster_sync, webhooks
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
from tests.conftest import run_jobs

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


# --- part manage: the demo's webhook integration ----------------------------------------------------------------


def demo_integration_ids():
    """The demo's "Demo receiver" integration and its subscription (inside the demo tenant's context)."""
    integration_id = db.session.scalar(sa.select(Integration.id).where(Integration.name == DEMO_INTEGRATION))
    subscription_id = db.session.scalar(
        sa.select(WebhookSubscription.id).where(WebhookSubscription.integration_id == integration_id)
    )
    return {"integration_id": integration_id, "subscription_id": subscription_id}


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


# --- part "roster": OneRoster integrations, sample zips, syncs through the API ---------------------------------

ONEROSTER_SAMPLE = Path(__file__).resolve().parent.parent / "integrations" / "oneroster" / "sample"


def make_oneroster_integration(app, tenant, name="SIS", **settings):
    with tenant_context(tenant, app):
        integration = Integration(
            kind="oneroster", name=name, settings={"source_url": None, "processing": "bulk", **settings}
        )
        db.session.add(integration)
        db.session.commit()
        return integration.id


def sample_files():
    """The sample's files: name -> text."""
    return {path.name: path.read_text() for path in sorted(ONEROSTER_SAMPLE.glob("*.csv"))}


def roster_zip(files=None, **changes):
    """A zip of the sample, with `changes` (file name without .csv -> new text, or None to leave it out)."""
    files = dict(files or sample_files())
    for key, text in changes.items():
        name = f"{key}.csv"
        if text is None:
            files.pop(name, None)
        else:
            files[name] = text
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def upload_roster(client_api, integration_id, body, dry_run=True, filename="oneroster.zip"):
    data = {"file": (io.BytesIO(body), filename), "dry_run": "true" if dry_run else "false"}
    return client_api.post(f"/api/v1/integrations/{integration_id}/sync", data=data, content_type="multipart/form-data")


def sync_roster(app, client_api, integration_id, body, dry_run=True):
    """Upload, run the job, and answer the finished sync."""
    response = upload_roster(client_api, integration_id, body, dry_run=dry_run)
    assert response.status_code == 202, response.get_json()
    run_jobs(app)
    sync_id = response.get_json()["data"]["id"]
    return client_api.get(f"/api/v1/integrations/{integration_id}/syncs/{sync_id}").get_json()["data"]


def roster_errors(client_api, integration_id, sync_id):
    path = f"/api/v1/integrations/{integration_id}/syncs/{sync_id}/errors?per_page=100"
    return [
        (e["file"], e["row_number"], e["column"], e["value"], e["reason"])
        for e in client_api.get(path).get_json()["data"]
    ]


def oneroster_dry_run(actor, name="SIS", bad_row=False):
    """Inside a tenant: a OneRoster integration and a dry run of the sample (queued; run the jobs), made as
    `actor`; (integration id, sync id)."""
    integration = Integration(kind="oneroster", name=name, settings={"source_url": None, "processing": "bulk"})
    db.session.add(integration)
    db.session.commit()
    files = sample_files()
    if bad_row:
        files["enrollments.csv"] += "enr-x,active,2024-07-01T12:00:00.000Z,class-none,org-school-1,user-s-1,student\n"
    record = roster_sync.start_sync(
        integration, io.BytesIO(roster_zip(files)), "roster.zip", roster_sync.DRY_RUN, actor
    )
    return integration.id, record.id


def demo_roster_ids(actor):
    """The crawler's: a OneRoster integration of the demo and a dry run of the sample with a bad row."""
    integration_id, sync_id = oneroster_dry_run(actor, "Demo SIS", bad_row=True)
    return {"oneroster_id": integration_id, "sync_id": sync_id}


def matrix_roster_ids(actor):
    """The permission matrix's: a OneRoster integration and a dry run of the sample to commit."""
    integration_id, sync_id = oneroster_dry_run(actor)
    return {"roster_integration": integration_id, "roster_dry_run": sync_id}


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
