"""The webhook delivery engine (docs/integrations.md, "Webhooks: how deliveries flow").

A delivery goes `pending` -> `sending` (claimed with a lease) -> `succeeded`, back to `pending` for its next
attempt on `WEBHOOK_RETRY_SCHEDULE`, or `failed`. As the notification e-mails (blueprints/notifications/
delivery.py): a job gets up to `BATCH` ids, claims those still pending and due in one UPDATE (two jobs never
send one delivery), sends them several at a time over kept-alive connections (a small thread pool: threads only
do HTTP, this thread writes), and writes each attempt as its answer comes, one commit each. A worker killed
mid-delivery leaves its claims leased; once `lease_until` passes, the sweep (`flask integrations sweep`) puts
them back to pending and queues them: the receiver may see a message twice, always with the same `webhook-id`.
Retries are queued for their time with RQ's scheduler (`enqueue_at`); the sweep catches what a lost job left.
"""

import base64
import json
import logging
import math
import os
import random
import secrets
import time
import uuid
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor, as_completed
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from functools import cache

import httpx
import sqlalchemy as sa
from flask import current_app
from redis import RedisError
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from app.events.catalog import CATALOG
from app.extensions import db
from app.jobs import enqueue_many, get_event_queue, run_in_tenant
from app.security.permissions import ORG_ADMIN
from app.security.sealing import UnreadableSecret, unseal
from app.tenancy.context import require_tenant, tenant_context
from app.tenancy.engines import engine_for
from app.tenancy.models import utcnow
from app.tenancy.resolution import active_tenants
from blueprints.audit import recording as audit
from blueprints.integrations.models import (
    ALL_EVENTS,
    DeliveryStatus,
    Integration,
    IntegrationKind,
    IntegrationStatus,
    SubscriptionStatus,
    WebhookAttempt,
    WebhookDelivery,
    WebhookSubscription,
)
from blueprints.integrations.outbound import BlockedAddress, OutboundClient, UnresolvableHost
from blueprints.integrations.signing import signed_headers
from blueprints.notifications.producing import notify
from blueprints.users.queries import active_people_with_roles

log = logging.getLogger(__name__)

BATCH = 100  # deliveries per job
POOL = 8  # requests in flight per job
SUCCESS_GROUP = 20  # 2xx answers written per commit
TEST_EVENT = "webhook.test"
USER_AGENT = "Tessera-Webhooks/1"
EXCERPT_CHARACTERS = 500
JITTER = 0.10  # each retry waits its step plus up to 10 %
LONGEST_WAIT_SECONDS = 36_000  # a Retry-After never delays more than 10 h
SWEEP_GRACE_SECONDS = 30  # a due retry is the scheduler's for this long before the sweep queues it
JOB_TIMEOUT_MARGIN = 60

# The API paths of the objects an event's ids name (docs/integrations.md, "Body": `links`).
LINKS = {
    "course_id": ("course", "/courses/{}"),
    "user_id": ("user", "/users/{}"),
    "class_id": ("class", "/classes/{}"),
    "item_id": ("item", "/content/{}"),
    "attempt_id": ("attempt", "/attempts/{}"),
    "certificate_id": ("certificate", "/certificates/{}"),
    "badge_id": ("badge", "/badges/{}"),
    "report_id": ("report", "/reports/{}"),
    "import_id": ("import", "/imports/{}"),
    "requested_by_id": ("requested_by", "/users/{}"),
}
LIST_LINKS = {"user_ids": ("users", "/users/{}")}


class Outcome:
    """One request's result, as a pool thread found it (no database work there)."""

    def __init__(self, delivery_id, started_at):
        self.delivery_id = delivery_id
        self.started_at = started_at
        self.duration_ms = None
        self.status_code = None
        self.headers = {}
        self.excerpt = None
        self.error = None

    @property
    def succeeded(self):
        return self.status_code is not None and 200 <= self.status_code < 300


# --- Bodies ---------------------------------------------------------------------------------------------------


def new_message_id():
    """`msg_` + 26 random characters (base32 of 16 bytes): the `webhook-id` of every attempt of a delivery."""
    return "msg_" + base64.b32encode(secrets.token_bytes(16)).decode("ascii").rstrip("=").lower()


