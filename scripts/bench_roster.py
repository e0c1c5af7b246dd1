"""Roster sync benchmark: a generated OneRoster 1.2 district (100 000 users, 4 000 classes, 1 000 000 enrollments),
dry run then commit, each in a worker subprocess whose peak RSS is its own.

    python -m scripts.bench_roster [--users 100000] [--classes 4000] [--enrollments 1000000]
                                   [--backend sqlite|postgres]

Targets (issue 16): the commit under 60 s on SQLite, under 90 s on PostgreSQL, the worker under 300 MB.
"""

import argparse
import csv
import io
import json
import os
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import sqlalchemy as sa
from flask_migrate import upgrade as upgrade_control_plane
from rq import SimpleWorker

from app import CONTROL_MIGRATIONS, create_app
from app.extensions import db
from app.jobs import get_queue, ready_for_jobs, redis_connection
from app.tenancy.context import tenant_context
from app.tenancy.provisioning import provision_tenant
from app.tenancy.resolution import find_active_tenant
from blueprints.integrations.models import Integration, RosterSync
from blueprints.integrations.roster_sync import start_sync
from config import Config

SCHOOLS = 40
STAMP = "2025-07-01T12:00:00.000Z"


def _table(archive, name, header, rows):
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    archive.writestr(name, buffer.getvalue())


