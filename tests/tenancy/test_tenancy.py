"""Host -> tenant resolution, the routing session, and the engine registry."""

import resource
import time
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.jobs import ready_for_jobs
from app.tenancy import engines
from app.tenancy.base import execute_in_tenant
from app.tenancy.context import NoTenantContext, tenant_context
from app.tenancy.engines import (
    FILES_FOR_THE_REST,
    FILES_PER_SQLITE_ENGINE,
    EngineRegistry,
    _sqlite_budget,
    engine_registry,
)
from app.tenancy.models import Tenant, TenantStatus
from app.tenancy.provisioning import archive_tenant, get_tenant, suspend_tenant, update_tenant
from app.tenancy.resolution import PLATFORM, slug_from_host, tenant_cache
from blueprints.courses.models import course_teachers
from blueprints.users.models import User
from tests.conftest import build_app


@pytest.mark.parametrize(
    "host, expected",
    [
        ("localhost:5000", PLATFORM),
        ("localhost", PLATFORM),
        ("acme.localhost:5000", "acme"),
        ("ACME.localhost:5000", "acme"),
        ("acme.localhost:8080", "acme"),
        ("a.b.localhost:5000", None),
        ("evil-localhost:5000", None),
        ("acme.example.com", None),
        ("", None),
    ],
)
def test_slug_from_host(host, expected):
    assert slug_from_host(host, "localhost:5000") == expected


def test_tenant_home_page_answers_on_its_host(client, tenant):
    response = client.get("/", headers={"Host": f"{tenant.slug}.localhost:5000"})
    assert response.status_code == 200
    assert tenant.name in response.get_data(as_text=True)


def test_unknown_tenant_is_404_and_opens_no_database(app, client):
    with app.app_context():
        registry = engine_registry()
        before = len(registry)
    page = client.get("/", headers={"Host": "nobody-here.localhost:5000"})
    assert page.status_code == 404
    assert "text/html" in page.content_type
    api = client.get("/api/v1/organizations", headers={"Host": "nobody-here.localhost:5000"})
    assert api.status_code == 404
    assert api.get_json()["error"]["code"] == "NOT_FOUND"
    assert api.get_json()["success"] is False
    assert len(registry) == before


def test_foreign_host_is_404(client):
    assert client.get("/", headers={"Host": "example.com"}).status_code == 404


@pytest.mark.parametrize("retire", ["suspend", "archive"])
def test_suspended_tenants_are_403_and_archived_ones_404(app, client, make_tenant, api, login_as, retire):
    tenant = make_tenant()
    token = login_as(tenant, "org_admin")
    assert api(tenant, token).get(f"/api/v1/organizations/{tenant.id}").status_code == 200
    with app.app_context():
        record = get_tenant(tenant.id)
        suspend_tenant(record) if retire == "suspend" else archive_tenant(record)
        assert tenant.id not in engine_registry()
    # A suspended organization's people are told so (403); an archived one no longer answers (404).
    expected = 403 if retire == "suspend" else 404
    assert api(tenant, token).get(f"/api/v1/organizations/{tenant.id}").status_code == expected
    assert client.get("/", headers={"Host": f"{tenant.slug}.localhost:5000"}).status_code == expected


def _write_registry_row_as_another_process(app, tenant_id, **values):
    """An UPDATE on a connection of its own, outside this process's ORM session: what another worker does."""
    with app.app_context(), db.engine.begin() as connection:
        connection.execute(sa.update(Tenant).where(Tenant.id == tenant_id).values(**values))


def test_a_change_made_in_this_process_is_seen_at_once_despite_the_cache(app, client, make_tenant, monkeypatch):
    monkeypatch.setitem(app.config, "TENANT_CACHE_SECONDS", 60)
    tenant = make_tenant()
    host = {"Host": f"{tenant.slug}.localhost:5000"}
    assert client.get("/", headers=host).status_code == 200
    with app.app_context():
        update_tenant(get_tenant(tenant.id), name="Renamed Here Academy")
    assert "Renamed Here Academy" in client.get("/", headers=host).get_data(as_text=True)
    with app.app_context():
        suspend_tenant(get_tenant(tenant.id))
    assert client.get("/", headers=host).status_code == 403


