"""Background jobs on RQ, always run inside the tenant that enqueued them.

    enqueue(current_tenant, "blueprints.imports.jobs.run_import", import_id)

The job carries the tenant's slug, not its database URL; the worker looks the tenant up in the
registry, enters its context, and the job re-loads everything it touches from that tenant's database.
"""

import importlib
import time
from functools import cache

from flask import current_app, has_app_context
from redis import Redis
from rq import Queue, Retry, SimpleWorker
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus, get_current_job
from rq.utils import now
from rq.worker import WorkerStatus
from sqlalchemy import select

from app.extensions import db
from app.observability.jobs import observed_job
from app.observability.request_id import current_request_id
from app.tenancy.context import require_tenant, tenant_context
from app.tenancy.models import Tenant, TenantStatus
from app.tenancy.resolution import tenant_cache


def redis_connection(app=None):
    app = app or current_app
    connection = app.extensions.get("redis")
    if connection is None:
        connection = app.extensions["redis"] = Redis.from_url(app.config["REDIS_URL"])
    return connection


def get_queue(app=None):
    app = app or current_app
    return Queue(app.config["RQ_QUEUE"], connection=redis_connection(app))


def get_event_queue(app=None):
    """Event deliveries: short jobs, on a queue of their own (`flask worker --events`), so that a long
    import never delays them and they do not pay a fork each."""
    app = app or current_app
    return Queue(f"{app.config['RQ_QUEUE']}-events", connection=redis_connection(app))


def ready_for_jobs(app):
    """Ready `app` to run jobs in this process (`flask worker`, and the benchmarks' stand-ins for it, right after
    they create it): its SQLite files read without a memory map (`TENANT_SQLITE_MMAP_BYTES` is for every other
    process). A job reads most pages once (an import, a report), where a map saves little, and mapped pages count
    in the process's memory (RSS) although the system's file cache holds them either way: a worker's peak memory
    stays its own (README: under 200 MB for a 100 000-row import and a 239 397-row report)."""
    app.extensions["tenant_engines"].read_without_memory_map()


class EventWorker(SimpleWorker):
    """The worker of the event queue (`flask worker --events`): RQ's SimpleWorker (no fork per job), with
    5 Redis round trips per job instead of 27.

    A delivery is a few milliseconds of work. Around each job RQ 3.0 sends its worker heartbeat three times
    (three commands, one round trip each), writes "idle" twice, writes the job's heartbeat just before
    recording its end, and WATCHes and reads the job's dependents. On a busy machine every round trip waits
    for redis-server to be scheduled, so these, not the deliveries, set the pace. Here:
    - the heartbeat goes in one round trip, and only when the worker's key would not outlive the next
      blocking dequeue (its TTL is never shortened while a job runs: that only matters for a forked horse);
    - a state already written is not written again; the job's end is recorded without a heartbeat first;
    - success, and the worker's return to "idle", are recorded in one pipeline, without the dependents: the
      event queue holds deliveries only, and no job depends on one (a job with repeats or a rate limit
      takes RQ's own path);
    - `rq suspend` is checked once a second rather than before every job.
    Jobs, executions, registries and retries are RQ's: a killed worker's jobs are found as before."""

    HEARTBEAT_SLACK_SECONDS = 10  # a skipped heartbeat leaves the worker's key at least its TTL - this
    SUSPENSION_CHECK_SECONDS = 1.0  # `rq suspend` is seen within this, not before every job

    _alive_until = 0.0  # time.monotonic() until which the worker's key is known to exist
    _suspension_checked_at = None

    def check_for_suspension(self, burst):
        moment = time.monotonic()
        if self._suspension_checked_at is None or moment - self._suspension_checked_at >= self.SUSPENSION_CHECK_SECONDS:
            super().check_for_suspension(burst)
            self._suspension_checked_at = moment

    def heartbeat(self, timeout=None, pipeline=None):
        ttl = max(timeout or 0, self.worker_ttl + 60)
        moment = time.monotonic()
        if pipeline is not None:
            super().heartbeat(ttl, pipeline)
        elif self._alive_until - moment >= ttl - self.HEARTBEAT_SLACK_SECONDS:
            return
        else:
            with self.connection.pipeline(transaction=False) as own:
                super().heartbeat(ttl, own)
                own.execute()
        self._alive_until = moment + ttl

    def set_state(self, state, pipeline=None):
        if pipeline is None and state == self.get_state():
            return
        super().set_state(state, pipeline)

    def handle_execution_ended(self, job, queue, heartbeat_ttl):
        job.ended_at = now()

    def handle_job_success(self, job, queue, started_job_registry, execution):
        if job.repeats_left or job.has_rate_limit:
            return super().handle_job_success(job, queue, started_job_registry, execution)
        with self.connection.pipeline() as pipeline:
            self.increment_successful_job_count(pipeline=pipeline)
            self.increment_total_working_time(job.ended_at - job.started_at, pipeline)
            result_ttl = job.get_result_ttl(self.default_result_ttl)
            if result_ttl != 0:
                job._handle_success(
                    result_ttl,
                    pipeline=pipeline,
                    worker_name=self.name,
                    execution_id=execution.id,
                    execution_started_at=execution.created_at,
                    execution_ended_at=job.ended_at,
                )
            job.cleanup(result_ttl, pipeline=pipeline, remove_from_queue=False)
            job._status = JobStatus.FINISHED
            self.cleanup_execution(job, pipeline=pipeline, execution=execution)
            self.set_state(WorkerStatus.IDLE, pipeline=pipeline)  # rather than in a round trip of its own next
            pipeline.execute()
        return None


