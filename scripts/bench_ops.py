"""Operations figures: `/readyz` latency, and the request path's CPU with and without the observability hooks.

    python -m scripts.bench_ops [--backend sqlite|postgres] [--probes 300] [--requests 2000]

1. `/readyz` (every check: the control database, one organization's database, Redis, the workers' heartbeats on
   both queues, the queue depths) on a throw-away Redis (and PostgreSQL with `--backend postgres`), with one
   organization and a registered worker on each queue, through the Flask test client (the server's time, no
   network): p50, p95 and max over `--probes` probes after 20 to warm up. Target: under 50 ms.
2. `GET /api/v1/auth/me` (an organization's API read with a bearer token) `--requests` times, CPU per request,
   alternately without the hooks of app/observability (the request id alone, as before them) and with them (a
   JSON line per request written to /dev/null, the Prometheus counters and histogram, SQL statements counted);
   best of 5 rounds each. Rate limits in memory, as scripts/bench_request_path.py.
Prints the figures and JSON on the last line.
"""

import argparse
import json
import os
import statistics
import tempfile
import time
from contextlib import redirect_stdout
from pathlib import Path

import sqlalchemy as sa
from flask_migrate import upgrade as upgrade_control_plane
from rq import Worker
from sqlalchemy.engine import Engine

from app import CONTROL_MIGRATIONS, create_app
from app.extensions import db
from app.jobs import get_event_queue, get_queue, redis_connection
from app.observability import requests as observed
from app.observability.request_id import assign_request_id, return_request_id
from app.observability.statements import _count_statement
from app.tenancy.context import tenant_context
from app.tenancy.provisioning import provision_tenant
from blueprints.auth.services import access_token_for
from blueprints.users.models import User
from config import TestConfig
from tests.support.services import PostgresServer, RedisServer

ME = "/api/v1/auth/me"


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


def build(work, redis_url, postgres_url):
    settings = {
        "INSTANCE_DIR": str(work),
        "REDIS_URL": redis_url,
        "RQ_QUEUE": f"bench-ops-{time.time_ns()}",
        "RATELIMIT_STORAGE_URI": "memory://",
        "TENANT_CACHE_SECONDS": 5,
        "LOG_FORMAT": "json",
    }
    if postgres_url:
        engine = sa.create_engine(f"{postgres_url}/postgres", isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.exec_driver_sql("CREATE DATABASE bench_ops_control")
        engine.dispose()
        settings["CONTROL_DATABASE_URL"] = f"{postgres_url}/bench_ops_control"
        settings["TENANT_DATABASE_URL_TEMPLATE"] = f"{postgres_url}/bench_ops_{{slug}}"
    else:
        (work / "tenants").mkdir()
        settings["CONTROL_DATABASE_URL"] = f"sqlite:///{work / 'control.db'}"
        settings["TENANT_DATABASE_URL_TEMPLATE"] = f"sqlite:///{work / 'tenants' / '{slug}.db'}"
    settings["SQLALCHEMY_DATABASE_URI"] = settings["CONTROL_DATABASE_URL"]
    app = create_app(TestConfig, **settings)
    with app.app_context():
        upgrade_control_plane(directory=str(CONTROL_MIGRATIONS))
        tenant = provision_tenant("bench", "Bench", "admin@example.org", "bench-admin-password-9").tenant.ref()
    with tenant_context(tenant, app):
        admin_id = db.session.scalar(sa.select(User.id).where(User.email == "admin@example.org"))
        token = access_token_for(admin_id, ("org_admin",), tenant)
    return app, token


def readiness_latency(app, probes):
    with app.app_context():
        workers = [Worker([queue], connection=redis_connection()) for queue in (get_queue(), get_event_queue())]
    for worker in workers:
        worker.register_birth()
    client = app.test_client()
    try:
        for _ in range(20):
            assert client.get("/readyz").status_code == 200
        latencies = []
        for _ in range(probes):
            started = time.perf_counter()
            response = client.get("/readyz")
            latencies.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, response.get_json()
    finally:
        for worker in workers:
            worker.register_death()
    return {
        "probes": probes,
        "p50_ms": round(statistics.median(latencies), 2),
        "p95_ms": round(percentile(latencies, 0.95), 2),
        "max_ms": round(max(latencies), 2),
    }


class Hooks:
    """The observability hooks in or out of the app (out: the request id alone, as before them)."""

    def __init__(self, app):
        self.app, self.on = app, True

    def set(self, on):
        if on == self.on:
            return
        before, after = self.app.before_request_funcs[None], self.app.after_request_funcs[None]
        swaps = (
            (before, observed.start_request, assign_request_id),
            (after, observed.finish_request, return_request_id),
        )
        for hooks, full, bare in swaps:
            old, new = (bare, full) if on else (full, bare)
            hooks[hooks.index(old)] = new
        (sa.event.listen if on else sa.event.remove)(Engine, "before_cursor_execute", _count_statement)
        self.on = on


def request_path_cpu(app, token, requests):
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}", "Host": f"bench.{app.config['LMS_BASE_DOMAIN']}"}
    hooks = Hooks(app)
    rounds = {False: [], True: []}
    try:
        for _ in range(200):
            client.get(ME, headers=headers)
        for _ in range(5):
            for on in (False, True):
                hooks.set(on)
                started = time.process_time()
                for _ in range(requests):
                    client.get(ME, headers=headers)
                rounds[on].append((time.process_time() - started) * 1000 / requests)
    finally:
        hooks.set(True)
    return {
        "requests": requests,
        "without_hooks_ms": round(min(rounds[False]), 3),
        "with_hooks_ms": round(min(rounds[True]), 3),
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--probes", type=int, default=300)
    parser.add_argument("--requests", type=int, default=2000)
    args = parser.parse_args()
    redis = RedisServer()
    postgres = PostgresServer() if args.backend == "postgres" else None
    try:
        # The app's log lines (one per request) go where production's go, not into the figures.
        with tempfile.TemporaryDirectory() as workdir, open(os.devnull, "w") as sink, redirect_stdout(sink):
            app, token = build(Path(workdir), redis.url, postgres.url if postgres else None)
            ready = readiness_latency(app, args.probes)
            cpu = request_path_cpu(app, token, args.requests)
    finally:
        if postgres:
            postgres.stop()
        redis.stop()
    print(
        f"/readyz ({args.backend}): p50 {ready['p50_ms']} ms, p95 {ready['p95_ms']} ms, max {ready['max_ms']} ms "
        f"over {ready['probes']} probes (target: under 50 ms)"
    )
    print(
        f"GET {ME}: {cpu['without_hooks_ms']} ms CPU per request without the observability hooks, "
        f"{cpu['with_hooks_ms']} ms with them (JSON line, metrics, statement count)"
    )
    print(json.dumps({"backend": args.backend, "readyz": ready, "request_path": cpu}))


if __name__ == "__main__":
    main()
