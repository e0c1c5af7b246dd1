"""Provisioning, suspension, migration and archiving: service, CLI and platform API."""

from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from app import events
from app.demo import seed_demo
from app.errors import Conflict, ValidationFailed
from app.extensions import db
from app.models import import_all_models
from app.storage import media_storage
from app.tenancy import backups, databases, provisioning, restores
from app.tenancy.base import tenant_metadata
from app.tenancy.context import tenant_context
from app.tenancy.engines import create_tenant_engine
from app.tenancy.migrations import current_revision, head_revision
from app.tenancy.models import Tenant, TenantStatus
from app.tenancy.provisioning import get_tenant_by_slug
from blueprints.courses.media import media_of
from blueprints.courses.models import ContentItem, Course
from tests.conftest import PASSWORD, build_app, destroy_tenant, run_jobs, unique_slug


def _registry_row(app, slug):
    with app.app_context():
        return db.session.scalar(sa.select(Tenant).where(Tenant.slug == slug))


def test_new_tenant_is_active_at_head_and_its_admin_can_log_in(app, make_tenant, api):
    tenant = make_tenant(admin_email="boss@example.org")
    assert tenant.status == TenantStatus.ACTIVE
    engine = create_tenant_engine(tenant.database_url)
    try:
        assert current_revision(engine) == head_revision()
    finally:
        engine.dispose()
    response = api(tenant).post("/api/v1/auth/login", json={"email": "boss@example.org", "password": PASSWORD})
    assert response.status_code == 200
    assert response.get_json()["data"]["token_type"] == "Bearer"


def test_failure_after_database_creation_leaves_no_row_and_no_database(app, monkeypatch):
    slug = unique_slug("fail")
    created_url = {}

    def broken_seed(tenant_ref, *_args):
        created_url["url"] = tenant_ref.database_url
        assert databases.database_exists(tenant_ref.database_url)  # the failure is really "halfway"
        raise RuntimeError("injected failure while seeding the admin")

    monkeypatch.setattr(provisioning, "_seed_admin", broken_seed)
    with app.app_context(), pytest.raises(RuntimeError, match="injected"):
        provisioning.provision_tenant(slug, "Broken", "admin@example.org", PASSWORD)
    assert _registry_row(app, slug) is None
    assert not databases.database_exists(created_url["url"])


def test_failure_during_migration_rolls_back_too(app, monkeypatch):
    slug = unique_slug("mig")

    def broken_migrate(url):
        raise RuntimeError("injected migration failure")

    monkeypatch.setattr(provisioning, "_migrate_new_database", broken_migrate)
    with app.app_context():
        url = provisioning.database_url_for(slug)
        with pytest.raises(RuntimeError):
            provisioning.provision_tenant(slug, "Broken", "admin@example.org", PASSWORD)
    assert _registry_row(app, slug) is None
    assert not databases.database_exists(url)


def test_duplicate_slug_is_a_conflict_and_keeps_the_first(app, make_tenant, api, operator_token):
    tenant = make_tenant()
    with app.app_context(), pytest.raises(Conflict):
        provisioning.provision_tenant(tenant.slug, "Twin", "twin@example.org", PASSWORD)
    response = api(None, operator_token).post(
        "/api/v1/organizations", json={"slug": tenant.slug, "name": "Twin", "admin_email": "twin@example.org"}
    )
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "CONFLICT"
    assert "slug" in response.get_json()["error"]["details"]
    assert _registry_row(app, tenant.slug).name == tenant.name
    assert databases.database_exists(tenant.database_url)


def test_leftover_database_without_registry_row_is_a_conflict_and_is_kept(app):
    slug = unique_slug("left")
    with app.app_context():
        url = provisioning.database_url_for(slug)
    databases.create_database(url)
    try:
        with app.app_context(), pytest.raises(Conflict):
            provisioning.provision_tenant(slug, "Leftover", "admin@example.org", PASSWORD)
        assert _registry_row(app, slug) is None
        assert databases.database_exists(url)
    finally:
        databases.drop_database(url)


@pytest.mark.parametrize(
    "slug", ["ab", "x" * 41, "-acme", "acme-", "Acme!", "ac_me", "www", "api", "admin", "ac--me", "a.b"]
)
def test_invalid_or_reserved_slugs_are_refused(app, slug):
    with app.app_context(), pytest.raises(ValidationFailed) as raised:
        provisioning.provision_tenant(slug, "Name", "admin@example.org", PASSWORD)
    assert "slug" in raised.value.details


