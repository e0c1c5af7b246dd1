"""Analytics benchmark (issue 14, "Speed"): one organization of 50 000 learners, 200 courses, 1 000 000 progress rows.

    python -m scripts.bench_analytics [--backend sqlite|postgres] [--learners 50000] [--progress 1000000]
                                      [--requests 200] [--other-requests 100]

Generates the organization (`scripts/analytics_data.py`), rebuilds the read model (timed), then measures through
the WSGI app in-process, one request at a time: `GET /api/v1/analytics/overview` as org admin, branch manager and
teacher (p50, p95, SQL statements per request), every other analytics endpoint and the `/analytics` page as org
admin (p95), and a `course_completion` report of the whole organization (a row per active enrollment: about 240 000)
in CSV and in XLSX, each run by the report job in a worker process of its own (wall time, peak RSS).

Targets: overview p95 < 200 ms, any dashboard < 300 ms, each report < 20 s with the worker < 200 MB. The last
line printed is the JSON of every figure (also saved as bench-results/analytics-<backend>.json).
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa

from app.extensions import db
from app.tenancy.context import tenant_context
from app.tenancy.models import utcnow
from blueprints.analytics import readmodel
from blueprints.auth.services import access_token_for
from blueprints.learning.models import Enrollment
from blueprints.reports.models import Report
from blueprints.users.models import User
from scripts.analytics_data import PASSWORD, analyze, fresh_tenant, generate
from scripts.bench_autosave_path import StatementCounter
from tests.support.services import PostgresServer, RedisServer

ROOT = Path(__file__).resolve().parents[1]
TARGETS_MS = {"overview": 200, "dashboard": 300}
REPORT_TARGET_SECONDS, WORKER_TARGET_MB = 20, 200


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


def timed(client, path, headers, count, counter):
    """`count` GETs after one warm-up; p50/p95 in ms and the SQL statements of one request."""
    first = client.get(path, headers=headers)
    if first.status_code != 200:
        raise RuntimeError(f"GET {path}: {first.status_code} {first.get_data(as_text=True)[:300]}")
    counter.statements.clear()
    counter.on = True
    client.get(path, headers=headers)
    counter.on = False
    statements = len(counter.statements)
    latencies = []
    cpu = time.process_time()
    for _ in range(count):
        started = time.perf_counter()
        client.get(path, headers=headers)
        latencies.append((time.perf_counter() - started) * 1000)
    return {
        "requests": count,
        "p50_ms": round(statistics.median(latencies), 1),
        "p95_ms": round(percentile(latencies, 0.95), 1),
        # this process's CPU per request: the app's, and on SQLite the database's too (what an idle core takes)
        "cpu_ms": round((time.process_time() - cpu) * 1000 / count, 1),
        "statements": statements,
        "bytes": len(first.get_data()),
    }


def rebuild_read_model():
    started = time.perf_counter()
    result = readmodel.rebuild()
    seconds = time.perf_counter() - started
    analyze()  # the read model's statistics, as autovacuum would take them after such a change
    return {
        "seconds": round(seconds, 1),
        "analytics_enrollments": result.enrollments,
        "analytics_days": result.days,
    }


def run_report(app, tenant, client, headers, settings_path, kind, fmt, params):
    """Queue the report through the API, run the job in a worker process, read the report's row."""
    response = client.post("/api/v1/reports", headers=headers, json={"kind": kind, "format": fmt, "params": params})
    if response.status_code != 202:
        raise RuntimeError(f"POST /api/v1/reports: {response.status_code} {response.get_data(as_text=True)[:300]}")
    report_id = response.get_json()["data"]["id"]
    started = time.perf_counter()
    output = subprocess.run(
        [sys.executable, "-m", "scripts.bench_report_worker", str(settings_path)],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    wall = time.perf_counter() - started
    worker = json.loads(output.stdout.strip().splitlines()[-1])
    with tenant_context(tenant, app):
        report = db.session.get(Report, report_id)
        result = {
            "format": fmt,
            "status": report.status,
            "rows": report.rows_done,
            "file_mb": round((report.file_size or 0) / 1024 / 1024, 1),
            "job_seconds": round((report.finished_at - report.started_at).total_seconds(), 1)
            if report.finished_at and report.started_at
            else None,
            "worker_seconds": worker["seconds"],
            "worker_cpu_seconds": worker["cpu_seconds"],
            "process_seconds": round(wall, 1),
            "peak_rss_mb": worker["peak_rss_mb"],
            "rss_at_start_mb": worker["rss_at_start_mb"],
            "error": report.error,
        }
    if result["status"] != "done":
        raise RuntimeError(f"the {fmt} report ended {result['status']}: {result['error']}\n{output.stderr[-2000:]}")
    return result


def people(app, tenant, data):
    """Tokens of the org admin, the first branch's manager and the teacher of the first courses; an admin page
    session."""
    with tenant_context(tenant, app):
        admin_id = db.session.scalar(sa.select(User.id).where(User.email == "admin@example.org"))
        tokens = {
            "org_admin": access_token_for(admin_id, ("org_admin",), tenant),
            "branch_manager": access_token_for(data.manager_ids[0], ("branch_manager",), tenant),
            "teacher": access_token_for(data.teacher_ids[0], ("teacher",), tenant),
        }
    return tokens


def bench(backend, args, redis_url, postgres_url=None):
    """One run in a scratch directory, removed afterwards (the SQLite database alone is 850 MB)."""
    workdir = Path(tempfile.mkdtemp(prefix="tessera-analytics-bench-"))
    try:
        return _bench_in(workdir, backend, args, redis_url, postgres_url)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _bench_in(workdir, backend, args, redis_url, postgres_url):
    # tokens that outlive the run (a run on PostgreSQL takes longer than the default 15 minutes)
    config = {"RQ_QUEUE": f"analytics-bench-{os.getpid()}", "REPORT_KEEP_DAYS": 1, "JWT_ACCESS_TOKEN_MINUTES": 600}
    with fresh_tenant(backend, workdir, redis_url, postgres_url, **config) as (app, tenant, settings):
        results = {"backend": backend, "load_before": os.getloadavg()}
        with tenant_context(tenant, app):
            data = generate(args.learners, args.progress, args.courses)
        results["generated"] = data.counts | {"seconds": data.seconds}
        print(f"  generated in {data.seconds} s: {data.counts}", flush=True)
        with tenant_context(tenant, app):
            results["rebuild"] = rebuild_read_model()
            results["active_enrollments"] = db.session.scalar(
                sa.select(sa.func.count(Enrollment.id)).where(Enrollment.status == "active")
            )
        print(f"  read model rebuilt in {results['rebuild']['seconds']} s", flush=True)

        host = {"Host": f"{tenant.slug}.localhost:5000"}
        tokens = people(app, tenant, data)
        client = app.test_client()
        counter = StatementCounter()
        auth = {role: host | {"Authorization": f"Bearer {token}"} for role, token in tokens.items()}
        results["overview"] = {}
        for role, headers in auth.items():
            results["overview"][role] = timed(client, "/api/v1/analytics/overview", headers, args.requests, counter)
            print(f"  overview as {role}: {results['overview'][role]}", flush=True)
        course = data.course_ids[0]
        endpoints = {
            "engagement": "/api/v1/analytics/engagement",
            "users": "/api/v1/analytics/users?figure=at_risk",
            "courses": "/api/v1/analytics/courses",
            "assessments": "/api/v1/analytics/assessments",
            "performance": "/api/v1/analytics/performance",
            "course": f"/api/v1/courses/{course}/analytics",
            "overview 365 days": "/api/v1/analytics/overview?date_from="
            + (utcnow().date() - timedelta(days=365)).isoformat(),
        }
        results["endpoints"] = {}
        for name, path in endpoints.items():
            results["endpoints"][name] = timed(client, path, auth["org_admin"], args.other_requests, counter)
            print(f"  {name}: {results['endpoints'][name]}", flush=True)
        page = app.test_client()
        signed_in = page.post("/login", headers=host, data={"email": "admin@example.org", "password": PASSWORD})
        if signed_in.status_code != 302:
            raise RuntimeError(f"sign-in failed: {signed_in.status_code}")
        if page.get("/analytics", headers=host).status_code == 404:
            print("  the /analytics page is not there (part pages not merged): not measured", flush=True)
        else:
            # the page, then what it asks for once it is there (htmx panels), and a course's page
            pages = {
                "page /analytics": "/analytics",
                "its panel branches and classes": "/analytics/panels/performance",
                "its panel quizzes": "/analytics/panels/quizzes",
                "its panel learners at risk": "/analytics/panels/at-risk",
                "page of a course": f"/analytics/courses/{course}",
            }
            for name, path in pages.items():
                panel = {**host, "HX-Request": "true"} if "/panels/" in path else host
                results["endpoints"][name] = timed(page, path, panel, args.other_requests, counter)
                print(f"  {name}: {results['endpoints'][name]}", flush=True)

        results["reports"] = []
        if args.skip_reports:
            results["load_after"] = os.getloadavg()
            return results
        settings_path = workdir / "worker.json"
        settings_path.write_text(json.dumps(settings))
        # course_completion has a row per active enrollment (no period): the whole organization's, about 240 000
        results["reports"] = [
            run_report(app, tenant, client, auth["org_admin"], settings_path, "course_completion", fmt, {})
            for fmt in ("csv", "xlsx")
        ]
        results["load_after"] = os.getloadavg()
    return results


def verdict(value, target):
    return "ok" if value is not None and value < target else "MISSED"


def print_result(result):
    backend = result["backend"]
    print(f"\nAnalytics on {backend} (load before {result['load_before']}, after {result['load_after']})")
    generated = result["generated"]
    print(
        f"  generated {generated['learners']} learners, {generated['courses']} courses, "
        f"{generated['enrollments']} enrollments, {generated['item_progress']} progress rows "
        f"in {generated['seconds']} s"
    )
    rebuild = result["rebuild"]
    print(
        f"  read model rebuilt in {rebuild['seconds']} s ({rebuild['analytics_enrollments']} enrollment rows, "
        f"{rebuild['analytics_days']} day rows)"
    )
    print(f"  {'request':<34} {'p50 ms':>8} {'p95 ms':>8} {'CPU ms':>8} {'SQL':>5} {'target':>8}")
    for role, figures in result["overview"].items():
        target = TARGETS_MS["overview"]
        print(
            f"  {'overview as ' + role:<34} {figures['p50_ms']:>8} {figures['p95_ms']:>8} {figures['cpu_ms']:>8}"
            f" {figures['statements']:>5}"
            f" {'<' + str(target):>8} {verdict(figures['p95_ms'], target)}"
        )
    for name, figures in result["endpoints"].items():
        target = TARGETS_MS["dashboard"]
        print(
            f"  {name:<34} {figures['p50_ms']:>8} {figures['p95_ms']:>8} {figures['cpu_ms']:>8}"
            f" {figures['statements']:>5}"
            f" {'<' + str(target):>8} {verdict(figures['p95_ms'], target)}"
        )
    for report in result["reports"]:
        print(
            f"  course_completion {report['format']:<5} {report['rows']} rows, {report['file_mb']} MB: "
            f"job {report['job_seconds']} s (CPU {report['worker_cpu_seconds']} s; worker process "
            f"{report['process_seconds']} s) "
            f"{verdict(report['job_seconds'], REPORT_TARGET_SECONDS)}; peak RSS {report['peak_rss_mb']} MB "
            f"(at start {report['rss_at_start_mb']} MB) {verdict(report['peak_rss_mb'], WORKER_TARGET_MB)}"
        )


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--learners", type=int, default=50_000)
    parser.add_argument("--progress", type=int, default=1_000_000)
    parser.add_argument("--courses", type=int, default=200)
    parser.add_argument("--requests", type=int, default=200, help="overview requests per role")
    parser.add_argument("--other-requests", type=int, default=100, help="requests of each other endpoint")
    parser.add_argument("--skip-reports", action="store_true", help="the dashboards only (no report job)")
    args = parser.parse_args()
    print(f"Analytics benchmark on {args.backend}: {args.learners} learners, {args.progress} progress rows", flush=True)
    redis = RedisServer()
    postgres = PostgresServer() if args.backend == "postgres" else None
    try:
        result = bench(args.backend, args, redis.url, postgres.url if postgres else None)
    finally:
        redis.stop()
        if postgres:
            postgres.stop()
    print_result(result)
    out = ROOT / "bench-results"
    out.mkdir(exist_ok=True)
    (out / f"analytics-{args.backend}.json").write_text(json.dumps(result, indent=2))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
