"""Fixtures: real services, a real app, real tenants on real databases.

TEST_DB=sqlite (default) -> tenant databases are SQLite files in a temporary directory
TEST_DB=postgres         -> control plane and tenants are databases on a throw-away PostgreSQL
"""

import itertools
import json
import os
import shutil
import socket
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade as upgrade_control_plane
from rq import SimpleWorker
from xdist.scheduler import LoadScopeScheduling

from app import CONTROL_MIGRATIONS, create_app
from app.extensions import db
from app.jobs import get_event_queue, get_queue, redis_connection
from app.security.operators import create_operator, find_operator, open_operator_sign_in
from app.security.tokens import issue_access_token
from app.tenancy import databases
from app.tenancy.context import tenant_context
from app.tenancy.engines import engine_registry
from app.tenancy.models import Tenant
from app.tenancy.provisioning import _migrate_new_database, provision_tenant
from blueprints.auth.services import access_token_for
from blueprints.users.services import create_user
from config import TestConfig
from tests.support.services import PostgresServer, RedisServer, SmtpSink, scratch_dir

pytest_plugins = [
    "tests.support.browser",  # the browser suite's live server and Chromium
    "tests.support.courses",  # fixtures shared by feature folders (school, district)
    "tests.support.membership_guard",  # every membership change commits with memberships.changed
]

TEST_DB = os.environ.get("TEST_DB", "sqlite")
# Code outside an app (the password hasher, scripts) follows the configuration LMS_ENV names: ours.
os.environ.setdefault("LMS_ENV", "testing")
PASSWORD = "correct-horse-battery"
_slugs = itertools.count(1)


def pytest_report_header(config):
    return f"tenant databases: {TEST_DB}"


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "production_password_hashing: hash at production Argon2 cost (a test that times hashing)"
    )


# Modules whose tests run for minutes each. Under `--dist loadfile` (scripts/test.sh) each of their tests is a
# work unit of its own and they are dealt out first (see LongRunningFirstScheduling).
LONG_RUNNING_MODULES = ("tests/api/test_fuzz.py", "tests/browser/test_crawler.py")


class LongRunningFirstScheduling(LoadScopeScheduling):
    """`--dist loadfile`, except that a long-running module is split test by test and comes first.

    A test module is one unit of work, for its fixtures are per module. xdist hands a worker its next unit
    while the current one still runs, and by default deals out the units with most tests first: the fuzzer
    (two tests of minutes) and the crawler (one per role) came last, and one worker ran them alone for
    minutes after the other had gone idle. Dealt out first, one test at a time, the short modules fill in
    around them on both workers.
    """

    def _split_scope(self, nodeid):
        module = nodeid.split("::", 1)[0]
        return nodeid if module in LONG_RUNNING_MODULES else module


def pytest_xdist_make_scheduler(config, log):
    if config.getvalue("dist") != "loadfile":
        return None
    config.option.loadscopereorder = False  # the order of pytest_collection_modifyitems below
    return LongRunningFirstScheduling(config, log)


def pytest_collection_modifyitems(config, items):
    """The long-running modules first, the rest in collection order (sorted is stable)."""
    items.sort(key=lambda item: item.nodeid.split("::", 1)[0] not in LONG_RUNNING_MODULES)


