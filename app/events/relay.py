"""The relay: committed outbox rows -> one RQ job per (event, subscriber) -> the subscriber, once.

1. `relay_now(scope)` runs right after a commit that wrote events (and in every sweep): it claims the
   outbox rows not relayed yet (an UPDATE ... WHERE relayed_at IS NULL, so two relays never claim one
   row), writes a pending delivery per subscriber in the same transaction, commits, then queues one job
   per delivery.
2. `deliver(scope, delivery_id)` runs in the worker, inside the event's organization: it locks the
   delivery row, skips it if done, and runs the subscriber in ONE transaction with the row's "done" mark
   (commits inside the subscriber are held until it returns). A crash anywhere rolls both back; a
   second delivery finds it done. A subscriber that raises records the error and attempts, and RQ
   retries it with backoff; the last failure marks the delivery failed.
3. `sweep()` (`flask events relay`, started next to the worker by `make run`) relays rows that a crash
   between commit and relay left behind, and re-queues pending deliveries whose job was lost (a killed
   worker, a flushed Redis) once they are `EVENT_STALE_SECONDS` overdue.
"""

import logging
import traceback
from contextlib import contextmanager
from datetime import timedelta
from functools import cache

import sqlalchemy as sa
from flask import current_app
from rq import Retry, get_current_job

from app.events import HOLD_COMMITS, subscribers_of
from app.events.catalog import load
from app.events.models import MODELS, DeliveryStatus
from app.extensions import db
from app.jobs import enqueue_many, get_event_queue
from app.observability.backlog import note_event_backlog
from app.tenancy.context import get_current_tenant, require_tenant, tenant_context
from app.tenancy.engines import engine_for
from app.tenancy.locks import row_locks
from app.tenancy.models import utcnow
from app.tenancy.resolution import active_tenants, find_active_tenant

log = logging.getLogger(__name__)
RELAY_BATCH = 500
FINISHED_JOB_SECONDS = 10


def _retry():
    intervals = list(current_app.config["EVENT_RETRY_INTERVALS"])
    return Retry(max=len(intervals), interval=intervals) if intervals else None


def _stale_at(extra_seconds=0):
    return utcnow() + timedelta(seconds=current_app.config["EVENT_STALE_SECONDS"] + extra_seconds)


def _enqueue(scope, deliveries):
    """Queue a job per (delivery id, request id of its event): each runs under the request that emitted the
    event, whoever queues it (the relay after that request's commit, the sweep, a replay)."""
    tenant = get_current_tenant() if scope == "tenant" else None
    calls = [(scope, delivery_id) for delivery_id, _ in deliveries]
    # The delivery row is the record; RQ keeps the finished job a few seconds only. Not 0: RQ deletes a job
    # whose result_ttl is 0 with seven more Redis round trips, where an expiry costs none.
    enqueue_many(
        tenant,
        deliver,
        calls,
        queue=get_event_queue(),
        retry=_retry(),
        timeout=120,
        result_ttl=FINISHED_JOB_SECONDS,
        request_ids=[request_id for _, request_id in deliveries],
    )


def _with_request_ids(scope, stmt):
    """`stmt` (a select of delivery ids) joined to their events, with each event's request id."""
    outbox, delivery = MODELS[scope]
    return stmt.add_columns(outbox.request_id).join(outbox, outbox.id == delivery.event_id)


def relay(scope, limit=RELAY_BATCH):
    """Claim up to `limit` committed, unrelayed events; create their deliveries; queue them. Returns how
    many events were relayed."""
    outbox, delivery = MODELS[scope]
    candidates = db.session.scalars(
        sa.select(outbox.id).where(outbox.relayed_at.is_(None)).order_by(outbox.occurred_at).limit(limit)
    ).all()
    if not candidates:
        db.session.rollback()
        return 0
    now = utcnow()
    claimed = db.session.execute(
        sa.update(outbox)
        .where(outbox.id.in_(candidates), outbox.relayed_at.is_(None))
        .values(relayed_at=now)
        .returning(outbox.id, outbox.name, outbox.request_id)
        .execution_options(synchronize_session=False)
    ).all()
    rows = [
        {
            "event_id": event_id,
            "subscriber": key,
            "status": DeliveryStatus.PENDING,
            "attempts": 0,
            "created_at": now,
            "stale_at": _stale_at(),
        }
        for event_id, name, _ in claimed
        for key in subscribers_of(name)
    ]
    if rows:
        db.session.execute(sa.insert(delivery), rows)
    request_id_of = {event_id: request_id for event_id, _, request_id in claimed}
    deliveries = (
        [
            (delivery_id, request_id_of[event_id])
            for delivery_id, event_id in db.session.execute(
                sa.select(delivery.id, delivery.event_id).where(delivery.event_id.in_(request_id_of))
            )
        ]
        if rows
        else []
    )
    db.session.commit()
    if deliveries:
        _enqueue(scope, deliveries)
    return len(claimed)


