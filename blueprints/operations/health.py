"""Is this web process ready for traffic? Each dependency checked once, quickly, with a short timeout.

The control database, Redis, one organization's database (the one whose engine this process used last, else the
first active one), a worker on each queue (RQ registers its workers in Redis and renews a heartbeat; a worker
whose key outlived no heartbeat is gone), and queues short enough (`LMS_READY_MAX_QUEUE`).
"""

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

import sqlalchemy as sa
from redis import Redis
from redis.backoff import NoBackoff
from redis.retry import Retry
from rq.utils import utcparse
from rq.worker_registration import WORKERS_BY_QUEUE_KEY

from app.extensions import db
from app.jobs import get_event_queue, get_queue
from app.tenancy.engines import engine_for
from app.tenancy.models import Tenant, TenantStatus

PROBE_TIMEOUT_SECONDS = 0.5  # a socket or a statement: past it, the dependency counts as down
STATEMENT_TIMEOUT_MS = 500
# RQ renews a worker's key at least every worker_ttl (420 s by default) and lets it expire 60 s after that.
WORKER_HEARTBEAT_SECONDS = 480


@dataclass
class Check:
    ok: bool
    ms: float = 0.0
    detail: dict = field(default_factory=dict)


def probe_redis(app):
    """A Redis client of its own, with short timeouts (the app's waits as long as a job needs)."""
    client = app.extensions.get("probe_redis")
    if client is None:
        client = app.extensions["probe_redis"] = Redis.from_url(
            app.config["REDIS_URL"],
            socket_timeout=PROBE_TIMEOUT_SECONDS,
            socket_connect_timeout=PROBE_TIMEOUT_SECONDS,
            retry=Retry(NoBackoff(), 0),  # a probe asks once: a retry would only make "down" slower to say
        )
    return client


def _query(engine, statement):
    """One statement on its own connection, under a statement timeout (PostgreSQL); its first row."""
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            conn.exec_driver_sql(f"SET LOCAL statement_timeout = {STATEMENT_TIMEOUT_MS}")
        row = conn.execute(statement).first()
        conn.rollback()
        return row


def _timed(check):
    started = time.perf_counter()
    try:
        result = check()
    except Exception as error:  # a probe reports what failed, it never raises
        result = Check(False, detail={"error": f"{type(error).__name__}: {error}"[:200]})
    result.ms = round((time.perf_counter() - started) * 1000, 2)
    return result


def check_control_database():
    """The registry answers: the first active organization (its id, for the next check)."""
    row = _query(db.engine, sa.select(Tenant.id).where(Tenant.status == TenantStatus.ACTIVE).order_by(Tenant.id))
    return Check(True, detail={"first_active_tenant_id": row[0] if row else None})


def check_tenant_database(app, tenant_id):
    if tenant_id is None:
        return Check(True, detail={"tenant": None})  # no organization yet: nothing to fail
    engine = app.extensions["tenant_engines"].open_engine(tenant_id)
    if engine is None:
        tenant = db.session.get(Tenant, tenant_id)
        engine = engine_for(tenant.ref())
        db.session.rollback()
    _query(engine, sa.select(sa.literal(1)))
    return Check(True, detail={"tenant_id": tenant_id})


def check_redis_workers_and_queues(app):
    """One round trip for PING, the queues' lengths and the workers' keys; a second for their heartbeats."""
    client = probe_redis(app)
    queues = (get_queue(app), get_event_queue(app))
    with client.pipeline(transaction=False) as pipeline:
        pipeline.ping()
        for queue in queues:
            pipeline.llen(queue.key)
            pipeline.smembers(WORKERS_BY_QUEUE_KEY % queue.name)
        answers = pipeline.execute()
    depths = {queue.name: answers[1 + 2 * i] for i, queue in enumerate(queues)}
    worker_keys = {queue.name: sorted(answers[2 + 2 * i]) for i, queue in enumerate(queues)}
    with client.pipeline(transaction=False) as pipeline:
        for keys in worker_keys.values():
            for key in keys:
                pipeline.hget(key, "last_heartbeat")
        beats = iter(pipeline.execute())
    now = datetime.now(UTC)
    workers = {}
    for name, keys in worker_keys.items():
        workers[name] = sum(1 for _key in keys if _recent(next(beats), now))
    return depths, workers


def _recent(heartbeat, now):
    if not heartbeat:
        return False
    moment = utcparse(heartbeat.decode())
    return (now - moment).total_seconds() < WORKER_HEARTBEAT_SECONDS


def readiness(app):
    """(ready, {check: Check}) for this process, now."""
    checks = {"control_database": _timed(check_control_database)}
    tenant_id = checks["control_database"].detail.pop("first_active_tenant_id", None)
    checks["tenant_database"] = _timed(lambda: check_tenant_database(app, tenant_id))
    started = time.perf_counter()
    try:
        depths, workers = check_redis_workers_and_queues(app)
    except Exception as error:
        failed = Check(False, detail={"error": f"{type(error).__name__}: {error}"[:200]})
        checks.update(redis=failed, workers=failed, queues=failed)
    else:
        limit = app.config["READY_MAX_QUEUE"]
        checks["redis"] = Check(True)
        checks["workers"] = Check(all(workers.values()), detail={"alive": workers})
        checks["queues"] = Check(all(depth < limit for depth in depths.values()), detail={"depth": depths})
    redis_ms = round((time.perf_counter() - started) * 1000, 2)
    for name in ("redis", "workers", "queues"):
        checks[name].ms = redis_ms
    return all(check.ok for check in checks.values()), checks
