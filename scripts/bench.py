"""`make bench`: performance figures, printed (and saved under bench-results/). Not a test.

Tenancy: provision N SQLite tenants (default 1 000), then GET /api/v1/organizations/{id}
spread evenly over all of them (SQLite engines kept: the app's TENANT_SQLITE_ENGINE_LRU_SIZE, or --lru), against the
same endpoint on one tenant, called by one person and by N people (the spread's requests each come from another
person as well, so the second baseline differs from the spread by the organizations alone).

    python -m scripts.bench [--tenants 1000] [--requests 5000]
"""

import argparse
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from flask_migrate import upgrade as upgrade_control_plane

from app import CONTROL_MIGRATIONS, create_app
from app.extensions import db
from app.security.passwords import hash_password
from app.tenancy import databases
from app.tenancy.context import tenant_context
from app.tenancy.provisioning import _migrate_new_database, provision_tenant
from blueprints.auth.services import access_token_for
from blueprints.users.models import User
from config import Config
from scripts import bench_http_path
from tests.support.services import RedisServer  # rate limits and sign-in lockout live in Redis

ROOT = Path(__file__).resolve().parents[1]


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


def measure_requests(client, plan):
    """Run (host, path, token) requests in order; returns requests/s and latencies in ms."""
    latencies = []
    started = time.perf_counter()
    for host, path, token in plan:
        begin = time.perf_counter()
        response = client.get(path, headers={"Host": host, "Authorization": f"Bearer {token}"})
        latencies.append((time.perf_counter() - begin) * 1000)
        if response.status_code != 200:
            raise RuntimeError(f"{host}{path}: {response.status_code} {response.get_data(as_text=True)[:200]}")
    elapsed = time.perf_counter() - started
    return {
        "requests": len(plan),
        "requests_per_second": round(len(plan) / elapsed, 1),
        "p50_ms": round(statistics.median(latencies), 2),
        "p95_ms": round(percentile(latencies, 0.95), 2),
    }