def api_url(path):
    config = current_app.config
    return f"{config['LMS_URL_SCHEME']}://{require_tenant().slug}.{config['LMS_BASE_DOMAIN']}/api/v1{path}"


def links_of(data):
    links = {}
    for field, (name, path) in LINKS.items():
        if isinstance(data.get(field), int):
            links[name] = api_url(path.format(data[field]))
    for field, (name, path) in LIST_LINKS.items():
        if isinstance(data.get(field), list):
            links[name] = [api_url(path.format(value)) for value in data[field]]
    return links


def _dumps(value):
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def event_body(event_name, occurred_at, data):
    """The JSON body of an event (docs/integrations.md, "Body"), under WEBHOOK_MAX_BODY_BYTES: an event naming
    very many objects (a class's new members) loses its lists' links first, then the lists are cut (with
    `truncated: true` and each list's full count)."""
    limit = current_app.config["WEBHOOK_MAX_BODY_BYTES"]
    data = {**data, "links": links_of(data)}

    def body():
        return _dumps({"type": event_name, "timestamp": occurred_at, "data": data})

    text = body()
    if len(text.encode()) <= limit:
        return text
    data["links"] = {name: link for name, link in data["links"].items() if not isinstance(link, list)}
    lists = [field for field, value in data.items() if isinstance(value, list)]
    for field in lists:
        data[f"{field}_count"] = len(data[field])
    while len(text := body().encode()) > limit and any(data[field] for field in lists):
        data["truncated"] = True
        for field in lists:
            data[field] = data[field][: len(data[field]) // 2]
    return text.decode() if isinstance(text, bytes) else text


def _insert_ignoring_duplicates(rows):
    """Insert delivery rows not there yet (unique subscription + event); ids of those written."""
    if not rows:
        return []
    insert = sqlite_insert if engine_for(require_tenant()).dialect.name == "sqlite" else postgresql_insert
    table = WebhookDelivery.__table__
    stmt = insert(table).on_conflict_do_nothing(index_elements=["subscription_id", "event_id"]).returning(table.c.id)
    return [row.id for row in db.session.execute(stmt, rows)]


def wants(event_types, name):
    return ALL_EVENTS in (event_types or []) or name in (event_types or [])


def active_subscriptions_wanting(name):
    """(subscription id, event types) of the active subscriptions of active webhook integrations that want the
    event `name`."""
    rows = db.session.execute(
        sa.select(WebhookSubscription.id, WebhookSubscription.event_types)
        .join(Integration, Integration.id == WebhookSubscription.integration_id)
        .where(
            Integration.kind == IntegrationKind.WEBHOOK,
            Integration.status == IntegrationStatus.ACTIVE,
            WebhookSubscription.status == SubscriptionStatus.ACTIVE,
        )
    ).all()
    return [row.id for row in rows if wants(row.event_types, name)]


def add_event_deliveries(event):
    """The deliveries of a catalog event to every subscription wanting it, in the current transaction (one
    statement; a re-run adds nothing); their jobs are queued once it commits. Returns the ids written."""
    subscription_ids = active_subscriptions_wanting(event.name)
    if not subscription_ids:
        return []
    data = event.to_json()
    body = event_body(event.name, data["occurred_at"], data)
    now = utcnow()
    rows = [
        {
            "subscription_id": subscription_id,
            "event_id": event.event_id,
            "event_type": event.name,
            "message_id": new_message_id(),
            "body": body,
            "status": DeliveryStatus.PENDING,
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
        }
        for subscription_id in subscription_ids
    ]
    written = _insert_ignoring_duplicates(rows)
    queue_after_commit(written)
    return written


def add_test_delivery(subscription, message=None):
    """A `webhook.test` event for `subscription` (sent even while it is disabled: to see the receiver is back
    before enabling it), queued once the caller commits. Returns the delivery."""
    now = utcnow()
    body = _dumps(
        {
            "type": TEST_EVENT,
            "timestamp": now.replace(tzinfo=UTC).isoformat(),
            "data": {"message": message or "A test event from Tessera: your endpoint receives our webhooks."},
        }
    )
    delivery = WebhookDelivery(
        subscription_id=subscription.id,
        event_id=str(uuid.uuid4()),
        event_type=TEST_EVENT,
        message_id=new_message_id(),
        body=body,
        status=DeliveryStatus.PENDING,
        attempts=0,
        next_attempt_at=now,
        created_at=now,
    )
    db.session.add(delivery)
    db.session.flush()
    queue_after_commit([delivery.id])
    return delivery


def redeliver(delivery_ids):
    """Back to pending now, each with its own message id (the same `webhook-id`: a receiver that did get it
    deduplicates), queued once the caller commits. A delivery being sent is left alone. A redelivery resumes its
    schedule where it stopped; one whose schedule ran out is tried once more. Returns the ids changed."""
    ids = sorted(set(delivery_ids))
    if not ids:
        return []
    changed = db.session.scalars(
        sa.update(WebhookDelivery)
        .where(WebhookDelivery.id.in_(ids), WebhookDelivery.status != DeliveryStatus.SENDING)
        .values(status=DeliveryStatus.PENDING, next_attempt_at=utcnow(), lease_until=None)
        .returning(WebhookDelivery.id)
        .execution_options(synchronize_session=False)
    ).all()
    queue_after_commit(changed)
    return sorted(changed)


def queue_after_commit(delivery_ids):
    ids = list(delivery_ids)
    if ids:
        tenant = require_tenant()
        sa.event.listen(db.session(), "after_commit", lambda _session: queue_now(ids, tenant), once=True)


def queue_now(delivery_ids, tenant=None):
    """Queue the jobs that send these deliveries (BATCH each), in one round trip. A failure is logged: the sweep
    queues them."""
    ids = sorted(set(delivery_ids))
    if not ids:
        return
    calls = [(ids[start : start + BATCH],) for start in range(0, len(ids), BATCH)]
    try:
        enqueue_many(
            tenant or require_tenant(),
            send_deliveries,
            calls,
            queue=get_event_queue(),
            timeout=job_timeout(),
            result_ttl=10,
        )
    except RedisError:
        log.exception("Could not queue %d webhook delivery jobs; the sweep will", len(calls))


def job_timeout():
    """A job's longest run: its batch sent POOL at a time, each at most the request timeout."""
    rounds = math.ceil(BATCH / POOL)
    return int(rounds * current_app.config["WEBHOOK_TIMEOUT_SECONDS"] * 2 + JOB_TIMEOUT_MARGIN)


def queue_at(moment, delivery_ids):
    """Queue the job of these deliveries' next attempt for `moment` (naive UTC), with RQ's scheduler."""
    tenant = require_tenant()
    try:
        get_event_queue().enqueue_at(
            moment.replace(tzinfo=UTC),
            run_in_tenant,
            tenant.slug,
            f"{__name__}.send_deliveries",
            sorted(delivery_ids),
            job_timeout=job_timeout(),
            result_ttl=10,
            meta={"tenant": tenant.slug},
        )
    except RedisError:
        log.warning("Could not schedule %d webhook retries; the sweep will queue them", len(delivery_ids))


# --- Sending ----------------------------------------------------------------------------------------------------


def lease_seconds():
    return job_timeout()


def claim(delivery_ids, more=0):
    """[(id, attempts)] of the deliveries this job now holds: those among `delivery_ids`, and up to `more` other
    due ones (under load a job takes what later jobs were queued for: they find nothing left and end at once),
    each pending, due, of an active subscription of an active integration (a test event: of any subscription),
    moved to `sending` with a lease in one UPDATE (two jobs never hold one delivery)."""
    ids = sorted(set(delivery_ids))
    if not ids and not more:
        return []
    now = utcnow()
    sendable = (
        sa.select(WebhookSubscription.id)
        .join(Integration, Integration.id == WebhookSubscription.integration_id)
        .where(Integration.status == IntegrationStatus.ACTIVE)
    )
    active = sendable.where(WebhookSubscription.status == SubscriptionStatus.ACTIVE)
    chosen = WebhookDelivery.id.in_(ids)
    if more:
        others = (
            sa.select(WebhookDelivery.id)
            .where(WebhookDelivery.status == DeliveryStatus.PENDING, WebhookDelivery.next_attempt_at <= now)
            .order_by(WebhookDelivery.next_attempt_at)
            .limit(more)
        )
        chosen = sa.or_(chosen, WebhookDelivery.id.in_(others))
    stmt = (
        sa.update(WebhookDelivery)
        .where(
            chosen,
            WebhookDelivery.status == DeliveryStatus.PENDING,
            WebhookDelivery.next_attempt_at <= now,
            sa.or_(
                WebhookDelivery.subscription_id.in_(active),
                sa.and_(WebhookDelivery.event_type == TEST_EVENT, WebhookDelivery.subscription_id.in_(sendable)),
            ),
        )
        .values(status=DeliveryStatus.SENDING, lease_until=now + timedelta(seconds=lease_seconds()))
        .returning(WebhookDelivery.id, WebhookDelivery.attempts)
        .execution_options(synchronize_session=False)
    )
    claimed = [tuple(row) for row in db.session.execute(stmt)]
    db.session.commit()
    return claimed


def secrets_in_use(integration_secrets_sealed, now=None):
    """The signing secrets of an integration: the current one, and the previous one while its overlap lasts."""
    if not integration_secrets_sealed:
        return []
    sealed = unseal(integration_secrets_sealed, purpose="integrations")
    found = [sealed["current"]] if sealed.get("current") else []
    previous, until = sealed.get("previous"), sealed.get("previous_until")
    if previous and until:
        ends = datetime.fromisoformat(until.replace("Z", "+00:00"))
        ends = ends if ends.tzinfo else ends.replace(tzinfo=UTC)
        if ends > (now or datetime.now(UTC)):
            found.append(previous)
    return found


def _messages(claimed):
    """({delivery id: (url, message id, body, signing secrets)}, {delivery id: (event type, subscription id)},
    {subscription id: failing_since}) of claimed deliveries."""
    rows = db.session.execute(
        sa.select(
            WebhookDelivery.id,
            WebhookDelivery.message_id,
            WebhookDelivery.body,
            WebhookDelivery.event_type,
            WebhookDelivery.subscription_id,
            WebhookSubscription.url,
            WebhookSubscription.failing_since,
            Integration.id.label("integration_id"),
            Integration.secrets_sealed,
        )
        .join(WebhookSubscription, WebhookSubscription.id == WebhookDelivery.subscription_id)
        .join(Integration, Integration.id == WebhookSubscription.integration_id)
        .where(WebhookDelivery.id.in_(claimed))
    ).all()
    keys, messages, about, failing = {}, {}, {}, {}
    for row in rows:
        if row.integration_id not in keys:
            try:
                keys[row.integration_id] = secrets_in_use(row.secrets_sealed)
            except UnreadableSecret:
                keys[row.integration_id] = None
        messages[row.id] = (row.url, row.message_id, row.body, keys[row.integration_id])
        about[row.id] = (row.event_type, row.subscription_id)
        failing[row.subscription_id] = row.failing_since
    return messages, about, failing


_SHARED = {}  # per process: kept-alive connections and the request threads, reused by every job


def shared_client():
    """This process's outbound client (its connections stay open between jobs: a receiver gets every delivery
    of a busy minute over a few connections), for the app's timeout and address rule."""
    config = current_app.config
    key = ("client", os.getpid(), config["WEBHOOK_TIMEOUT_SECONDS"], config["OUTBOUND_ALLOW_PRIVATE_ADDRESSES"])
    if key not in _SHARED:
        _SHARED[key] = OutboundClient()
    return _SHARED[key]


def shared_pool():
    key = ("pool", os.getpid())
    if key not in _SHARED:
        _SHARED[key] = ThreadPoolExecutor(max_workers=POOL, thread_name_prefix="webhooks")
    return _SHARED[key]


def _send_one(client, delivery_id, url, message_id, body, signing_secrets):
    """One request (in a pool thread: HTTP only)."""
    outcome = Outcome(delivery_id, utcnow())
    if not signing_secrets:
        outcome.error = "Not sent: the integration's signing secret cannot be read; rotate it."
        return outcome
    started = time.monotonic()
    content = body.encode("utf-8")
    headers = {
        **signed_headers(signing_secrets, message_id, time.time(), content),
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
    }
    try:
        outcome.status_code, outcome.headers, head = client.post(url, content=content, headers=headers)
        outcome.excerpt = head.decode("utf-8", errors="replace")[:EXCERPT_CHARACTERS]
        if not outcome.succeeded:
            outcome.error = _answer_error(outcome.status_code, outcome.headers)
    except (BlockedAddress, UnresolvableHost) as error:
        outcome.error = str(error)
    except httpx.TimeoutException:
        outcome.error = f"No answer within {client.timeout:g} s."
    except httpx.ConnectError as error:
        outcome.error = f"Could not connect: {error}"
    except httpx.HTTPError as error:
        outcome.error = f"{type(error).__name__}: {error}"
    except Exception as error:  # a thread must always hand its outcome back: the lease is not an answer
        log.exception("Webhook delivery %s failed unexpectedly", delivery_id)
        outcome.error = f"{type(error).__name__}: {error}"
    outcome.duration_ms = int((time.monotonic() - started) * 1000)
    return outcome


def _answer_error(status_code, headers):
    if 300 <= status_code < 400:
        return f"HTTP {status_code}: a redirect (not followed) to {headers.get('location', '?')[:200]}"
    if status_code == 410:
        return "HTTP 410 Gone: the receiver does not want these events any more"
    return f"HTTP {status_code}: not a 2xx answer"


def send_deliveries(delivery_ids):
    """The job: send the deliveries among `delivery_ids` still pending and due, and other due ones up to BATCH.
    Returns {"succeeded": n, "retrying": n, "failed": n}."""
    counts = {"succeeded": 0, "retrying": 0, "failed": 0}
    claimed = dict(claim(delivery_ids, more=max(0, BATCH - len(set(delivery_ids)))))
    if not claimed:
        return counts
    messages, about, failing = _messages(list(claimed))
    db.session.rollback()  # only read: end the transaction before the slow part (SQLite's lock)
    retries = defaultdict(list)
    client, pool = shared_client(), shared_pool()
    futures = [pool.submit(_send_one, client, delivery_id, *message) for delivery_id, message in messages.items()]
    succeeded = []  # written in groups: a kill loses at most a group's records (sent again, same webhook-id)
    for future in as_completed(futures):
        outcome = future.result()
        event_type, subscription_id = about[outcome.delivery_id]
        if outcome.succeeded:
            succeeded.append((outcome, claimed[outcome.delivery_id] + 1, event_type, subscription_id))
            if len(succeeded) >= SUCCESS_GROUP:
                counts["succeeded"] += record_successes(succeeded, failing)
                succeeded = []
            continue
        result, due = record(outcome, claimed[outcome.delivery_id])
        failing[subscription_id] = failing.get(subscription_id) or outcome.started_at
        counts[result] += 1
        if due is not None:
            retries[_whole_second(due)].append(outcome.delivery_id)
    counts["succeeded"] += record_successes(succeeded, failing)
    for moment, ids in retries.items():
        queue_at(moment, ids)
    return counts


def _attempt_row(outcome, number):
    return {
        "delivery_id": outcome.delivery_id,
        "number": number,
        "started_at": outcome.started_at,
        "duration_ms": outcome.duration_ms,
        "status_code": outcome.status_code,
        "response_excerpt": outcome.excerpt,
        "error": (outcome.error or None) and outcome.error[:300],
    }


@cache
def _success_statements():
    deliveries, subscriptions = WebhookDelivery.__table__, WebhookSubscription.__table__
    delivered = (
        sa.update(deliveries)
        .where(deliveries.c.id == sa.bindparam("delivery"))
        .values(
            status=DeliveryStatus.SUCCEEDED,
            attempts=sa.bindparam("number"),
            lease_until=None,
            next_attempt_at=None,
            last_status_code=sa.bindparam("code"),
            last_error=None,
            delivered_at=sa.bindparam("now"),
        )
    )
    recovered = sa.update(subscriptions).where(subscriptions.c.id.in_(sa.bindparam("ids", expanding=True)))
    return sa.insert(WebhookAttempt.__table__), delivered, recovered.values(failing_since=None)


def record_successes(succeeded, failing):
    """2xx answers [(outcome, attempt number, event type, subscription id)]: their attempts written, their
    deliveries succeeded, their subscriptions failing no more; Core statements, one commit (the common path).
    Returns how many."""
    if not succeeded:
        return 0
    try:
        return _write_successes(succeeded, failing)
    except sa.exc.IntegrityError:  # a delivery deleted meanwhile (with its integration): one at a time, skipping it
        db.session.rollback()
        return sum(record(outcome, number - 1)[0] == "succeeded" for outcome, number, _type, _sid in succeeded)


def _write_successes(succeeded, failing):
    now = utcnow()
    insert, delivered, recovered = _success_statements()
    db.session.execute(insert, [_attempt_row(outcome, number) for outcome, number, _type, _sid in succeeded])
    db.session.execute(
        delivered,
        [
            {"delivery": outcome.delivery_id, "number": number, "code": outcome.status_code, "now": now}
            for outcome, number, _type, _sid in succeeded
        ],
    )
    recovering = {sid for _outcome, _n, kind, sid in succeeded if kind != TEST_EVENT and failing.get(sid) is not None}
    if recovering:
        db.session.execute(recovered, {"ids": sorted(recovering)})
        failing.update(dict.fromkeys(recovering))
    db.session.commit()
    return len(succeeded)


def _whole_second(moment):
    """RQ's scheduler counts whole seconds: retries due in the same second share one job."""
    return moment.replace(microsecond=0) + (timedelta(seconds=1) if moment.microsecond else timedelta(0))


def retry_after_seconds(headers, now=None):
    """A `Retry-After` header's wait in seconds (delta-seconds or an HTTP date), None without a valid one."""
    value = (headers or {}).get("retry-after")
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return int(value)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0, (moment - (now or datetime.now(UTC))).total_seconds())