def generate_zip(path, users, classes, enrollments):
    """A district: SCHOOLS schools, one school year, classes spread over the schools, one teacher per class
    (teachers first), students enrolled in classes of their own school until `enrollments` is reached."""
    teachers = min(classes, users // 10)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        manifest = [("manifest.version", "1.0"), ("oneroster.version", "1.2")]
        for key in ("academicSessions", "classes", "courses", "enrollments", "orgs", "roles", "users"):
            manifest.append((f"file.{key}", "bulk"))
        _table(archive, "manifest.csv", ("propertyName", "value"), manifest)
        orgs = [("d-1", "active", STAMP, "District", "district", "D1", "")]
        orgs += [(f"s-{n}", "active", STAMP, f"School {n}", "school", f"S{n}", "d-1") for n in range(SCHOOLS)]
        _table(
            archive,
            "orgs.csv",
            ("sourcedId", "status", "dateLastModified", "name", "type", "identifier", "parentSourcedId"),
            orgs,
        )
        _table(
            archive,
            "academicSessions.csv",
            (
                "sourcedId",
                "status",
                "dateLastModified",
                "title",
                "type",
                "startDate",
                "endDate",
                "parentSourcedId",
                "schoolYear",
            ),
            [("y-2026", "active", STAMP, "2025-2026", "schoolYear", "2025-08-15", "2026-06-20", "", "2026")],
        )
        _table(
            archive,
            "courses.csv",
            ("sourcedId", "status", "dateLastModified", "title", "orgSourcedId"),
            [(f"co-{n}", "active", STAMP, f"Course {n}", f"s-{n}") for n in range(SCHOOLS)],
        )
        _table(
            archive,
            "classes.csv",
            (
                "sourcedId",
                "status",
                "dateLastModified",
                "title",
                "courseSourcedId",
                "classType",
                "schoolSourcedId",
                "termSourcedIds",
            ),
            [
                (
                    f"c-{n}",
                    "active",
                    STAMP,
                    f"Class {n}",
                    f"co-{n % SCHOOLS}",
                    "scheduled",
                    f"s-{n % SCHOOLS}",
                    "y-2026",
                )
                for n in range(classes)
            ],
        )
        header = (
            "sourcedId",
            "status",
            "dateLastModified",
            "enabledUser",
            "username",
            "givenName",
            "familyName",
            "email",
        )
        _table(
            archive,
            "users.csv",
            header,
            (
                (f"u-{n}", "active", STAMP, "true", f"u{n}", f"First{n}", f"Last{n}", f"u{n}@district.example")
                for n in range(users)
            ),
        )
        _table(
            archive,
            "roles.csv",
            ("sourcedId", "status", "dateLastModified", "userSourcedId", "roleType", "role", "orgSourcedId"),
            (
                (
                    f"r-{n}",
                    "active",
                    STAMP,
                    f"u-{n}",
                    "primary",
                    "teacher" if n < teachers else "student",
                    f"s-{n % SCHOOLS}",
                )
                for n in range(users)
            ),
        )
        per_school = max(classes // SCHOOLS, 1)
        students = max(users - teachers, 1)
        per_student = max((enrollments - teachers) // students, 1)
        extra = max(enrollments - teachers - per_student * students, 0)  # one more for the first `extra` students

        def rows():
            count = 0
            for n in range(teachers):
                yield (f"e-t{n}", "active", STAMP, f"c-{n}", f"s-{n % SCHOOLS}", f"u-{n}", "teacher")
                count += 1
            for n in range(teachers, users):
                school = n % SCHOOLS
                for k in range(per_student + (1 if n - teachers < extra else 0)):
                    if count >= enrollments:
                        return
                    klass = school + SCHOOLS * ((n // SCHOOLS + k) % per_school)
                    yield (f"e-{n}-{k}", "active", STAMP, f"c-{klass}", f"s-{school}", f"u-{n}", "student")
                    count += 1

        _table(
            archive,
            "enrollments.csv",
            ("sourcedId", "status", "dateLastModified", "classSourcedId", "schoolSourcedId", "userSourcedId", "role"),
            rows(),
        )


def _memory_mb(field):
    """This process's VmRSS or VmHWM (its peak) in MB. Not getrusage's ru_maxrss: Linux keeps that across exec,
    so a worker started from a big parent would report the parent's size."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    return 0.0


def worker_main(config_path, phase):
    settings = json.loads(Path(config_path).read_text())
    app = create_app(Config, **settings["config"])
    ready_for_jobs(app)  # as `flask worker` does
    started_mb = _memory_mb("VmRSS")
    with app.app_context():
        tenant = find_active_tenant(settings["slug"])
    with tenant_context(tenant, app):
        integration = db.session.get(Integration, settings["integration_id"])
        with open(settings["zip"], "rb") as stream:
            sync_id = start_sync(integration, stream, "district.zip", phase, None).id
    started = time.perf_counter()
    with app.app_context():
        SimpleWorker([get_queue()], connection=redis_connection()).work(burst=True)
    elapsed = time.perf_counter() - started
    with tenant_context(tenant, app):
        record = db.session.get(RosterSync, sync_id)
        result = {
            "status": record.status,
            "rows": record.processed_rows,
            "counts": record.counts,
            "seconds": round(elapsed, 2),
            "error": record.error_message,
            "app_rss_mb": round(started_mb, 1),  # the worker with the app loaded, before the sync
            "peak_rss_mb": round(_memory_mb("VmHWM"), 1),  # the worker's own peak
        }
    print(json.dumps(result))


def prepare(backend, args, redis_url, pg_url):
    workdir = Path(tempfile.mkdtemp(prefix="tessera-roster-bench-"))
    config = {
        "INSTANCE_DIR": str(workdir / "instance"),
        "REDIS_URL": redis_url,
        "RQ_QUEUE": f"bench-{os.getpid()}",
        "LMS_BASE_DOMAIN": "localhost:5000",
        "ROSTER_BATCH_SIZE": args.batch,
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
    with tenant_context(tenant, app):
        integration = Integration(kind="oneroster", name="District SIS", settings={"processing": "bulk"})
        db.session.add(integration)
        db.session.commit()
        integration_id = integration.id
    zip_path = workdir / "district.zip"
    started = time.perf_counter()
    generate_zip(zip_path, args.users, args.classes, args.enrollments)
    print(
        f"generated {zip_path.stat().st_size / 1e6:.1f} MB zip in {time.perf_counter() - started:.1f} s",
        file=sys.stderr,
    )
    settings_path = workdir / "settings.json"
    settings_path.write_text(
        json.dumps({"config": config, "slug": "bench", "zip": str(zip_path), "integration_id": integration_id})
    )
    return settings_path


def run_phase(settings_path, phase):
    output = subprocess.run(
        [sys.executable, "-m", "scripts.bench_roster", "--worker", str(settings_path), phase],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(output.stdout.strip().splitlines()[-1])


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        worker_main(sys.argv[2], sys.argv[3])
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--classes", type=int, default=4_000)
    parser.add_argument("--enrollments", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=10_000)
    parser.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--phases", default="dry_run,commit")
    args = parser.parse_args()
    from tests.support.services import PostgresServer, RedisServer  # noqa: PLC0415 (keeps the worker's RSS honest)

    redis = RedisServer()
    postgres = PostgresServer() if args.backend == "postgres" else None
    try:
        settings_path = prepare(args.backend, args, redis.url, postgres.url if postgres else None)
        result = {
            "backend": args.backend,
            "users": args.users,
            "classes": args.classes,
            "enrollments": args.enrollments,
        }
        for phase in args.phases.split(","):
            result[phase] = run_phase(settings_path, phase)
    finally:
        redis.stop()
        if postgres:
            postgres.stop()
    for phase in args.phases.split(","):
        f = result[phase]
        print(
            f"Roster {phase} on {args.backend}: {f['seconds']} s, peak worker RSS {f['peak_rss_mb']} MB, {f['status']}"
        )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
