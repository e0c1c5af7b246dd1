"""Report benchmark: a `course_completion` report of a generated organization, in CSV and in XLSX.

    python -m scripts.bench_reports [--rows 200000] [--backend sqlite|postgres] [--formats csv,xlsx]

The organization has `rows` active enrollments (2 000 learners per course, 5 items a course, 0 to 5 of them done
by each learner, a fifth of them due). Each report is made by the job function (`generate_report`) in a process
of its own, which prints its wall time and its peak RSS (`resource.getrusage`), and how much of that peak the
job added to the process it ran in (the app and its imports come first).

`bench(rows, backend, redis_url, pg_url=None, formats=("csv", "xlsx"))` returns the figures as a dict (part
"bench" calls it); `seed_enrollments(app, tenant, rows)` fills an organization.
"""

import argparse
import contextlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
from flask_migrate import upgrade as upgrade_control_plane

from app import CONTROL_MIGRATIONS, create_app
from app.extensions import db
from app.jobs import ready_for_jobs
from app.security.permissions import ORG_ADMIN, STUDENT
from app.tenancy.context import tenant_context
from app.tenancy.models import utcnow
from app.tenancy.provisioning import provision_tenant
from app.tenancy.resolution import find_active_tenant
from blueprints.courses.models import ContentItem, Course, CourseModule
from blueprints.learning.models import Enrollment, ItemProgress
from blueprints.reports.generation import generate_report
from blueprints.reports.models import Report
from blueprints.users.models import User
from config import Config

LEARNERS_PER_COURSE = 2000
ITEMS_PER_COURSE = 5
BATCH = 10_000


def _insert(table, rows):
    for start in range(0, len(rows), BATCH):
        db.session.execute(sa.insert(table), rows[start : start + BATCH])


