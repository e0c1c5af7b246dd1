"""Organizations on several database servers (docs/operations.md, "Backups and moves"): provisioning picks the
named or the least loaded server, and `flask tenants move` moves one, checked, with the organization briefly in
maintenance; a failed move leaves it where it was. Two throw-away PostgreSQL servers (TEST_DB=postgres)."""

import io

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.tenancy import databases, provisioning, servers
from app.tenancy.engines import engine_registry
from app.tenancy.models import Tenant, TenantStatus
from tests.conftest import PASSWORD, build_app, destroy_tenant, unique_slug
from tests.support.tables import rows_of_every_table
from tests.support.world import png_bytes


def test_servers_are_read_from_the_configuration():
    config = {"TENANT_DATABASE_URL_TEMPLATE": "postgresql+psycopg://u:p@h0/lms_{slug}"}
    parsed = servers.parse_servers("main=postgresql://u:p%2C1@h1:5432, second=postgresql+psycopg://v@h2", config)
    assert list(parsed) == ["main", "second"]
    assert parsed["main"].database_url("acme") == "postgresql+psycopg://u:p%2C1@h1:5432/lms_acme"
    assert parsed["second"].database_url("acme") == "postgresql+psycopg://v@h2/lms_acme"
    assert parsed["main"].display_url() == "postgresql+psycopg://u:***@h1:5432"
    without_template = servers.parse_servers("one=postgresql://h1", {"TENANT_DATABASE_URL_TEMPLATE": None})
    assert without_template["one"].database_url("acme") == "postgresql+psycopg://h1/tessera_acme"
    for wrong in ("main", "Main=postgresql://h", "a=sqlite:///x.db", "a=postgresql://h,a=postgresql://i", " , "):
        with pytest.raises(ValueError):
            servers.parse_servers(wrong, config)


def test_a_malformed_configuration_is_named_at_start_not_a_traceback_later(app_config):
    # refused when the app starts, so no request can meet it as a 500 at its next provisioning
    with pytest.raises(RuntimeError, match="TENANT_DATABASE_SERVERS: 'main postgresql://h1' is not name=URL"):
        build_app(app_config, TENANT_DATABASE_SERVERS="main postgresql://h1")


def test_without_servers_the_template_is_the_one_server_default(app):
    with app.app_context():
        assert list(servers.configured_servers()) == ["default"]
        assert servers.pick_server().database_url("acme") == app.config["TENANT_DATABASE_URL_TEMPLATE"].format(
            slug="acme"
        )
    assert app.test_cli_runner().invoke(args=["tenants", "servers"]).output.startswith("default")


@pytest.fixture(scope="module")
def two_servers(app_config, postgres_server, second_postgres_server):
    """An app whose organizations live on two PostgreSQL servers, "default" and "second"."""
    spec = f"default={postgres_server.url},second={second_postgres_server.url}"
    return build_app(app_config, TENANT_DATABASE_SERVERS=spec)


@pytest.fixture
def provision(two_servers):
    created = []

    def make(server=None, admin_email="admin@example.org"):
        with two_servers.app_context():
            made = provisioning.provision_tenant(
                unique_slug("srv"), "On a server", admin_email, PASSWORD, server=server
            ).tenant
            created.append(made.id)
            return made.ref(), made.database_server

    yield make
    for tenant_id in created:
        destroy_tenant(two_servers, tenant_id)


def _counts(app):
    with app.app_context():
        return servers.tenant_counts()


def test_provisioning_spreads_organizations_over_both_servers(two_servers, provision):
    placed = []
    for _ in range(4):
        before = _counts(two_servers)
        _, server = provision()
        assert before[server] == min(before["default"], before["second"])  # the least loaded got it
        placed.append(server)
    assert "second" in placed
    _, named = provision(server="default")
    assert named == "default"
    listing = two_servers.test_cli_runner().invoke(args=["tenants", "servers"]).output
    for name, count in _counts(two_servers).items():
        assert any(line.split()[:2] == [name, str(count)] for line in listing.splitlines())