def test_another_process_unannounced_suspension_and_renaming_are_seen_within_the_cache_seconds(app_config, make_tenant):
    # Written as raw SQL, the change is not announced on the Redis channel (tests/tenancy/test_host_cache.py covers
    # what is): it is seen once the cache's time-to-live runs out, the listening one included.
    seconds = 1.0
    app = build_app(app_config, TENANT_CACHE_SECONDS=seconds, TENANT_CACHE_LISTENING_SECONDS=seconds)
    client = app.test_client()
    tenant = make_tenant()
    host = {"Host": f"{tenant.slug}.localhost:5000"}
    assert client.get("/", headers=host).status_code == 200
    deadline = time.monotonic() + 5  # the listener, once subscribed, drops what was kept before: wait for it
    while not tenant_cache(app).listening and time.monotonic() < deadline:
        time.sleep(0.02)
    assert client.get("/", headers=host).status_code == 200  # kept

    _write_registry_row_as_another_process(app, tenant.id, name="Renamed Elsewhere Academy")
    assert "Renamed Elsewhere Academy" not in client.get("/", headers=host).get_data(as_text=True)  # cached
    time.sleep(seconds + 0.1)
    assert "Renamed Elsewhere Academy" in client.get("/", headers=host).get_data(as_text=True)

    _write_registry_row_as_another_process(app, tenant.id, status=TenantStatus.SUSPENDED)
    time.sleep(seconds + 0.1)
    assert client.get("/", headers=host).status_code == 403
    # A refusal is not kept: reactivated elsewhere, the organization answers on the next request.
    _write_registry_row_as_another_process(app, tenant.id, status=TenantStatus.ACTIVE)
    assert client.get("/", headers=host).status_code == 200


def test_tenant_model_without_tenant_context_raises(app):
    with app.app_context():
        with pytest.raises(NoTenantContext):
            db.session.scalar(sa.select(User))
        with pytest.raises(NoTenantContext):
            db.session.get(User, 1)


def test_tenant_context_routes_to_that_tenants_database(app, make_tenant):
    first, second = make_tenant(admin_email="first@example.org"), make_tenant(admin_email="second@example.org")
    with tenant_context(first, app):
        assert db.session.scalars(sa.select(User.email)).all() == ["first@example.org"]
        with tenant_context(second, app):  # nested: a fresh session, the other database
            assert db.session.scalars(sa.select(User.email)).all() == ["second@example.org"]
        assert db.session.scalars(sa.select(User.email)).all() == ["first@example.org"]


def test_raw_sql_helper_runs_on_the_tenant_database(app, tenant):
    with tenant_context(tenant, app):
        emails = execute_in_tenant(sa.text("SELECT email FROM users")).scalars().all()
    assert emails == ["admin@example.org"]


def test_engine_lru_of_two_serves_five_tenants_and_disposes_evicted_engines(app, make_tenant, api, login_as):
    tenants = [make_tenant() for _ in range(5)]
    tokens = {tenant.id: login_as(tenant, "org_admin") for tenant in tenants}
    small = EngineRegistry(max_size=2)
    closed = {}

    original, app.extensions["tenant_engines"] = app.extensions["tenant_engines"], small
    try:
        for _round in range(3):
            for tenant in tenants:
                response = api(tenant, tokens[tenant.id]).get(f"/api/v1/organizations/{tenant.id}")
                assert response.status_code == 200, response.get_json()
                assert response.get_json()["data"]["slug"] == tenant.slug
                assert response.get_json()["data"]["stats"]["users"] == 2
                engine = small.open_engine(tenant.id)
                if engine not in closed:
                    closed[engine] = []
                    sa.event.listen(engine, "close", lambda *_a, e=engine: closed[e].append(1))
                assert len(small) <= 2
        assert small.wait_for_disposals()
        # 5 tenants x 3 rounds through 2 slots: every activation but the first two evicted the
        # least recently used engine (t0 t1 t2 three times, t3 t4 twice), closing its connection.
        assert small.disposed == 13
        assert len(closed) == 5  # disposed engine objects are reused: one connection per visit
        closes = sorted(len(calls) for calls in closed.values())
        assert closes == [2, 2, 3, 3, 3]
    finally:
        app.extensions["tenant_engines"] = original
        small.clear()


def test_sqlite_and_server_engines_are_kept_within_budgets_of_their_own(tmp_path, monkeypatch):
    """SQLite tenants (file handles) and tenants on a database server (its connections) each evict their own least
    recently used engine: a thousand SQLite organizations do not push the server's out, nor the reverse."""
    real_engine = engines.create_tenant_engine  # a server that is not there: an engine on an in-memory database
    monkeypatch.setattr(
        engines, "create_tenant_engine", lambda url, *a: real_engine(url if "sqlite" in url else "sqlite://", *a)
    )
    registry = EngineRegistry(max_size=1, sqlite_max_size=3, dispose_in_background=False)

    def tenant(number, url):
        return SimpleNamespace(id=number, database_url=url)

    files = [tenant(n, f"sqlite:///{tmp_path}/t{n}.db") for n in range(4)]
    servers = [tenant(10 + n, f"postgresql+psycopg://tessera@127.0.0.1:1/t{n}") for n in range(2)]
    try:
        for t in files[:3]:
            with registry.get(t).connect() as connection:
                connection.exec_driver_sql("SELECT 1")
        registry.get(servers[0])
        assert len(registry) == 4 and registry.disposed == 0
        registry.get(servers[1])  # the server budget of 1: the other server engine goes, no SQLite one
        assert servers[0].id not in registry and all(t.id in registry for t in files[:3])
        registry.get(files[0])  # used again: now the most recent SQLite engine
        registry.get(files[3])  # the SQLite budget of 3: its least recently used (files[1]) goes
        assert files[1].id not in registry
        assert {files[0].id, files[2].id, files[3].id, servers[1].id} <= {
            t.id for t in files + servers if t.id in registry
        }
        assert registry.disposed == 2
    finally:
        registry.clear()