def next_wait_seconds(attempts, status_code=None, headers=None):
    """How long after its `attempts`-th attempt a delivery waits (None: no attempt left): the schedule's step
    with up to 10 % jitter; after a 429 or 503 with `Retry-After`, that long instead (at least the step, at most
    10 h)."""
    schedule = current_app.config["WEBHOOK_RETRY_SCHEDULE"]
    if attempts > len(schedule):
        return None
    step = schedule[attempts - 1]
    wait = step * (1 + random.uniform(0, JITTER))  # noqa: S311 (jitter, not a secret)
    if status_code in (429, 503):
        asked = retry_after_seconds(headers)
        if asked is not None:
            wait = min(max(asked, step), LONGEST_WAIT_SECONDS)
    return wait


def record(outcome, attempts_before):
    """Write one attempt and move its delivery on (one commit). Returns (succeeded | retrying | failed, when the
    next attempt is due or None)."""
    number = attempts_before + 1
    now = utcnow()
    delivery = db.session.get(WebhookDelivery, outcome.delivery_id)
    if delivery is None:  # deleted with its integration meanwhile
        db.session.rollback()
        return "failed", None
    db.session.add(WebhookAttempt(**_attempt_row(outcome, number)))
    delivery.attempts = number
    delivery.lease_until = None
    delivery.last_status_code = outcome.status_code
    delivery.last_error = (outcome.error or None) and outcome.error[:300]
    subscription = db.session.get(WebhookSubscription, delivery.subscription_id)
    due = None
    if outcome.succeeded:
        delivery.status = DeliveryStatus.SUCCEEDED
        delivery.delivered_at = now
        delivery.next_attempt_at = None
        if delivery.event_type != TEST_EVENT:
            subscription.failing_since = None
        result = "succeeded"
    elif outcome.status_code == 410:
        delivery.status = DeliveryStatus.FAILED
        delivery.next_attempt_at = None
        disable_subscription(subscription, "The receiver answered 410 Gone.", notify_admins=False)
        result = "failed"
    else:
        wait = next_wait_seconds(number, outcome.status_code, outcome.headers)
        if wait is None:
            delivery.status = DeliveryStatus.FAILED
            delivery.next_attempt_at = None
            result = "failed"
        else:
            due = now + timedelta(seconds=wait)
            delivery.status = DeliveryStatus.PENDING
            delivery.next_attempt_at = due
            result = "retrying"
        if delivery.event_type != TEST_EVENT and subscription.status == SubscriptionStatus.ACTIVE:
            subscription.failing_since = subscription.failing_since or outcome.started_at
            if subscription.failing_since <= now - timedelta(days=current_app.config["WEBHOOK_DISABLE_AFTER_DAYS"]):
                days = current_app.config["WEBHOOK_DISABLE_AFTER_DAYS"]
                disable_subscription(subscription, f"Every delivery failed for {days} days.", notify_admins=True)
                if delivery.status == DeliveryStatus.PENDING:
                    delivery.status, delivery.next_attempt_at, due, result = DeliveryStatus.FAILED, None, None, "failed"
    db.session.commit()
    return result, due