def bench_tenancy(tenant_count, request_count, lru_size, redis_url, migrate_each=False):
    """With `migrate_each`, every organization runs every migration (about a second each: 1 000 take a quarter of
    an hour); by default they are copied from one migrated database, as the tests provision, since what is
    measured is the requests spread over them."""
    instance = tempfile.mkdtemp(prefix="tessera-bench-")
    template = None if migrate_each else f"sqlite:///{instance}/template.db"
    app = create_app(
        Config,
        INSTANCE_DIR=instance,
        **({} if lru_size is None else {"TENANT_SQLITE_ENGINE_LRU_SIZE": lru_size}),
        LMS_BASE_DOMAIN="localhost:5000",
        REDIS_URL=redis_url,
        RATELIMIT_AUTHENTICATED="1000000 per minute",
        TENANT_DATABASE_TEMPLATE=template,
    )
    with app.app_context():
        upgrade_control_plane(directory=str(CONTROL_MIGRATIONS))
        if template:
            databases.create_database(template)
            _migrate_new_database(template)

        hash_samples = []
        for _ in range(5):
            begin = time.perf_counter()
            hash_password("bench-password-123")
            hash_samples.append(time.perf_counter() - begin)
        argon2_seconds = statistics.median(hash_samples)

        tenants = []
        started = time.perf_counter()
        for number in range(tenant_count):
            # copied from the template, the admin is invited (no password): 1 000 Argon2id hashes at production
            # cost were most of the time; the hash is measured and printed apart above
            result = provision_tenant(
                f"bench{number:04d}",
                f"Bench {number}",
                "admin@example.org",
                None if template else "bench-password-123",
                invite=bool(template),
            )
            tenants.append(result.tenant.ref())
            if (number + 1) % 100 == 0:
                print(f"  provisioned {number + 1}/{tenant_count}", flush=True)
        provision_seconds = time.perf_counter() - started
        tokens = {}
        for tenant in tenants:
            with tenant_context(tenant, app):
                tokens[tenant.id] = access_token_for(1, ("org_admin",), tenant)
        # As many people in the first organization as there are organizations, each signed in: the spread's
        # requests each come from another person too (another rate-limit key, another kept principal), so this
        # is the baseline that differs from it by the organizations alone.
        with tenant_context(tenants[0], app):
            people = [User(email=f"admin{n}@example.org", role="org_admin") for n in range(tenant_count)]
            db.session.add_all(people)
            db.session.commit()
            people_tokens = [access_token_for(person.id, ("org_admin",), tenants[0]) for person in people]

    def plan_for(chosen):
        return [
            (f"{tenant.slug}.localhost:5000", f"/api/v1/organizations/{tenant.id}", tokens[tenant.id])
            for tenant in chosen
        ]

    client = app.test_client()
    single = tenants[0]
    measure_requests(client, plan_for([single] * 200))  # warm-up
    one_tenant = measure_requests(client, plan_for([single] * request_count))

    def people_plan(chosen):
        return [(f"{single.slug}.localhost:5000", f"/api/v1/organizations/{single.id}", token) for token in chosen]

    measure_requests(client, people_plan(people_tokens))  # each person's first request: their principal is read
    people_order = [people_tokens[i % tenant_count] for i in range(request_count)]
    random.Random(8).shuffle(people_order)
    many_people = measure_requests(client, people_plan(people_order))

    rng = random.Random(7)

    # Warmed as the one tenant is: a first request to each organization opens its database (SQLite parses the
    # whole schema then), once per process while its engine is kept; printed apart, the spread is the steady state.
    first_touch = measure_requests(client, plan_for(tenants))
    spread_order = [tenants[i % tenant_count] for i in range(request_count)]
    rng.shuffle(spread_order)
    spread = measure_requests(client, plan_for(spread_order))
    registry = app.extensions["tenant_engines"]

    per_tenant = provision_seconds / tenant_count
    return {
        "tenants": tenant_count,
        "provisioned_from": "a migrated template" if template else "every migration each",
        "provision_seconds_total": round(provision_seconds, 1),
        "provision_seconds_per_tenant": round(per_tenant, 3),
        "argon2id_hash_seconds": round(argon2_seconds, 3),
        "provision_seconds_per_tenant_without_hash": round(per_tenant - (0 if template else argon2_seconds), 3),
        "engine_lru_size": app.config["TENANT_SQLITE_ENGINE_LRU_SIZE"],
        "engines_disposed": registry.disposed,
        "one_tenant": one_tenant,
        "first_request_to_each_tenant": first_touch,
        "spread_over_all_tenants": spread,
        "one_tenant_as_many_people": many_people,
        "throughput_cost_percent": round(
            100 * (1 - spread["requests_per_second"] / one_tenant["requests_per_second"]), 1
        ),
        "throughput_cost_percent_against_as_many_people": round(
            100 * (1 - spread["requests_per_second"] / many_people["requests_per_second"]), 1
        ),
        "instance_dir": instance,
    }


def print_tenancy(result):
    print()
    print(
        f"Provisioning {result['tenants']} SQLite tenants ({result['provisioned_from']}): "
        f"{result['provision_seconds_total']} s, {result['provision_seconds_per_tenant']} s per tenant"
    )
    print(
        f"  Argon2id hash of an admin password: {result['argon2id_hash_seconds']} s (in each provisioning that sets "
        f"one; invited admins have none); everything else: {result['provision_seconds_per_tenant_without_hash']} s "
        "per tenant"
    )
    print(f"GET /api/v1/organizations/{{id}} (in-process WSGI, one thread, engine LRU {result['engine_lru_size']}):")
    for label, key in (
        ("one tenant", "one_tenant"),
        (f"one tenant, {result['tenants']} people", "one_tenant_as_many_people"),
        ("first request to each", "first_request_to_each_tenant"),
        (f"spread over {result['tenants']}", "spread_over_all_tenants"),
    ):
        figures = result[key]
        print(
            f"  {label:<22} {figures['requests_per_second']:>8} req/s   p50 {figures['p50_ms']} ms   "
            f"p95 {figures['p95_ms']} ms   ({figures['requests']} requests)"
        )
    print(
        f"  spreading costs {result['throughput_cost_percent']} % throughput against one person of one tenant, "
        f"{result['throughput_cost_percent_against_as_many_people']} % against as many people of one tenant "
        f"(the organizations' own cost); {result['engines_disposed']} engines were evicted and disposed"
    )