def _dotted(func):
    if isinstance(func, str):
        return func
    return f"{func.__module__}.{func.__qualname__}"


def _job_meta(tenant, request_id=...):
    """What a job carries besides its arguments: its tenant, and the id of the request (or job) that queued it
    (`request_id`: the one it stands for, None too), so that the job's log lines join the request's."""
    return {
        "tenant": tenant.slug if tenant else None,
        "request_id": current_request_id() if request_id is ... else request_id,
    }


def enqueue(tenant, func, *args, retries=3, timeout=600, **kwargs):
    """Queue `func(*args, **kwargs)` to run inside `tenant` (None: platform work, in an app context only);
    returns the RQ job."""
    where = (run_in_tenant, tenant.slug) if tenant else (run_in_platform,)
    return get_queue().enqueue(
        *where,
        _dotted(func),
        *args,
        job_timeout=timeout,
        retry=Retry(max=retries, interval=[5, 30, 120][:retries]) if retries else None,
        meta=_job_meta(tenant),
        **kwargs,
    )


def enqueue_many(tenant, func, calls, *, queue=None, retry=None, timeout=600, result_ttl=500, request_ids=None):
    """Queue `func(*args)` for each tuple of `calls` in one round trip, inside `tenant` (None: the platform,
    in an app context only). `request_ids`, one per call (None for all: the current one), is the request each
    job runs under: an event's delivery runs under the request that emitted the event (none for a command's)."""
    if not calls:
        return []
    queue = queue or get_queue()
    entry = run_in_tenant if tenant else run_in_platform
    prefix = (tenant.slug, _dotted(func)) if tenant else (_dotted(func),)
    metas = [_job_meta(tenant, request_id) for request_id in request_ids or [...] * len(calls)]
    return queue.enqueue_many(
        [
            Queue.prepare_data(
                entry, args=(*prefix, *args), timeout=timeout, retry=retry, meta=meta, result_ttl=result_ttl
            )
            for args, meta in zip(calls, metas, strict=True)
        ]
    )


def _resolve(dotted):
    module_name, _, attribute = dotted.rpartition(".")
    return getattr(importlib.import_module(module_name), attribute)


@cache
def _standalone_app():
    from app import create_app  # noqa: PLC0415 - a genuine cycle: the factory imports the CLI, which imports this

    return create_app()