def _people_and_a_course(app, api, tenant):
    token = api(tenant).post("/api/v1/auth/login", json={"email": "admin@example.org", "password": PASSWORD})
    admin = api(tenant, token.get_json()["data"]["access_token"])
    for number in range(5):
        body = {"email": f"p{number}@example.org", "role": "student", "first_name": "P", "last_name": str(number)}
        assert admin.post("/api/v1/users", json=body).status_code == 201
    course = admin.post("/api/v1/courses", json={"title": "Moving day", "status": "published"}).get_json()["data"]
    cover = admin.put(
        f"/api/v1/courses/{course['id']}/cover",
        data={"file": (io.BytesIO(png_bytes((32, 32))), "cover.png")},
        content_type="multipart/form-data",
    )
    assert cover.status_code == 200, cover.get_json()
    return admin, course["id"]


def _registry(app, tenant_id):
    with app.app_context():
        return db.session.get(Tenant, tenant_id).ref(), db.session.get(Tenant, tenant_id).database_server


def test_move_there_and_back_keeps_every_row_and_the_api_answers_503_meanwhile(
    two_servers, second_postgres_server, provision, monkeypatch
):
    app = two_servers
    client = app.test_client()

    def api(tenant, token=None):
        return _Client(client, tenant, token)

    tenant, _ = provision(server="default")
    admin, course_id = _people_and_a_course(app, api, tenant)
    before = rows_of_every_table(tenant.database_url)

    during = []
    restore = databases.restore_dump

    def restore_and_look(url, dump):
        restore(url, dump)
        during.append(api(tenant).get("/api/v1/courses"))

    monkeypatch.setattr(databases, "restore_dump", restore_and_look)
    result = app.test_cli_runner().invoke(args=["tenants", "move", tenant.slug, "--to", "second"])
    assert result.exit_code == 0, result.output
    assert "moved from default to second" in result.output and "dropped" in result.output
    (answer,) = during
    assert answer.status_code == 503 and answer.headers["Retry-After"] == "30"
    assert answer.get_json()["error"]["code"] == "ORGANIZATION_MAINTENANCE"

    moved, server = _registry(app, tenant.id)
    assert server == "second" and moved.status == TenantStatus.ACTIVE
    assert moved.database_url.startswith(f"{second_postgres_server.url}/")
    assert not databases.database_exists(tenant.database_url)  # the source, dropped after the switch
    assert rows_of_every_table(moved.database_url) == before
    assert admin.get(f"/api/v1/courses/{course_id}").status_code == 200  # the same token, the new database
    assert admin.get(f"/api/v1/courses/{course_id}/cover").status_code == 200
    with app.app_context():
        assert engine_registry().get(moved).url.port == sa.engine.make_url(moved.database_url).port

    back = app.test_cli_runner().invoke(args=["tenants", "move", tenant.slug, "--to", "default", "--keep-source"])
    assert back.exit_code == 0 and "the old database is kept" in back.output, back.output
    home, server = _registry(app, tenant.id)
    assert server == "default" and home.status == TenantStatus.ACTIVE
    assert databases.database_exists(moved.database_url)  # kept on request
    assert rows_of_every_table(home.database_url) == before
    created = admin.post(
        "/api/v1/users", json={"email": "after@example.org", "role": "student", "first_name": "A", "last_name": "M"}
    )
    assert created.status_code == 201
    databases.drop_database(moved.database_url)


