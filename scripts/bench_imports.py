"""Import benchmark: a generated people CSV, dry run then commit, in a worker subprocess.

    python -m scripts.bench_imports [--rows 100000] [--backend sqlite|postgres] [--passwords]

Each phase runs in its own process (RQ SimpleWorker, burst) so that its peak memory is its own.
"""

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
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
from blueprints.branches.models import Branch
from blueprints.branches.scope import BranchScope
from blueprints.classes.models import SchoolClass
from blueprints.imports.models import UserImport
from blueprints.imports.services import start_import
from config import Config

BRANCHES = 5
CLASSES_PER_BRANCH = 20


def generate_csv(path, rows, with_passwords=False):
    rng = random.Random(42)
    with open(path, "w", encoding="utf-8") as out:
        out.write("email,first_name,last_name,role,branch,classes,external_id,password\n")
        for number in range(rows):
            branch = number % BRANCHES
            classes = "|".join(f"Class {branch}-{c}" for c in rng.sample(range(CLASSES_PER_BRANCH), 2))
            role = "teacher" if number % 25 == 0 else "student"
            password = f"bench-passphrase-{number}" if with_passwords else ""
            out.write(
                f"person{number}@example.org,First{number},Last{number},{role},b{branch},{classes},"
                f"EXT-{number},{password}\n"
            )


def worker_main(config_path, phase):
    """In the subprocess: create the tenant's data if asked, run one import phase, print figures."""
    settings = json.loads(Path(config_path).read_text())
    app = create_app(Config, **settings["config"])
    ready_for_jobs(app)  # as `flask worker` does
    with app.app_context():
        tenant = find_active_tenant(settings["slug"])
    with tenant_context(tenant, app):
        with open(settings["csv"], "rb") as stream:
            record = start_import(stream, "bench.csv", phase, False, None, BranchScope(None))
        import_id = record.id
    started = time.perf_counter()
    with app.app_context():
        SimpleWorker([get_queue()], connection=redis_connection()).work(burst=True)
    elapsed = time.perf_counter() - started
    with tenant_context(tenant, app):
        record = db.session.get(UserImport, import_id)
        result = {
            "status": record.status,
            "rows": record.processed_rows,
            "created": record.created_count,
            "updated": record.updated_count,
            "unchanged": record.unchanged_count,
            "invalid": record.invalid_count,
            "seconds": round(elapsed, 2),
            "error": record.error_message,
        }
    print(json.dumps(result))


def prepare(backend, rows, with_passwords, redis_url, pg_url):
    workdir = Path(tempfile.mkdtemp(prefix="tessera-import-bench-"))
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
    with tenant_context(tenant, app):
        for b in range(BRANCHES):
            branch = Branch(code=f"b{b}", name=f"Branch {b}", settings={})
            db.session.add(branch)
            db.session.flush()
            for c in range(CLASSES_PER_BRANCH):
                db.session.add(SchoolClass(branch_id=branch.id, name=f"Class {b}-{c}"))
        db.session.commit()
    csv_path = workdir / "people.csv"
    generate_csv(csv_path, rows, with_passwords)
    settings_path = workdir / "settings.json"
    settings_path.write_text(json.dumps({"config": config, "slug": "bench", "csv": str(csv_path)}))
    return settings_path, csv_path


def run_phase(settings_path, phase):
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    output = subprocess.run(
        [sys.executable, "-m", "scripts.bench_imports", "--worker", str(settings_path), phase],
        capture_output=True,
        text=True,
        check=True,
    )
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    result = json.loads(output.stdout.strip().splitlines()[-1])
    # ru_maxrss of children is the largest child so far: phases run in increasing order of size.
    result["peak_rss_mb"] = round(max(peak_kb, before) / 1024, 1)
    return result


def bench(rows, backend, with_passwords, redis_url, pg_url=None):
    settings_path, csv_path = prepare(backend, rows, with_passwords, redis_url, pg_url)
    size_mb = csv_path.stat().st_size / 1024 / 1024
    results = {"rows": rows, "backend": backend, "passwords": with_passwords, "file_mb": round(size_mb, 1)}
    for phase in ("dry_run", "commit"):
        figures = run_phase(settings_path, phase)
        figures["rows_per_second"] = round(figures["rows"] / figures["seconds"]) if figures["seconds"] else None
        results[phase] = figures
    return results


def print_result(result):
    label = f"{result['rows']} rows on {result['backend']}" + (" with passwords" if result["passwords"] else "")
    print(f"Import of {label} ({result['file_mb']} MB):")
    for phase in ("dry_run", "commit"):
        f = result[phase]
        print(
            f"  {phase:<8} {f['seconds']:>7} s  {f['rows_per_second']:>7} rows/s  peak worker RSS {f['peak_rss_mb']} MB"
            f"  [{f['status']}: created {f['created']}, updated {f['updated']}, unchanged {f['unchanged']},"
            f" invalid {f['invalid']}]"
        )


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        worker_main(sys.argv[2], sys.argv[3])
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000, help="The last --rows wins.")
    parser.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--passwords", action="store_true")
    args = parser.parse_args()
    # The --worker process runs this module too and reports its peak memory: boto3 and aiosmtpd would add 10 MB.
    from tests.support.services import PostgresServer, RedisServer  # noqa: PLC0415 (keeps the worker's RSS honest)

    redis = RedisServer()
    postgres = PostgresServer() if args.backend == "postgres" else None
    try:
        result = bench(args.rows, args.backend, args.passwords, redis.url, postgres.url if postgres else None)
    finally:
        redis.stop()
        if postgres:
            postgres.stop()
    print_result(result)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