@pytest.fixture
def refusing_port():
    """A loopback port held for the test and never listened on: a connection to it is refused, and no other server,
    of this test or a parallel one, can take it meanwhile (a port found free and let go could be)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


@pytest.fixture(autouse=True)
def _password_hash_profile(request):
    """TestConfig hashes cheaply; a test marked production_password_hashing gets the real cost.

    Autouse, so it applies before the test's other fixtures (its tenant's admin) hash anything.
    """
    if request.node.get_closest_marker("production_password_hashing") is None:
        yield
        return
    app = request.getfixturevalue("app")
    app.config["PASSWORD_HASH_PROFILE"] = "production"
    yield
    app.config["PASSWORD_HASH_PROFILE"] = "testing"


@pytest.fixture(scope="session")
def redis_server():
    server = RedisServer()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def smtp_server():
    server = SmtpSink()
    yield server
    server.stop()


@pytest.fixture
def mailbox(smtp_server):
    """The SMTP sink, emptied for this test."""
    smtp_server.clear()
    return smtp_server


@pytest.fixture(scope="session")
def postgres_server():
    if TEST_DB != "postgres":
        yield None
        return
    server = PostgresServer()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def second_postgres_server(postgres_server):
    """Another throw-away PostgreSQL, started only when a test asks for it: organizations spread over two servers
    and moved between them (tests/tenancy/test_servers.py). Under TEST_DB=postgres only."""
    if postgres_server is None:
        pytest.skip("two PostgreSQL servers need TEST_DB=postgres")
    server = PostgresServer()
    yield server
    server.stop()


def _create_postgres_database(server_url, name):
    engine = sa.create_engine(f"{server_url}/postgres", isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    engine.dispose()


@pytest.fixture(scope="session")
def app_config(redis_server, postgres_server, smtp_server):
    instance = Path(scratch_dir("tessera-instance-"))  # SQLite tenants and control database
    config = {
        "INSTANCE_DIR": str(instance),
        "REDIS_URL": redis_server.url,
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": smtp_server.port,
        "RQ_QUEUE": f"test-{uuid.uuid4().hex[:8]}",
        "LMS_BASE_DOMAIN": "localhost:5000",
    }
    if postgres_server is not None:
        _create_postgres_database(postgres_server.url, "tessera_control")
        config["CONTROL_DATABASE_URL"] = f"{postgres_server.url}/tessera_control"
        config["TENANT_DATABASE_URL_TEMPLATE"] = f"{postgres_server.url}/tessera_t_{{slug}}"
        config["TENANT_DATABASE_TEMPLATE"] = build_tenant_template(f"{postgres_server.url}/tessera_template")
    else:
        config["TENANT_DATABASE_TEMPLATE"] = build_tenant_template(f"sqlite:///{instance / 'tenant-template.db'}")
    yield config
    shutil.rmtree(instance, ignore_errors=True)


def build_tenant_template(url):
    """A tenant database migrated to head once per session (so never stale); provisioning copies it.

    It goes through provisioning's own migration step; `tests/test_provisioning.py` provisions
    without it too, through every migration.
    """
    databases.drop_database(url)
    databases.create_database(url)
    _migrate_new_database(url)
    return url


def build_app(app_config, **overrides):
    if "TENANT_DATABASE_URL_TEMPLATE" in overrides:  # tenants elsewhere (maybe another kind): migrate them
        overrides.setdefault("TENANT_DATABASE_TEMPLATE", None)
    app = create_app(TestConfig, **{**app_config, **overrides})
    with app.app_context():
        upgrade_control_plane(directory=str(CONTROL_MIGRATIONS))
    return app


@pytest.fixture(scope="session")
def app(app_config):
    return build_app(app_config)


@pytest.fixture
def client(app):
    return app.test_client()


def unique_slug(prefix="t"):
    return f"{prefix}{next(_slugs)}-{uuid.uuid4().hex[:6]}"


def destroy_tenant(app, tenant_id):
    with app.app_context():
        tenant = db.session.get(Tenant, tenant_id)
        if tenant is None:
            return
        engine_registry().remove(tenant.id)
        databases.drop_database(tenant.database_url)
        db.session.delete(tenant)
        db.session.commit()


@pytest.fixture
def make_tenant(app):
    """Provision real tenants; each is dropped (database and registry row) after the test."""
    created = []

    def make(slug=None, name=None, admin_email="admin@example.org"):
        slug = slug or unique_slug()
        with app.app_context():
            tenant = provision_tenant(slug, name or f"Org {slug}", admin_email, PASSWORD).tenant.ref()
        created.append(tenant.id)
        return tenant

    yield make
    for tenant_id in created:
        destroy_tenant(app, tenant_id)


@pytest.fixture
def tenant(make_tenant):
    return make_tenant()


def tenant_host(tenant):
    return f"{tenant.slug}.localhost:5000" if tenant else "localhost:5000"


class ApiClient:
    """A test client that speaks to one host, with an optional bearer token."""

    def __init__(self, client, tenant=None, token=None):
        self.client, self.tenant, self.token = client, tenant, token

    def open(self, method, path, **kwargs):
        headers = kwargs.pop("headers", {})
        headers.setdefault("Host", tenant_host(self.tenant))
        if self.token:
            headers.setdefault("Authorization", f"Bearer {self.token}")
        return self.client.open(path, method=method, headers=headers, **kwargs)

    def get(self, path, **kwargs):
        return self.open("GET", path, **kwargs)

    def post(self, path, **kwargs):
        return self.open("POST", path, **kwargs)

    def put(self, path, **kwargs):
        return self.open("PUT", path, **kwargs)

    def delete(self, path, **kwargs):
        return self.open("DELETE", path, **kwargs)


@pytest.fixture
def api(client):
    """api(tenant=None, token=None) -> a client for that tenant's host (None: the platform)."""

    def make(tenant=None, token=None):
        return ApiClient(client, tenant, token)

    return make


def make_user(app, tenant, role="student", email=None, password=PASSWORD, **fields):
    with tenant_context(tenant, app):
        user = create_user(email or f"{role}-{uuid.uuid4().hex[:8]}@example.org", role, password=password, **fields)
        return user.id


def user_token(app, tenant, user_id, role):
    """An access token of a new API sign-in of this person, as `POST /auth/login` would give."""
    with tenant_context(tenant, app):
        return access_token_for(user_id, (role,), tenant)


@pytest.fixture
def login_as(app):
    """login_as(tenant, role) -> an access token for a new user with that role in that tenant."""

    def login(tenant, role="student"):
        return user_token(app, tenant, make_user(app, tenant, role), role)

    return login


@pytest.fixture
def operator_token(app):
    with app.app_context():
        email = "operator@example.org"
        operator = find_operator(email) or create_operator(email, PASSWORD)
        return issue_access_token(operator.id, None, ("platform_operator",), open_operator_sign_in(operator.id, "api"))[
            0
        ]


def run_jobs(app):
    """Run every queued job now, in-process, against the real Redis (RQ's SimpleWorker)."""
    with app.app_context():
        SimpleWorker([get_queue(), get_event_queue()], connection=redis_connection()).work(burst=True)


def spawn_worker(app, **overrides):
    """A real RQ worker process (forking, like production) on this app's queue, until it is empty."""
    keys = (
        "INSTANCE_DIR",
        "CONTROL_DATABASE_URL",
        "TENANT_DATABASE_URL_TEMPLATE",
        "TENANT_DATABASE_TEMPLATE",
        "REDIS_URL",
        "RQ_QUEUE",
        "LMS_BASE_DOMAIN",
        "MAIL_SERVER",
        "MAIL_PORT",
    )
    config = {key: app.config[key] for key in keys} | overrides
    return subprocess.Popen(
        [sys.executable, "-m", "tests.support.worker"],
        env={**os.environ, "TESSERA_TEST_APP_CONFIG": json.dumps(config)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