class _Client:
    def __init__(self, client, tenant, token=None):
        self.client, self.tenant, self.token = client, tenant, token

    def open(self, method, path, **kwargs):
        headers = {"Host": f"{self.tenant.slug}.localhost:5000"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        return self.client.open(path, method=method, headers=headers, **kwargs)

    def get(self, path, **kwargs):
        return self.open("GET", path, **kwargs)

    def post(self, path, **kwargs):
        return self.open("POST", path, **kwargs)

    def put(self, path, **kwargs):
        return self.open("PUT", path, **kwargs)


def _assert_unchanged(app, tenant, before):
    now, server = _registry(app, tenant.id)
    assert now.status == TenantStatus.ACTIVE and now.database_url == tenant.database_url and server == "default"
    assert rows_of_every_table(tenant.database_url) == before
    login = _Client(app.test_client(), tenant).post(
        "/api/v1/auth/login", json={"email": "admin@example.org", "password": PASSWORD}
    )
    assert login.status_code == 200


def test_a_move_to_an_unreachable_server_leaves_the_organization_on_its_source(
    app_config, postgres_server, second_postgres_server, monkeypatch, refusing_port
):
    unreachable = f"postgresql://postgres@127.0.0.1:{refusing_port}"  # nothing listens there
    app = build_app(app_config, TENANT_DATABASE_SERVERS=f"default={postgres_server.url},gone={unreachable}")
    with app.app_context():
        tenant = provisioning.provision_tenant(
            unique_slug("srv"), "Stays", "admin@example.org", PASSWORD, server="default"
        ).tenant.ref()
    try:
        before = rows_of_every_table(tenant.database_url)
        result = app.test_cli_runner().invoke(args=["tenants", "move", tenant.slug, "--to", "gone"])
        assert result.exit_code != 0
        assert "failed; it stays on default" in result.output
        _assert_unchanged(app, tenant, before)
    finally:
        destroy_tenant(app, tenant.id)


def test_a_copy_that_does_not_match_is_not_switched_to_and_is_dropped(two_servers, provision, monkeypatch):
    tenant, _ = provision(server="default")
    before = rows_of_every_table(tenant.database_url)
    restore = databases.restore_dump
    copies = []

    def restore_and_lose_a_row(url, dump):
        restore(url, dump)
        copies.append(url)
        engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
        with engine.begin() as conn:
            conn.execute(sa.text("DELETE FROM users WHERE id = (SELECT max(id) FROM users)"))
        engine.dispose()

    monkeypatch.setattr(databases, "restore_dump", restore_and_lose_a_row)
    with two_servers.app_context(), pytest.raises(servers.MoveFailed, match="users: expected 1 rows, found 0"):
        servers.move_tenant(provisioning.get_tenant(tenant.id), "second")
    _assert_unchanged(two_servers, tenant, before)
    assert copies and not databases.database_exists(copies[0])


def test_a_source_written_to_during_the_move_is_not_switched_from(two_servers, provision, monkeypatch):
    """A writer that did not see the maintenance (a job already running) changes the source after the dump."""
    tenant, _ = provision(server="default")
    restore = databases.restore_dump

    def restore_while_someone_writes(url, dump):
        restore(url, dump)
        engine = sa.create_engine(tenant.database_url, poolclass=sa.pool.NullPool)
        with engine.begin() as conn:
            conn.execute(sa.text("UPDATE users SET first_name = 'Changed'"))
        engine.dispose()

    monkeypatch.setattr(databases, "restore_dump", restore_while_someone_writes)
    with two_servers.app_context(), pytest.raises(servers.MoveFailed, match="the source"):
        servers.move_tenant(provisioning.get_tenant(tenant.id), "second")
    now, server = _registry(two_servers, tenant.id)
    assert server == "default" and now.status == TenantStatus.ACTIVE and now.database_url == tenant.database_url


def test_an_organization_left_in_maintenance_by_a_crash_can_be_reopened(app, make_tenant):
    tenant = make_tenant()
    with app.app_context():
        row = db.session.get(Tenant, tenant.id)
        row.status = TenantStatus.MAINTENANCE  # as a move killed half-way leaves it
        db.session.commit()
    runner = app.test_cli_runner()
    assert "active" in runner.invoke(args=["tenants", "end-maintenance", tenant.slug]).output
    refused = runner.invoke(args=["tenants", "end-maintenance", tenant.slug])
    assert refused.exit_code != 0 and "not in maintenance" in refused.output
    login = _Client(app.test_client(), tenant).post(
        "/api/v1/auth/login", json={"email": "admin@example.org", "password": PASSWORD}
    )
    assert login.status_code == 200