def test_platform_api_creates_reads_updates_and_archives(app, api, operator_token):
    operator = api(None, operator_token)
    slug = unique_slug("api")
    created = operator.post(
        "/api/v1/organizations", json={"slug": slug, "name": "Via API", "admin_email": "first@example.org"}
    )
    assert created.status_code == 201, created.get_json()
    body = created.get_json()["data"]
    try:
        assert body["slug"] == slug and body["status"] == "active"
        assert body["url"] == f"http://{slug}.localhost:5000/"
        assert body["admin"]["email"] == "first@example.org"
        generated = body["admin"]["password"]
        assert generated and len(generated) >= 12
        tenant_api = api(Tenant(slug=slug))
        assert (
            tenant_api.post(
                "/api/v1/auth/login", json={"email": "first@example.org", "password": generated}
            ).status_code
            == 200
        )

        org_id = body["id"]
        assert operator.get(f"/api/v1/organizations/{org_id}").get_json()["data"]["name"] == "Via API"
        renamed = operator.put(f"/api/v1/organizations/{org_id}", json={"name": "Renamed", "status": "suspended"})
        assert renamed.status_code == 200
        assert renamed.get_json()["data"]["status"] == "suspended"
        assert tenant_api.get("/").status_code == 403  # suspended: its people are told so
        bad = operator.put(f"/api/v1/organizations/{org_id}", json={"status": "archived"})
        assert bad.status_code == 422 and "status" in bad.get_json()["error"]["details"]

        archived = operator.delete(f"/api/v1/organizations/{org_id}?purge=true")
        assert archived.status_code == 200
        assert archived.get_json()["data"]["status"] == "archived"
        with app.app_context():
            record = db.session.get(Tenant, org_id)
            assert Path(record.backup_path).stat().st_size > 0
            assert not databases.database_exists(record.database_url)
    finally:
        destroy_tenant(app, body["id"])


def test_archive_backup_holds_the_data_and_restores(app, make_tenant, api):
    tenant = make_tenant(admin_email="keep-me@example.org")
    with app.app_context():
        record = provisioning.archive_tenant(provisioning.get_tenant(tenant.id))
        backup = Path(record.backup_path)
        assert databases.database_exists(tenant.database_url)  # no purge: the database stays
    assert backup.exists()
    manifest = backups.read_manifest(backup)
    assert manifest["slug"] == tenant.slug and manifest["tables"]["users"]["rows"] == 1
    copy = unique_slug("back")
    with app.app_context():
        restored = restores.restore_tenant(backup, tenant.slug, as_slug=copy).slug
        copy_id = provisioning.get_tenant_by_slug(copy).id
    try:
        with app.app_context():
            ref = provisioning.get_tenant(copy_id).ref()
        login = {"email": "keep-me@example.org", "password": PASSWORD}
        assert restored == copy and api(ref).post("/api/v1/auth/login", json=login).status_code == 200
    finally:
        destroy_tenant(app, copy_id)


def test_cli_create_list_suspend_activate_upgrade_archive(app, make_tenant):
    runner = app.test_cli_runner()
    slug = unique_slug("cli")
    result = runner.invoke(args=["tenants", "create", slug, "--name", "CLI Org", "--admin-email", "cli@example.org"])
    assert result.exit_code == 0, result.output
    assert "generated password" in result.output
    tenant_id = _registry_row(app, slug).id
    try:
        assert slug in runner.invoke(args=["tenants", "list"]).output
        assert "suspended" in runner.invoke(args=["tenants", "suspend", slug]).output
        assert "active" in runner.invoke(args=["tenants", "activate", slug]).output
        upgraded = runner.invoke(args=["tenants", "upgrade", "--slug", slug])
        assert upgraded.exit_code == 0 and f"{slug}: ok" in upgraded.output
        duplicate = runner.invoke(args=["tenants", "create", slug, "--name", "x", "--admin-email", "x@example.org"])
        assert duplicate.exit_code != 0 and "already exists" in duplicate.output
        archived = runner.invoke(args=["tenants", "archive", slug])
        assert archived.exit_code == 0 and "backup at" in archived.output
    finally:
        destroy_tenant(app, tenant_id)


def test_upgrade_reports_each_tenant_and_goes_on_after_a_failure(app, make_tenant):
    healthy, broken = make_tenant(), make_tenant()
    with app.app_context():
        record = db.session.get(Tenant, broken.id)
        original_url = record.database_url
        record.database_url = "sqlite:////nonexistent-dir/for/sure/broken.db"
        db.session.commit()
    try:
        result = app.test_cli_runner().invoke(args=["tenants", "upgrade"])
        assert result.exit_code == 1
        assert f"{healthy.slug}: ok" in result.output
        assert f"{broken.slug}: OperationalError" in result.output
        assert "failed" in result.output
    finally:
        with app.app_context():
            record = db.session.get(Tenant, broken.id)
            record.database_url = original_url
            db.session.commit()


def _failing_seed(*_args):
    raise RuntimeError("injected failure")


