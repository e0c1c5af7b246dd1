"""Background jobs on RQ, always run inside the tenant that enqueued them.

    enqueue(current_tenant, "blueprints.imports.jobs.run_import", import_id)

The job carries the tenant's slug, not its database URL; the worker looks the tenant up in the
registry, enters its context, and the job re-loads everything it touches from that tenant's database.
"""

import importlib
from functools import cache

from flask import current_app, has_app_context
from redis import Redis
from rq import Queue, Retry

from app.tenancy.context import tenant_context
from app.tenancy.resolution import find_active_tenant


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


def _dotted(func):
    if isinstance(func, str):
        return func
    return f"{func.__module__}.{func.__qualname__}"


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
        meta={"tenant": tenant.slug if tenant else None},
        **kwargs,
    )


def enqueue_many(tenant, func, calls, *, queue=None, retry=None, timeout=600, result_ttl=500):
    """Queue `func(*args)` for each tuple of `calls` in one round trip, inside `tenant` (None: the platform,
    in an app context only)."""
    if not calls:
        return []
    queue = queue or get_queue()
    entry = run_in_tenant if tenant else run_in_platform
    prefix = (tenant.slug, _dotted(func)) if tenant else (_dotted(func),)
    meta = {"tenant": tenant.slug if tenant else None}
    return queue.enqueue_many(
        [
            Queue.prepare_data(
                entry, args=(*prefix, *args), timeout=timeout, retry=retry, meta=meta, result_ttl=result_ttl
            )
            for args in calls
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


def run_in_tenant(tenant_slug, dotted, *args, **kwargs):
    """The RQ entry point: find the tenant, enter its context, run the job function."""

    app = _app()
    with app.app_context():
        tenant = find_active_tenant(tenant_slug)
    if tenant is None:
        raise LookupError(f"Tenant {tenant_slug!r} is not active; job {dotted} not run.")
    func = _resolve(dotted)
    with tenant_context(tenant, app):
        return func(*args, **kwargs)


def run_in_platform(dotted, *args, **kwargs):
    """The RQ entry point of platform work (no organization): run the job function in an app context."""
    with _app().app_context():
        return _resolve(dotted)(*args, **kwargs)