def disable_subscription(subscription, reason, *, notify_admins):
    """Disable `subscription` (in the current transaction): its pending deliveries fail; the org admins are told
    when `notify_admins` (failing for days; a 410 is the receiver's own wish)."""
    subscription.status = SubscriptionStatus.DISABLED
    subscription.disabled_reason = reason[:300]
    db.session.execute(
        sa.update(WebhookDelivery)
        .where(
            WebhookDelivery.subscription_id == subscription.id,
            WebhookDelivery.status == DeliveryStatus.PENDING,
            WebhookDelivery.event_type != TEST_EVENT,
        )
        .values(status=DeliveryStatus.FAILED, next_attempt_at=None, last_error=f"Not sent: {reason}"[:300])
        .execution_options(synchronize_session=False)
    )
    integration = db.session.get(Integration, subscription.integration_id)
    audit.record(  # by the system (a delivery job), in the audit trail like an admin's pause
        "integration.changed",
        target_type="integration",
        target_id=integration.id,
        target_label=integration.name,
        details={"change": "subscription_disabled", "subscription_id": subscription.id, "reason": reason[:300]},
    )
    if notify_admins:
        admins = [person.id for person in active_people_with_roles([ORG_ADMIN])]
        notify(
            "webhook_disabled",
            admins,
            source_key=f"webhook_subscription:{subscription.id}:{utcnow().isoformat()}",
            context={
                "integration": {"name": integration.name},
                "subscription": {"url": subscription.url},
                "reason": reason,
            },
            link=f"/integrations/{integration.id}",
        )