def test_the_sqlite_budget_raises_the_open_files_limit_it_needs():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = 400
    needed = wanted * FILES_PER_SQLITE_ENGINE + FILES_FOR_THE_REST
    if hard != resource.RLIM_INFINITY and hard < needed:
        pytest.skip(f"this machine's hard limit of open files ({hard}) is below {needed}")
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (1024, hard))
        assert _sqlite_budget(wanted) == wanted
        assert resource.getrlimit(resource.RLIMIT_NOFILE)[0] == needed
        if hard != resource.RLIM_INFINITY:  # more than even the hard limit allows: fewer, with a warning, no error
            assert _sqlite_budget(hard) == (hard - FILES_FOR_THE_REST) // FILES_PER_SQLITE_ENGINE
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def test_nothing_request_scoped_survives_into_the_next_request(app, client, make_tenant, login_as):
    """A streamed response left open keeps its app context; the next request must not inherit it."""
    a = make_tenant()
    token = login_as(a, "org_admin")
    streamed = client.get(
        "/api/v1/imports/sample.csv", headers={"Host": f"{a.slug}.localhost:5000", "Authorization": f"Bearer {token}"}
    )
    assert streamed.status_code == 200  # deliberately not read nor closed
    anonymous = client.get("/api/v1/users", headers={"Host": f"{a.slug}.localhost:5000"})
    assert anonymous.status_code == 401
    streamed.close()


def test_core_statements_on_tenant_tables_reach_the_tenant_database(app, tenant):
    """A select or insert on a plain Table (no ORM mapper) is routed like a model query."""
    with tenant_context(tenant, app):
        assert db.session.execute(sa.select(course_teachers)).all() == []
        assert db.session.scalar(sa.select(sa.func.count()).select_from(course_teachers)) == 0
    with app.app_context(), pytest.raises(NoTenantContext):
        db.session.execute(sa.select(course_teachers))


def test_sqlite_files_are_read_through_a_memory_map_except_by_a_worker(tmp_path):
    """A process that answers requests reads an organization's SQLite file through a memory map
    (`TENANT_SQLITE_MMAP_BYTES`: pages from the system's file cache, no read call and copy each); a worker does not
    (`ready_for_jobs`), so that its memory figures stay its own."""
    registry = EngineRegistry(max_size=1, sqlite_max_size=3, dispose_in_background=False, sqlite_mmap_bytes=64 << 20)

    def mapped(number):
        engine = registry.get(SimpleNamespace(id=number, database_url=f"sqlite:///{tmp_path}/t{number}.db"))
        with engine.connect() as connection:
            return connection.exec_driver_sql("PRAGMA mmap_size").scalar()

    try:
        assert mapped(1) == 64 << 20
        ready_for_jobs(SimpleNamespace(extensions={"tenant_engines": registry}))
        assert mapped(2) == 0
    finally:
        registry.clear()


@pytest.mark.parametrize("events", (False, True), ids=("jobs", "events"))
def test_flask_worker_reads_sqlite_files_without_a_memory_map(app_config, monkeypatch, events):
    """`flask worker` (and `--events`) readies its app for jobs before it works: no tenant engine of it maps a file."""
    from app import cli  # noqa: PLC0415 - the command's module, whose worker classes are replaced

    app = build_app(app_config)
    assert app.extensions["tenant_engines"].sqlite_mmap_bytes > 0  # the default, for the processes that answer
    worked = []

    class Idle:
        def __init__(self, queues, connection):
            pass

        def work(self, **options):
            worked.append(app.extensions["tenant_engines"].sqlite_mmap_bytes)

    monkeypatch.setattr(cli, "Worker", Idle)
    monkeypatch.setattr(cli, "EventWorker", Idle)
    with app.app_context():  # as the `flask` command runs it
        result = app.test_cli_runner().invoke(args=["worker", "--burst", *(["--events"] if events else [])])
    assert result.exit_code == 0, result.output
    assert worked == [0]
