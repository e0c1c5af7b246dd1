"""Backup, restore and move timings of one organization with N people (docs/operations.md, "Backups and moves").

    python -m scripts.bench_backups [--people 10000] [--files 20] [--backend sqlite|postgres]

PostgreSQL: two throw-away servers (tests/support/services.py), the organization on the first; the move goes to
the second. People are inserted in bulk (one password hash for all): the figures are the backup's, not the
insert's. Media: `--files` files of 256 KiB of random bytes in the organization's storage.
"""

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa
from flask_migrate import upgrade as upgrade_control_plane

from app import CONTROL_MIGRATIONS, create_app
from app.extensions import db
from app.security.passwords import hash_password
from app.storage import media_storage
from app.tenancy import backups, provisioning, restores, servers
from app.tenancy.context import tenant_context
from app.tenancy.provisioning import provision_tenant
from blueprints.users.models import User
from config import Config
from tests.support.services import PostgresServer, RedisServer


def add_people(tenant, app, count):
    password = hash_password("bench-password-123")
    rows = [
        {
            "email": f"person{n}@example.org",
            "first_name": f"First{n}",
            "last_name": f"Last{n}",
            "role": "student",
            "password_hash": password,
            "is_active": True,
            "external_id": f"EXT-{n}",
        }
        for n in range(count)
    ]
    with tenant_context(tenant, app):
        for start in range(0, count, 2000):
            db.session.execute(sa.insert(User), rows[start : start + 2000])
        db.session.commit()


def add_files(tenant, app, count):
    with app.app_context():
        root = media_storage().root / tenant.slug
    root.mkdir(parents=True, exist_ok=True)
    for n in range(count):
        (root / f"bench{n:04d}").write_bytes(os.urandom(256 * 1024))


def timed(label, results, call):
    started = time.perf_counter()
    value = call()
    results[label] = round(time.perf_counter() - started, 2)
    return value


def bench(backend, people, files):
    redis = RedisServer()
    pg = [PostgresServer(), PostgresServer()] if backend == "postgres" else []
    workdir = Path(tempfile.mkdtemp(prefix="tessera-backup-bench-"))
    try:
        config = {
            "INSTANCE_DIR": str(workdir / "instance"),
            "REDIS_URL": redis.url,
            "LMS_BASE_DOMAIN": "localhost",
            "TENANT_MAINTENANCE_GRACE_SECONDS": 0,  # one process: nothing else caches the organization
        }
        if pg:
            engine = sa.create_engine(f"{pg[0].url}/postgres", isolation_level="AUTOCOMMIT")
            with engine.connect() as conn:
                conn.execute(sa.text('CREATE DATABASE "bench_control"'))
            engine.dispose()
            config |= {
                "CONTROL_DATABASE_URL": f"{pg[0].url}/bench_control",
                "TENANT_DATABASE_URL_TEMPLATE": f"{pg[0].url}/bench_t_{{slug}}",
                "TENANT_DATABASE_SERVERS": f"first={pg[0].url},second={pg[1].url}",
            }
        app = create_app(Config, **config)
        results = {"backend": backend, "people": people, "files": files}
        with app.app_context():
            upgrade_control_plane(directory=str(CONTROL_MIGRATIONS))
            tenant = provision_tenant("bench", "Bench", "admin@example.org", "bench-admin-password").tenant.ref()
        add_people(tenant, app, people)
        add_files(tenant, app, files)
        with app.app_context():
            made = timed("backup_s", results, lambda: backups.backup_tenant(provisioning.get_tenant(tenant.id)))
            results["backup_mb"] = round(made.path.stat().st_size / 1024 / 1024, 1)
            timed("restore_as_new_s", results, lambda: restores.restore_tenant(made.path, "bench", as_slug="copy"))
            timed("restore_replace_s", results, lambda: restores.restore_tenant(made.path, "bench", replace=True))
            if pg:
                move = servers.move_tenant
                timed("move_s", results, lambda: move(provisioning.get_tenant_by_slug("bench"), "second"))
        return results
    finally:
        for server in pg:
            server.stop()
        redis.stop()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--files", type=int, default=20)
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite")
    args = parser.parse_args()
    print(json.dumps(bench(args.backend, args.people, args.files)))


if __name__ == "__main__":
    main()