# --- The sweep --------------------------------------------------------------------------------------------------


def sweep_organization(grace_seconds=SWEEP_GRACE_SECONDS):
    """In the current organization: deliveries whose lease ran out (a worker died) back to pending, and every
    pending delivery due for `grace_seconds` or more (a lost or never-queued job) queued. Returns how many."""
    now = utcnow()
    released = db.session.scalars(
        sa.update(WebhookDelivery)
        .where(WebhookDelivery.status == DeliveryStatus.SENDING, WebhookDelivery.lease_until < now)
        .values(
            status=DeliveryStatus.PENDING,
            next_attempt_at=now,
            lease_until=None,
            last_error="Its worker stopped while sending; sent again.",
        )
        .returning(WebhookDelivery.id)
        .execution_options(synchronize_session=False)
    ).all()
    db.session.commit()
    due = db.session.scalars(
        sa.select(WebhookDelivery.id).where(
            WebhookDelivery.status == DeliveryStatus.PENDING,
            WebhookDelivery.next_attempt_at <= now - timedelta(seconds=grace_seconds),
        )
    ).all()
    db.session.rollback()
    ids = sorted(set(released) | set(due))
    queue_now(ids)
    return len(ids)


def sweep_all(app, grace_seconds=SWEEP_GRACE_SECONDS):
    """`sweep_organization` in every active organization; returns (queued, [slugs whose sweep failed])."""
    with app.app_context():
        tenants = active_tenants()
    queued, failed = 0, []
    for tenant in tenants:
        try:
            with tenant_context(tenant, app):
                queued += sweep_organization(grace_seconds)
        except Exception:
            log.exception("Sweeping the webhook deliveries of %s failed", tenant.slug)
            failed.append(tenant.slug)
    return queued, failed


# --- For the log ------------------------------------------------------------------------------------------------


def status_counts(integration_id):
    """{status: n} of an integration's deliveries (the log's summary)."""
    rows = db.session.execute(
        sa.select(WebhookDelivery.status, sa.func.count())
        .join(WebhookSubscription, WebhookSubscription.id == WebhookDelivery.subscription_id)
        .where(WebhookSubscription.integration_id == integration_id)
        .group_by(WebhookDelivery.status)
    ).all()
    return {status: 0 for status in DeliveryStatus.ALL} | {status: n for status, n in rows}


def tenant_event_names():
    """Every catalog event an organization's webhooks can receive (platform events are not an organization's)."""
    return sorted(name for name, cls in CATALOG.items() if cls.scope == "tenant")