def seed_enrollments(app, tenant, rows):
    """`rows` active enrollments in `rows / 2000` courses of 5 items, with progress; returns the org admin's id."""
    courses = max(1, rows // LEARNERS_PER_COURSE)
    learners = min(rows, LEARNERS_PER_COURSE)
    now = utcnow()
    with tenant_context(tenant, app):
        _insert(
            User,
            [
                {
                    "email": f"learner{n}@example.org",
                    "first_name": f"First{n}",
                    "last_name": f"Last{n}",
                    "role": STUDENT,
                }
                for n in range(learners)
            ],
        )
        user_ids = db.session.scalars(sa.select(User.id).where(User.role == STUDENT).order_by(User.id)).all()
        enrollment_rows, item_ids = [], {}
        for number in range(courses):
            course = Course(title=f"Course {number}", slug=f"course-{number}", status="published")
            db.session.add(course)
            db.session.flush()
            module = CourseModule(course_id=course.id, title="Module", position=0)
            db.session.add(module)
            db.session.flush()
            items = [
                ContentItem(course_id=course.id, module_id=module.id, kind="text", title=f"Item {i}", position=i)
                for i in range(ITEMS_PER_COURSE)
            ]
            db.session.add_all(items)
            db.session.flush()
            item_ids[course.id] = [item.id for item in items]
            for index in range(rows // courses if number < courses - 1 else rows - (rows // courses) * number):
                user_id = user_ids[index % learners]
                done = (index + number) % (ITEMS_PER_COURSE + 1)
                enrollment_rows.append(
                    {
                        "course_id": course.id,
                        "user_id": user_id,
                        "status": "active",
                        "enrolled_at": now - timedelta(days=30),
                        "due_at": now - timedelta(days=index % 20) if index % 5 == 0 else None,
                        "completed_at": now - timedelta(days=1) if done == ITEMS_PER_COURSE else None,
                        "seconds_spent": 60 * done,
                    }
                )
        _insert(Enrollment, enrollment_rows)
        enrollments = db.session.execute(sa.select(Enrollment.id, Enrollment.course_id).order_by(Enrollment.id)).all()
        progress = []
        for position, (enrollment_id, course_id) in enumerate(enrollments):
            done = position % (ITEMS_PER_COURSE + 1)
            progress.extend(
                {"enrollment_id": enrollment_id, "item_id": item_id, "completed_at": now}
                for item_id in item_ids[course_id][:done]
            )
        _insert(ItemProgress, progress)
        db.session.commit()
        if db.session.get_bind(mapper=sa.inspect(Enrollment)).dialect.name == "postgresql":
            # a bulk load leaves the planner without statistics until autovacuum comes by; a real database has them
            with db.session.get_bind(mapper=sa.inspect(Enrollment)).connect() as connection:
                connection.execute(sa.text("ANALYZE"))
                connection.commit()
        return db.session.scalar(sa.select(User.id).where(User.role == ORG_ADMIN))


def _status_kb(field):
    """A figure of /proc/self/status in kB (Linux), or 0."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _cpu_seconds():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _reset_peak_rss():
    """Start VmHWM afresh (Linux: `5` to clear_refs), so that the peak is the job's, not the app's start-up."""
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def worker_main(settings_path, format):
    """In the subprocess: one report made by the job function; prints its figures as JSON."""
    settings = json.loads(Path(settings_path).read_text())
    app = create_app(Config, **settings["config"])
    ready_for_jobs(app)  # as `flask worker` does
    with app.app_context():
        tenant = find_active_tenant(settings["slug"])
    with tenant_context(tenant, app):
        report = Report(kind="course_completion", format=format, params={}, requested_by_id=settings["admin_id"])
        db.session.add(report)
        db.session.commit()
        report_id = report.id
    before_kb = _status_kb("VmRSS")
    _reset_peak_rss()
    started, cpu_started = time.perf_counter(), _cpu_seconds()
    with tenant_context(tenant, app):
        generate_report(report_id)
    elapsed, cpu = time.perf_counter() - started, _cpu_seconds() - cpu_started
    peak_kb = _status_kb("VmHWM") or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with tenant_context(tenant, app):
        report = db.session.get(Report, report_id)
        result = {
            "format": format,
            "status": report.status,
            "error": report.error,
            "rows": report.rows_total,
            "seconds": round(elapsed, 2),
            "cpu_seconds": round(cpu, 2),  # of this process: what the wall time is on an idle core
            "rows_per_second": round(report.rows_total / elapsed) if elapsed and report.rows_total else None,
            "file_mb": round((report.file_size or 0) / 1024 / 1024, 1),
            "rss_before_mb": round(before_kb / 1024, 1),
            "peak_rss_mb": round(peak_kb / 1024, 1),
            "rss_added_by_job_mb": round((peak_kb - before_kb) / 1024, 1),
        }
    print(json.dumps(result))


def prepare(backend, rows, redis_url, pg_url=None):
    workdir = Path(tempfile.mkdtemp(prefix="tessera-report-bench-"))
    config = {
        "INSTANCE_DIR": str(workdir / "instance"),
        "REDIS_URL": redis_url,
        "RQ_QUEUE": f"bench-{os.getpid()}",
        "LMS_BASE_DOMAIN": "localhost:5000",
    }
    if backend == "postgres":
        engine = sa.create_engine(f"{pg_url}/postgres", isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(sa.text('CREATE DATABASE "bench_control"'))
        engine.dispose()
        config["CONTROL_DATABASE_URL"] = f"{pg_url}/bench_control"
        config["TENANT_DATABASE_URL_TEMPLATE"] = f"{pg_url}/bench_t_{{slug}}"
    app = create_app(Config, **config)
    with app.app_context():
        upgrade_control_plane(directory=str(CONTROL_MIGRATIONS))
        tenant = provision_tenant("bench", "Bench", "admin@example.org", "bench-admin-password").tenant.ref()
    started = time.perf_counter()
    admin_id = seed_enrollments(app, tenant, rows)
    seeded = time.perf_counter() - started
    settings_path = workdir / "settings.json"
    settings_path.write_text(json.dumps({"config": config, "slug": "bench", "admin_id": admin_id}))
    return settings_path, seeded


def run_report(settings_path, format):
    output = subprocess.run(
        [sys.executable, "-m", "scripts.bench_reports", "--worker", str(settings_path), format],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(output.stdout.strip().splitlines()[-1])


def bench(rows, backend, redis_url, pg_url=None, formats=("csv", "xlsx")):
    """Seed an organization of `rows` enrollments, then make the report in each format; the figures as a dict."""
    settings_path, seeded = prepare(backend, rows, redis_url, pg_url)
    results = {"rows": rows, "backend": backend, "seed_seconds": round(seeded, 1)}
    for format in formats:
        results[format] = run_report(settings_path, format)
    return results


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        worker_main(sys.argv[2], sys.argv[3])
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--formats", default="csv,xlsx")
    args = parser.parse_args()
    # The --worker process runs this module too: the test services stay out of its memory.
    from tests.support.services import PostgresServer, RedisServer  # noqa: PLC0415 (keeps the worker's RSS honest)

    redis = RedisServer()
    postgres = PostgresServer() if args.backend == "postgres" else None
    try:
        result = bench(
            args.rows, args.backend, redis.url, postgres.url if postgres else None, tuple(args.formats.split(","))
        )
    finally:
        redis.stop()
        if postgres:
            postgres.stop()
    for format in args.formats.split(","):
        f = result[format]
        print(
            f"course_completion, {result['rows']} rows on {result['backend']}, {format}: {f['seconds']} s "
            f"(CPU {f['cpu_seconds']} s) "
            f"({f['rows_per_second']} rows/s), {f['file_mb']} MB, peak RSS {f['peak_rss_mb']} MB "
            f"(+{f['rss_added_by_job_mb']} MB by the job) [{f['status']}]"
        )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