def relay_now(scope):
    """After a commit: relay what it wrote. A failure here loses nothing (the rows stay for the sweep)."""
    try:
        while relay(scope) == RELAY_BATCH:
            pass
    except Exception:
        db.session.rollback()
        log.exception("Relaying %s events failed; the sweep will relay them", scope)


def requeue_stale(scope, everything=False):
    """Queue again the pending deliveries whose job is overdue (`everything`: every pending one)."""
    delivery = MODELS[scope][1]
    stmt = sa.select(delivery.id).where(delivery.status == DeliveryStatus.PENDING)
    if not everything:
        stmt = stmt.where(delivery.stale_at < utcnow())
    deliveries = db.session.execute(_with_request_ids(scope, stmt).limit(RELAY_BATCH * 10)).all()
    if deliveries:
        db.session.execute(
            sa.update(delivery).where(delivery.id.in_([id_ for id_, _ in deliveries])).values(stale_at=_stale_at()),
            execution_options={"synchronize_session": False},
        )
    db.session.commit()
    if deliveries:
        _enqueue(scope, deliveries)
    return len(deliveries)


def oldest_undelivered(scope):
    """When the oldest event still waiting for a delivery (pending, not failed) occurred, or None."""
    outbox, delivery = MODELS[scope]
    return db.session.scalar(
        sa.select(sa.func.min(outbox.occurred_at))
        .join(delivery, delivery.event_id == outbox.id)
        .where(delivery.status == DeliveryStatus.PENDING)
    )


def sweep(app, everything=False):
    """Relay and re-queue what was left behind, in the platform and in every active organization.
    Returns {"relayed": n, "requeued": m}; notes the oldest event still waiting, for the relay lag metric."""
    totals = {"relayed": 0, "requeued": 0}
    waiting = []

    def one(scope):
        while (relayed := relay(scope)) > 0:
            totals["relayed"] += relayed
        totals["requeued"] += requeue_stale(scope, everything)
        waiting.append(oldest_undelivered(scope))
        db.session.rollback()  # the read's transaction ends here

    with app.app_context():
        one("platform")
        tenants = active_tenants()
    for tenant in tenants:
        try:
            with tenant_context(tenant, app):
                one("tenant")
        except Exception:
            log.exception("Sweeping the events of %s failed", tenant.slug)
    note_event_backlog(app, min((moment for moment in waiting if moment is not None), default=None))
    return totals


@contextmanager
def held_commits():
    """Within: `db.session.commit()` only flushes, so that everything commits at the end, together."""
    db.session.info[HOLD_COMMITS] = True
    try:
        yield
    finally:
        db.session.info.pop(HOLD_COMMITS, None)


@cache
def _statements(scope):
    """The statements of a delivery, built once per scope (building them, and their cache keys, cost as much
    as running them)."""
    outbox, delivery = (model.__table__ for model in MODELS[scope])  # Core: no ORM work per statement
    this_one = delivery.c.id == sa.bindparam("delivery_id")
    claim = (
        sa.select(delivery.c.status, delivery.c.attempts, delivery.c.subscriber, outbox.c.name, outbox.c.payload)
        .join(outbox, outbox.c.id == delivery.c.event_id)
        .where(this_one)
        .with_for_update(key_share=True, of=delivery)  # PostgreSQL: the delivery's row, not its event's
    )
    done = (
        sa.update(delivery)
        .where(this_one)
        .values(status=DeliveryStatus.DONE, attempts=sa.bindparam("attempts"), done_at=sa.bindparam("now"))
        .values(last_error=None)
    )
    return claim, done