def test_tenant_created_is_emitted_once_after_commit_and_not_on_failure(app, make_tenant, monkeypatch):
    seen = []

    def record(payload):
        with app.app_context():  # the registry row is committed when subscribers run
            row = db.session.get(Tenant, payload["tenant_id"])
            seen.append((payload["slug"], row.status if row else None))

    events.subscribe("tenant.created")(record)
    try:
        tenant = make_tenant()
        monkeypatch.setattr(provisioning, "_seed_admin", _failing_seed)
        with app.app_context(), pytest.raises(RuntimeError):
            provisioning.provision_tenant(unique_slug("noevent"), "No", "a@example.org", PASSWORD)
        run_jobs(app)  # deliver
    finally:
        events.unsubscribe("tenant.created", record)
    assert seen == [(tenant.slug, TenantStatus.ACTIVE)]


def test_a_failing_subscriber_does_not_undo_or_stop_the_others(app, make_tenant):
    calls = []

    def broken(_payload):
        raise RuntimeError("subscriber bug")

    events.subscribe("tenant.created")(broken)
    events.subscribe("tenant.created")(calls.append)
    try:
        tenant = make_tenant()
        run_jobs(app)  # deliver
    finally:
        events.unsubscribe("tenant.created", broken)
        events.unsubscribe("tenant.created", calls.append)
    assert [payload["slug"] for payload in calls] == [tenant.slug]
    assert _registry_row(app, tenant.slug).status == TenantStatus.ACTIVE


def test_tenant_migrations_build_exactly_the_models_schema(app, tenant):
    """A model change without its migration (or a model module Alembic never imported) fails here."""
    import_all_models()
    engine = create_tenant_engine(tenant.database_url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            differences = compare_metadata(context, tenant_metadata())
    finally:
        engine.dispose()
    assert differences == []
    assert {"users", "branches", "classes", "branch_memberships", "class_memberships"} <= set(tenant_metadata().tables)


def test_the_control_plane_holds_only_the_registry():
    """A tenant table declared on the wrong metadata would land in the control plane, for everyone."""
    import_all_models()
    # organization_figures: counts about each tenant for the operators' console, no tenant's records.
    platform_events = {"platform_event_outbox", "platform_event_deliveries"}  # tenant.created, tenant.archived
    assert set(db.metadata.tables) == {
        "tenants",
        "platform_operators",
        "operator_sign_ins",
        "organization_figures",
        "platform_audit_events",  # what operators and the CLI did to organizations, no tenant's records
        *platform_events,
    }


def test_demo_seed_is_complete_and_idempotent(app_config, tmp_path):
    """`make run` seeds this on SQLite; running it twice must change nothing and fail on nothing."""
    demo_app = build_app(
        app_config,
        INSTANCE_DIR=str(tmp_path),
        CONTROL_DATABASE_URL=f"sqlite:///{tmp_path}/control.db",
        TENANT_DATABASE_URL_TEMPLATE=f"sqlite:///{tmp_path}/tenants/{{slug}}.db",
    )
    with demo_app.app_context():
        first = list(seed_demo("demo-password-123"))
        second = list(seed_demo("demo-password-123"))
    assert "created organization demo" in first and "created course Getting started" in first
    assert second == []
    with demo_app.app_context(), tenant_context(get_tenant_by_slug("demo")):
        assert db.session.scalar(sa.select(Course.cover_key).where(Course.slug == "getting-started"))
        video = db.session.scalar(sa.select(ContentItem).where(ContentItem.kind == "video"))
        (clip,) = media_of([video.id])
        with media_storage().open(clip.storage_key) as stream:
            assert clip.content_type == "video/webm" and len(stream.read()) == clip.size


def test_without_a_template_provisioning_runs_every_migration(app, api, monkeypatch):
    """The suite copies a migrated template (tests/conftest.py); production starts from an empty database."""
    assert app.config["TENANT_DATABASE_TEMPLATE"]  # every other test provisions from the template
    monkeypatch.setitem(app.config, "TENANT_DATABASE_TEMPLATE", None)
    slug = unique_slug("real")
    with app.app_context():
        tenant = provisioning.provision_tenant(slug, "Migrated", "boss@example.org", PASSWORD).tenant.ref()
    try:
        import_all_models()
        engine = create_tenant_engine(tenant.database_url)
        try:
            assert current_revision(engine) == head_revision()
            with engine.connect() as conn:
                assert compare_metadata(MigrationContext.configure(conn), tenant_metadata()) == []
        finally:
            engine.dispose()
        login = {"email": "boss@example.org", "password": PASSWORD}
        assert api(tenant).post("/api/v1/auth/login", json=login).status_code == 200
    finally:
        destroy_tenant(app, tenant.id)
    with pytest.raises(ValueError, match="template"):
        databases.create_database(tenant.database_url, template="mysql://elsewhere/tessera_template")