def _app():
    """The running app (a worker started by `flask worker`), or one built once for a bare `rq worker`."""
    if has_app_context():
        return current_app._get_current_object()
    return _standalone_app()


TENANT_RECHECK_SECONDS = 5.0


def _status_of(app, slug):
    with app.app_context():
        return db.session.scalar(select(Tenant.status).where(Tenant.slug == slug))


def _active_tenant(app, slug):
    """The active tenant `slug` (a TenantRef) or None, looked up in the registry at most every
    `TENANT_RECHECK_SECONDS` per worker process: a registry query per job cost as much as a delivery's work.
    A tenant suspended or archived meanwhile stops running jobs within those seconds (at once when this
    process made the change). The cache is the one requests use (app/tenancy/resolution.py)."""
    cache = tenant_cache(app)
    tenant = cache.cached(slug, TENANT_RECHECK_SECONDS)
    if tenant is None:
        with app.app_context():
            tenant = cache.load(slug)
    return tenant


MAINTENANCE_RETRY_SECONDS = 30  # the Retry-After of a request to an organization in maintenance


class TenantInMaintenance(RuntimeError):
    """The job's organization is being moved or restored: the job runs again later, its retries untouched."""


def _retry_after_maintenance(job):
    """Give `job` one more retry, MAINTENANCE_RETRY_SECONDS from now, before its own: RQ schedules it again when
    the entry point raises (the worker's scheduler queues it then), under the same job id, and the retries it had
    for real failures, with their intervals, stay as they were."""
    left = job.retries_left or 0
    intervals = list(job.retry_intervals or [0])
    # RQ picks the interval at index len(intervals) - retries_left (rq.job.Job.get_retry_interval)
    own = [intervals[max(len(intervals) - k, 0)] for k in range(left, 0, -1)]
    job.retry_intervals = [MAINTENANCE_RETRY_SECONDS, *own]
    job.retries_left = left + 1


def run_in_tenant(tenant_slug, dotted, *args, **kwargs):
    """The RQ entry point: find the tenant, enter its context, run the job function."""

    app = _app()
    with observed_job(dotted, tenant_slug):
        tenant = _active_tenant(app, tenant_slug)
        if tenant is None:
            job = get_current_job()
            if job is not None and _status_of(app, tenant_slug) == TenantStatus.MAINTENANCE:
                _retry_after_maintenance(job)
                raise TenantInMaintenance(
                    f"Tenant {tenant_slug!r} is in maintenance; job {dotted} runs again in "
                    f"{MAINTENANCE_RETRY_SECONDS} s."
                )
            raise LookupError(f"Tenant {tenant_slug!r} is not active; job {dotted} not run.")
        func = _resolve(dotted)
        with tenant_context(tenant, app):
            return func(*args, **kwargs)


def run_in_platform(dotted, *args, **kwargs):
    """The RQ entry point of platform work (no organization): run the job function in an app context."""
    with _app().app_context(), observed_job(dotted):
        return _resolve(dotted)(*args, **kwargs)


# --- long runs that resume (the people import, the roster sync) ------------------------------------------------


def run_lock(kind, record_id):
    """Held by the run of a long job over a record (`kind`: "import", "roster"), extended after each batch; it
    expires if the run dies, so that the record's next request resumes it."""
    key = f"{current_app.config['RQ_QUEUE']}:{kind}-lock:{require_tenant().slug}:{record_id}"
    return redis_connection().lock(key, timeout=current_app.config["IMPORT_LOCK_SECONDS"])


def run_is_alive(kind, record):
    """Whether a run of the record is under way (its lock held) or still waiting in the queue (`rq_job_id`)."""
    if run_lock(kind, record.id).locked():
        return True
    if record.rq_job_id:
        try:
            job = Job.fetch(record.rq_job_id, connection=redis_connection())
        except NoSuchJobError:
            return False
        return job.get_status() in (JobStatus.QUEUED, JobStatus.SCHEDULED, JobStatus.DEFERRED)
    return False