def _bound(scope):
    """Where a delivery's Core statements run (given, rather than found by walking each statement)."""
    return {"bind": engine_for(require_tenant())} if scope == "tenant" else {}


def _claim(scope, delivery_id):
    """The delivery (status, attempts, subscriber) and its event (name, payload), the delivery's row held by
    this transaction until it ends; None if there is no such delivery."""
    claim, bind = _statements(scope)[0], _bound(scope)
    if scope == "tenant":
        with row_locks():
            return db.session.execute(claim, {"delivery_id": delivery_id}, bind_arguments=bind).first()
    return db.session.execute(claim, {"delivery_id": delivery_id}, bind_arguments=bind).first()


def _is_last_attempt():
    job = get_current_job()
    return job is None or not job.retries_left


def deliver(scope, delivery_id):
    """The RQ job of one (event, subscriber): run the subscriber once, or record why it could not."""
    delivery_model = MODELS[scope][1]
    claimed = _claim(scope, delivery_id)
    if claimed is None or claimed.status == DeliveryStatus.DONE:
        db.session.rollback()
        return "already done" if claimed else "no such delivery"
    attempts = claimed.attempts + 1
    try:
        func = subscribers_of(claimed.name).get(claimed.subscriber)
        if func is None:
            raise LookupError(f"No subscriber {claimed.subscriber} to {claimed.name} in this process.")
        event = load(claimed.name, claimed.payload)
        with held_commits():
            func(event)
        done = _statements(scope)[1]
        marks = {"delivery_id": delivery_id, "attempts": attempts, "now": utcnow()}
        db.session.execute(done, marks, bind_arguments=_bound(scope))
        db.session.commit()  # the subscriber's effect and the done mark, together
    except Exception as error:
        db.session.rollback()
        last = _is_last_attempt()
        db.session.execute(
            sa.update(delivery_model)
            .where(delivery_model.id == delivery_id, delivery_model.status != DeliveryStatus.DONE)  # a twin won
            .values(
                attempts=attempts,
                status=DeliveryStatus.FAILED if last else DeliveryStatus.PENDING,
                last_error="".join(traceback.format_exception_only(error)).strip()[:2000],
                stale_at=_stale_at(max(current_app.config["EVENT_RETRY_INTERVALS"] or [0])),
            ),
            execution_options={"synchronize_session": False},
        )
        db.session.commit()
        raise
    return "done"


def failed_deliveries(app):
    """Every failed delivery: (where, delivery id, event name, event id, subscriber, attempts, error)."""
    found = []

    def collect(scope, where):
        outbox, delivery = MODELS[scope]
        rows = db.session.execute(
            sa.select(
                delivery.id, outbox.name, delivery.event_id, delivery.subscriber, delivery.attempts, delivery.last_error
            )
            .join(outbox, outbox.id == delivery.event_id)
            .where(delivery.status == DeliveryStatus.FAILED)
            .order_by(delivery.id)
        ).all()
        found.extend((where, *row) for row in rows)

    with app.app_context():
        collect("platform", "platform")
        tenants = active_tenants()
    for tenant in tenants:
        with tenant_context(tenant, app):
            collect("tenant", tenant.slug)
    return found


def replay(app, where, delivery_id):
    """Queue a failed (or pending) delivery again, with fresh retries. `where`: an organization's slug or
    "platform". Returns False if there is no such delivery, or it is done."""
    scope = "platform" if where == "platform" else "tenant"
    with app.app_context():
        tenant = None if scope == "platform" else find_active_tenant(where)
    if scope == "tenant" and tenant is None:
        return False
    context = tenant_context(tenant, app) if tenant else app.app_context()
    with context:
        delivery = MODELS[scope][1]
        changed = db.session.execute(
            sa.update(delivery)
            .where(delivery.id == delivery_id, delivery.status != DeliveryStatus.DONE)
            .values(status=DeliveryStatus.PENDING, stale_at=_stale_at()),
            execution_options={"synchronize_session": False},
        ).rowcount
        replayed = db.session.execute(
            _with_request_ids(scope, sa.select(delivery.id).where(delivery.id == delivery_id))
        ).all()
        db.session.commit()
        if changed:
            _enqueue(scope, replayed)
    return bool(changed)
