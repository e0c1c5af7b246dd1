"""Backfill: a badge that becomes active (made active, activated, or its criteria, branches or course changed
while active) is given to the learners who meet it already, by a job, without waiting for their next event.

The change's transaction names the badge (`schedule_after_commit`); after its commit one job per badge is
queued, unless one is queued already and has not started (several changes at once: one job). A job clears
that flag as it starts, so a change made while it runs queues another that sees it. Its status (queued,
running, done, failed; learners checked and awarded) is kept in Redis for the badge's page.
"""

import sqlalchemy as sa
from flask import current_app

from app.extensions import db
from app.jobs import enqueue, redis_connection
from app.tenancy.context import current_tenant, require_tenant
from app.tenancy.models import utcnow

JOB = "blueprints.badges.jobs.backfill_badge"
PENDING_SECONDS = 24 * 3600  # a queued job lost with Redis's data: the next change queues again after this
STATUS_SECONDS = 30 * 24 * 3600  # how long the badge's page says what the last backfill did
SESSION_KEY = "badge_backfills"


def _key(badge_id):
    return f"{current_app.config['RQ_QUEUE']}:badges:backfill:{require_tenant().slug}:{badge_id}"


def schedule_after_commit(badge_id):
    """Queue the badge's backfill when this transaction commits (nothing when it rolls back)."""
    session = db.session()
    pending = session.info.setdefault(SESSION_KEY, set())
    if not pending:
        sa.event.listen(session, "after_commit", _queue_pending, once=True)
        sa.event.listen(session, "after_rollback", _forget_pending, once=True)
    pending.add(badge_id)


def _forget_pending(session):
    session.info.pop(SESSION_KEY, None)
    if sa.event.contains(session, "after_commit", _queue_pending):
        sa.event.remove(session, "after_commit", _queue_pending)


def _queue_pending(session):
    badge_ids = sorted(session.info.pop(SESSION_KEY, set()))
    if sa.event.contains(session, "after_rollback", _forget_pending):
        sa.event.remove(session, "after_rollback", _forget_pending)
    for badge_id in badge_ids:
        queue(badge_id)


def queue(badge_id):
    """Queue a backfill of the badge, unless one is queued and not started yet (that one will see the change)."""
    redis = redis_connection()
    key = _key(badge_id)
    if not redis.set(f"{key}:pending", 1, nx=True, ex=PENDING_SECONDS):
        return False
    with redis.pipeline() as pipeline:
        pipeline.delete(f"{key}:status")
        pipeline.hset(f"{key}:status", mapping={"state": "queued", "queued_at": _now()})
        pipeline.expire(f"{key}:status", STATUS_SECONDS)
        pipeline.execute()
    try:
        enqueue(current_tenant, JOB, badge_id, timeout=3600)
    except Exception:
        redis.delete(f"{key}:pending")  # not queued: the next change must try again
        raise
    return True


def started(badge_id):
    """The job begins: a change from now on queues another job."""
    key = _key(badge_id)
    with redis_connection().pipeline() as pipeline:
        pipeline.delete(f"{key}:pending")
        pipeline.hset(f"{key}:status", mapping={"state": "running", "started_at": _now(), "checked": 0, "awarded": 0})
        pipeline.hdel(f"{key}:status", "finished_at")
        pipeline.expire(f"{key}:status", STATUS_SECONDS)
        pipeline.execute()


def progressed(badge_id, checked, awarded):
    key = f"{_key(badge_id)}:status"
    with redis_connection().pipeline() as pipeline:
        pipeline.hincrby(key, "checked", checked)
        pipeline.hincrby(key, "awarded", awarded)
        pipeline.execute()


def ended(badge_id, state):
    """`state`: done or failed."""
    redis_connection().hset(f"{_key(badge_id)}:status", mapping={"state": state, "finished_at": _now()})


def status_of(badge_id):
    """The badge's last backfill: {state, checked, awarded, queued_at, started_at, finished_at} or None."""
    raw = redis_connection().hgetall(f"{_key(badge_id)}:status")
    if not raw:
        return None
    found = {k.decode(): v.decode() for k, v in raw.items()}
    for number in ("checked", "awarded"):
        found[number] = int(found.get(number, 0))
    return found


def _now():
    return utcnow().replace(microsecond=0).isoformat() + "Z"
