"""The fixed cost of a request: server CPU per authenticated API read, through the Flask test client.

    python -m scripts.bench_request_path [--requests 2000] [--tenant-cache-seconds 5] [--redis-url redis://...]

SQLite files in a temporary directory, one organization and one API token; rate limits in memory, or
on the Redis of `--redis-url` (their round trips then count). Repeats `GET /api/v1/auth/me` (resolution
of the organization, the token's person and sign-in, a small view) and prints the CPU milliseconds per
request, best of 3.
"""

import argparse
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa
from flask_migrate import upgrade as upgrade_control_plane

from app import CONTROL_MIGRATIONS, create_app
from app.extensions import db
from app.tenancy.context import tenant_context
from app.tenancy.provisioning import provision_tenant
from blueprints.auth.services import access_token_for
from blueprints.users.models import User
from config import TestConfig


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--tenant-cache-seconds", type=float, default=5)
    parser.add_argument("--redis-url", help="rate limits on this Redis rather than in memory")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as workdir:
        work = Path(workdir)
        (work / "tenants").mkdir()
        app = create_app(
            TestConfig,
            INSTANCE_DIR=str(work),
            CONTROL_DATABASE_URL=f"sqlite:///{work / 'control.db'}",
            SQLALCHEMY_DATABASE_URI=f"sqlite:///{work / 'control.db'}",
            TENANT_DATABASE_URL_TEMPLATE=f"sqlite:///{work / 'tenants' / '{slug}.db'}",
            RATELIMIT_STORAGE_URI=args.redis_url or "memory://",
            RQ_QUEUE=f"bench-{time.time_ns()}",  # its own rate-limit counters
            TENANT_CACHE_SECONDS=args.tenant_cache_seconds,
        )
        with app.app_context():
            upgrade_control_plane(directory=str(CONTROL_MIGRATIONS))
            tenant = provision_tenant("bench", "Bench", "admin@example.org", "bench-admin-password-9").tenant.ref()
        with tenant_context(tenant, app):
            admin_id = db.session.scalar(sa.select(User.id).where(User.email == "admin@example.org"))
            token = access_token_for(admin_id, ("org_admin",), tenant)
        client = app.test_client()
        headers = {"Authorization": f"Bearer {token}", "Host": f"bench.{app.config['LMS_BASE_DOMAIN']}"}
        assert client.get("/api/v1/auth/me", headers=headers).status_code == 200
        rounds = []
        for _ in range(3):
            started = time.process_time()
            for _ in range(args.requests):
                client.get("/api/v1/auth/me", headers=headers)
            rounds.append((time.process_time() - started) * 1000 / args.requests)
        print(f"CPU per request: {min(rounds):.3f} ms (rounds: {', '.join(f'{r:.3f}' for r in rounds)})")


if __name__ == "__main__":
    main()
