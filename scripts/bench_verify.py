"""Verification benchmark: the public verify endpoint and page, warm (issue 13: p95 under 20 ms).

    python -m scripts.bench_verify [--certificates 1000] [--requests 2000]

One SQLite tenant with `--certificates` certificates (and as many issuance-log entries); a real Redis for the
cache and the rate limit. Requests go through the WSGI app in-process, one at a time, each for a random code
(warm: every code was asked once before); the last line printed is the figures as JSON.
"""

import argparse
import json
import os
import random
import statistics
import tempfile
import time

from flask_migrate import upgrade as upgrade_control_plane

from app import CONTROL_MIGRATIONS, create_app
from app.extensions import db
from app.jobs import redis_connection
from app.tenancy.context import tenant_context
from app.tenancy.provisioning import provision_tenant
from blueprints.courses.models import Course
from blueprints.users.models import User
from config import Config
from tests.support.certificate_rows import certificate_row
from tests.support.services import RedisServer


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


def seed(count):
    """A course, `count` learners, each with a certificate (a third of them public); their codes."""
    course = Course(title="Bench course", slug="bench-course", status="published")
    db.session.add(course)
    db.session.flush()
    codes = []
    for number in range(count):
        user = User(email=f"learner{number}@bench.example", first_name="Learner", last_name=str(number), role="student")
        db.session.add(user)
        db.session.flush()
        certificate = certificate_row(course.id, user.id, holder_name=f"Learner {number}", is_public=number % 3 == 0)
        codes.append(certificate.code)
    return codes


def measure(client, host, paths):
    latencies, cpu = [], []
    for path in paths:
        started, started_cpu = time.perf_counter(), time.process_time()
        response = client.get(path, headers={"Host": host})
        latencies.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
        if response.status_code != 200:
            raise RuntimeError(f"{path}: {response.status_code}")
    return {
        "requests": len(paths),
        "p50_ms": round(statistics.median(latencies), 2),
        "p95_ms": round(percentile(latencies, 0.95), 2),
        "max_ms": round(max(latencies), 2),
        # this process's CPU per request: what the wall time would be without the neighbours on a busy machine
        "cpu_p50_ms": round(statistics.median(cpu), 2),
        "cpu_p95_ms": round(percentile(cpu, 0.95), 2),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--certificates", type=int, default=1000)
    parser.add_argument("--requests", type=int, default=2000)
    args = parser.parse_args()
    redis = RedisServer()
    try:
        app = create_app(
            Config,
            INSTANCE_DIR=tempfile.mkdtemp(prefix="tessera-bench-verify-"),
            REDIS_URL=redis.url,
            LMS_BASE_DOMAIN="localhost:5000",
            RATELIMIT_VERIFY="1000000 per minute",
        )
        with app.app_context():
            upgrade_control_plane(directory=str(CONTROL_MIGRATIONS))
            tenant = provision_tenant("benchverify", "Bench Academy", "admin@bench.example", "bench-password-123")
            tenant = tenant.tenant.ref()
        with tenant_context(tenant, app):
            codes = seed(args.certificates)
        client, host = app.test_client(), "benchverify.localhost:5000"
        rng = random.Random(13)
        warm_up = [f"/api/v1/verify/{code}" for code in codes]
        measure(client, host, warm_up)  # every code once: the cache holds them all
        results = {"certificates": args.certificates}
        for label, prefix in (("api", "/api/v1/verify/"), ("page", "/verify/")):
            paths = [f"{prefix}{rng.choice(codes)}" for _ in range(args.requests)]
            results[label] = measure(client, host, paths)
        cold = [f"/api/v1/verify/{code.lower()}" for code in codes[: min(200, len(codes))]]
        with app.app_context():
            redis_connection().flushdb()  # the cache and the rate-limit counters: every code read anew
        results["api_cold_cache"] = measure(client, host, cold)
    finally:
        redis.stop()
    print(f"Verification of {args.certificates} certificates (in-process WSGI, one thread, SQLite, Redis cache):")
    for label in ("api", "page", "api_cold_cache"):
        figures = results[label]
        print(
            f"  {label:<15} p50 {figures['p50_ms']} ms   p95 {figures['p95_ms']} ms   "
            f"(CPU p50 {figures['cpu_p50_ms']}, p95 {figures['cpu_p95_ms']} ms; {figures['requests']} requests)"
        )
    print(f"  load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(json.dumps(results))


if __name__ == "__main__":
    main()