def main():  # noqa: PLR0912 (one branch per benchmark)
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tenants", type=int, default=1000)
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--lru", type=int, default=None, help="SQLite tenant engines kept open (the app's default)")
    parser.add_argument("--migrate-each", action="store_true", help="provision every tenant through every migration")
    parser.add_argument("--import-rows", type=int, default=100_000)
    parser.add_argument(
        "--only",
        choices=[
            "tenancy",
            "imports",
            "courses",
            "events",
            "assessments",
            "quizload",
            "certificates",
            "verify",
            "analytics",
            "announcements",
            "notificationmail",
            "roster",
            "webhooks",
            "http",
            "ops",
        ],
        help="Run one benchmark only.",
    )
    args = parser.parse_args()
    out = ROOT / "bench-results"
    out.mkdir(exist_ok=True)

    if args.only in (None, "tenancy"):
        print(f"Tenancy benchmark: {args.tenants} tenants, {args.requests} requests per run")

        redis = RedisServer()
        try:
            result = bench_tenancy(args.tenants, args.requests, args.lru, redis.url, args.migrate_each)
        finally:
            redis.stop()
        print_tenancy(result)
        (out / "tenancy.json").write_text(json.dumps(result, indent=2))
    if args.only in (None, "imports"):
        run_import_benchmarks(args.import_rows, out)
    if args.only in (None, "courses"):
        run_course_benchmark(out)
    if args.only in (None, "events"):
        run_event_benchmark(out)
    if args.only in (None, "assessments"):
        run_assessment_benchmark(out)
    if args.only in (None, "quizload"):
        run_quiz_load_benchmark(out)
    if args.only in (None, "certificates"):
        run_certificate_benchmark(out)
    if args.only in (None, "verify"):
        run_verify_benchmark(out)
    if args.only in (None, "analytics"):
        run_analytics_benchmark()
    if args.only in (None, "announcements"):
        run_announcement_benchmark()
    if args.only in (None, "notificationmail"):
        run_notification_mail_benchmark(out)
    if args.only in (None, "roster"):
        run_roster_benchmark(out)
    if args.only in (None, "webhooks"):
        run_webhook_benchmark(out)
    if args.only in (None, "http"):
        print("\nThe request path over HTTP (scripts/bench_http_path.py):")
        (out / "http_path.json").write_text(json.dumps(bench_http_path.main([]), indent=2))
    if args.only in (None, "ops"):
        run_ops_benchmark(out)
    print(f"\nFigures saved under {out}")


def run_course_benchmark(out):
    """Progress table of 2 000 learners x 100 items; dashboard and player of a learner in 50 courses."""
    output = (
        subprocess.run([sys.executable, "-m", "scripts.bench_courses"], capture_output=True, text=True, check=True)
        .stdout.strip()
        .splitlines()
    )
    print("\n".join(output[:-1]))
    (out / "courses.json").write_text(output[-1])


def run_event_benchmark(out):
    """Event committed -> subscriber done (idle worker), and 10 000 events delivered by 2 event workers."""
    command = [sys.executable, "-m", "scripts.bench_events", "--events", "10000", "--workers", "2"]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout.strip().splitlines()
    print("\n".join(output[:-1]))
    (out / "events.json").write_text(output[-1])


def run_webhook_benchmark(out):
    """10 000 events fanned out to 3 webhook subscriptions, delivered to a local receiver by 2 event workers."""
    command = [sys.executable, "-m", "scripts.bench_webhooks", "--events", "10000", "--subscriptions", "3"]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout.strip().splitlines()
    print("\n".join(output[:-1]))
    (out / "webhooks.json").write_text(output[-1])


def run_assessment_benchmark(out):
    """Item analysis of 10 000 attempts x 50 questions: the computation alone and the refresh from SQLite."""
    command = [sys.executable, "-m", "scripts.bench_assessments"]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout.strip().splitlines()
    print("\n".join(output[:-1]))
    (out / "assessments.json").write_text(output[-1])


def run_quiz_load_benchmark(out):
    """A class of 500 takes a timed 20-question quiz against gunicorn on PostgreSQL; the ceiling of submits."""
    command = [sys.executable, "-m", "scripts.bench_quiz_load"]
    completed = subprocess.run(command, capture_output=True, text=True, check=False)
    output = completed.stdout.strip().splitlines()
    print("\n".join(output[:-1]))
    (out / "quizload.json").write_text(output[-1] if output else "{}")
    if completed.returncode:
        raise RuntimeError(f"the quiz load benchmark failed its checks:\n{completed.stderr[-2000:]}")


def run_certificate_benchmark(out):
    """One certificate PDF (fonts, background, QR); 1 000 certificates issued, signed and stored on 2 workers."""
    command = [sys.executable, "-m", "scripts.bench_certificates", "--learners", "1000", "--workers", "2"]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout.strip().splitlines()
    print("\n".join(output[:-1]))
    (out / "certificates.json").write_text(output[-1])


def run_verify_benchmark(out):
    """The public certificate verification (API and page), warm, over 1 000 certificates: p95 under 20 ms."""
    command = [sys.executable, "-m", "scripts.bench_verify"]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout.strip().splitlines()
    print("\n".join(output[:-1]))
    (out / "verify.json").write_text(output[-1])


def run_analytics_benchmark():
    """50 000 learners, 1 000 000 progress rows: dashboards' p95 and 240 000-row reports, SQLite and PostgreSQL.
    Each run saves its own bench-results/analytics-<backend>.json."""
    for backend in ("sqlite", "postgres"):
        command = [sys.executable, "-m", "scripts.bench_analytics", "--backend", backend]
        output = subprocess.run(command, capture_output=True, text=True, check=True).stdout.strip().splitlines()
        print("\n".join(output[:-1]))


def run_announcement_benchmark():
    """An announcement to 10 000 people: its in-app rows in under 10 s, SQLite and PostgreSQL. Each run saves its
    own bench-results/announcements-<backend>.json."""
    for backend in ("sqlite", "postgres"):
        command = [sys.executable, "-m", "scripts.bench_announcements", "--backend", backend]
        output = subprocess.run(command, capture_output=True, text=True, check=True).stdout.strip().splitlines()
        print("\n".join(output[:-1]))


def run_notification_mail_benchmark(out):
    """10 000 notification e-mails sent by 2 workers to a local SMTP server, SQLite and PostgreSQL: 50/s or more."""
    results = []
    for backend in ("sqlite", "postgres"):
        command = [sys.executable, "-m", "scripts.bench_notification_mail", "--backend", backend]
        output = subprocess.run(command, capture_output=True, text=True, check=True).stdout.strip().splitlines()
        print("\n".join(output[:-1]))
        results.append(json.loads(output[-1]))
    (out / "notification-mail.json").write_text(json.dumps(results, indent=2))


def run_import_benchmarks(rows, out):
    """People imports: `rows` rows on SQLite and PostgreSQL, and 1 000 rows with passwords."""
    results = []
    for extra in (["--backend", "sqlite"], ["--backend", "postgres"], ["--rows", "1000", "--passwords"]):
        command = [sys.executable, "-m", "scripts.bench_imports", "--rows", str(rows), *extra]
        output = subprocess.run(command, capture_output=True, text=True, check=True).stdout.strip().splitlines()
        print("\n".join(output[:-1]))
        results.append(json.loads(output[-1]))
    (out / "imports.json").write_text(json.dumps(results, indent=2))


def run_roster_benchmark(out):
    """A OneRoster district (100 000 users, 4 000 classes, 1 000 000 enrollments) synced on SQLite and PostgreSQL:
    the commit under 60 s / 90 s, the worker under 300 MB."""
    results = []
    for backend in ("sqlite", "postgres"):
        command = [sys.executable, "-m", "scripts.bench_roster", "--backend", backend]
        output = subprocess.run(command, capture_output=True, text=True, check=True).stdout.strip().splitlines()
        print("\n".join(output[:-1]))
        results.append(json.loads(output[-1]))
    (out / "roster.json").write_text(json.dumps(results, indent=2))


def run_ops_benchmark(out):
    """/readyz latency (target under 50 ms) on SQLite and PostgreSQL, and the request path's CPU with and without
    the observability hooks (request id, JSON line, metrics)."""
    results = []
    for backend in ("sqlite", "postgres"):
        command = [sys.executable, "-m", "scripts.bench_ops", "--backend", backend]
        output = subprocess.run(command, capture_output=True, text=True, check=True).stdout.strip().splitlines()
        print("\n".join(output[:-1]))
        results.append(json.loads(output[-1]))
    (out / "ops.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
