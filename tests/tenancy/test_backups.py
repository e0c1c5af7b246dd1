# ruff: noqa: F811 - the imported fixtures are arguments of the tests below, as pytest passes them
"""Backups that restore (docs/operations.md, "Backups and moves"): one file with the database, the media and a
manifest; restored into a new organization or over one, checked; every organization on a schedule, with
retention. On SQLite and (TEST_DB=postgres) on PostgreSQL."""

import threading
import time
import uuid
from datetime import datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from rq.job import Job, JobStatus

from app.errors import BadRequest, Conflict
from app.extensions import db
from app.jobs import enqueue, get_queue, redis_connection
from app.tenancy import backups, databases, provisioning, restores
from app.tenancy.context import tenant_context
from app.tenancy.engines import create_tenant_engine
from app.tenancy.migrations import current_revision, head_revision, tenant_scripts, upgrade_tenant_database
from app.tenancy.models import Tenant, TenantStatus
from app.tenancy.provisioning import provision_tenant
from blueprints.users.services import create_user
from tests.conftest import PASSWORD, TEST_DB, build_app, destroy_tenant, run_jobs, unique_slug
from tests.support.backups import (  # noqa: F401 - the fixtures, with this module's app
    backup,
    check_a_file_that_does_not_match_its_manifest_leaves_nothing,
    check_backup_holds_database_media_and_a_manifest,
    check_restore_as_a_new_slug_gives_every_row_and_every_file_and_serves_its_api,
    refused_restore,
    restored,
    rewritten,
    world,
)
from tests.support.tables import rows_of_every_table


def test_backup_holds_database_media_and_a_manifest(app, world, backup):
    check_backup_holds_database_media_and_a_manifest(app, world, backup)


def test_restore_as_a_new_slug_gives_every_row_and_every_file_and_serves_its_api(app, api, world, backup, restored):
    check_restore_as_a_new_slug_gives_every_row_and_every_file_and_serves_its_api(app, api, world, backup, restored)


def test_a_copy_can_keep_its_integrations_and_keys_when_asked(app, world, backup, restored):
    """--keep-integrations (an archived organization brought back under a new slug): its webhooks, roster syncs
    and API keys as they were."""
    slug = unique_slug("rk")
    restored.append(slug)
    with app.app_context():
        result = restores.restore_tenant(backup.path, world.tenant.slug, as_slug=slug, keep_integrations=True)
        copy = provisioning.get_tenant_by_slug(slug).ref()
    assert result.notes == []
    source, target = rows_of_every_table(world.tenant.database_url), rows_of_every_table(copy.database_url)
    for table in ("integrations", "api_keys", "webhook_deliveries"):
        assert target[table] == source[table] and source[table][1], table


def test_a_file_that_does_not_match_its_manifest_leaves_nothing(app, world, backup, restored, tmp_path):
    check_a_file_that_does_not_match_its_manifest_leaves_nothing(app, world, backup, restored, tmp_path)


def test_a_backup_of_a_newer_schema_is_refused(app, world, backup, restored, tmp_path):
    newer = rewritten(backup.path, tmp_path, lambda manifest: manifest.update(schema_revision="9999_from_the_future"))
    slug = unique_slug("rs")
    with app.app_context(), pytest.raises(Conflict, match="newer than this code"):
        restores.restore_tenant(newer, world.tenant.slug, as_slug=slug)
    with app.app_context():
        assert db.session.scalar(sa.select(Tenant).where(Tenant.slug == slug)) is None


def test_a_backup_of_an_older_schema_is_upgraded_after_the_restore(app, restored, tmp_path):
    """A database one migration behind (registered by hand, as an organization the code has not upgraded yet)."""
    older = tenant_scripts().get_revision(head_revision()).down_revision
    slug = unique_slug("old")
    with app.app_context():
        url = provisioning.database_url_for(slug)
    databases.create_database(url)
    engine = create_tenant_engine(url)
    upgrade_tenant_database(engine, older)
    engine.dispose()
    with app.app_context():
        row = Tenant(slug=slug, name="Behind", status=TenantStatus.ACTIVE, database_url=url)
        db.session.add(row)
        db.session.commit()
        tenant_id = row.id
    try:
        with app.app_context():
            made = backups.backup_tenant(provisioning.get_tenant(tenant_id), tmp_path)
        assert made.manifest["schema_revision"] == older
        copy = unique_slug("rs")
        restored.append(copy)
        result = app.test_cli_runner().invoke(args=["tenants", "restore", slug, str(made.path), "--as", copy])
        assert result.exit_code == 0, result.output
        assert f"upgraded from schema revision {older}" in result.output
        with app.app_context():
            engine = create_tenant_engine(provisioning.get_tenant_by_slug(copy).database_url)
        assert current_revision(engine) == head_revision()
        engine.dispose()
    finally:
        destroy_tenant(app, tenant_id)


def test_what_is_not_a_backup_is_refused_with_a_message(app, world, backup, tmp_path):
    not_a_tar = tmp_path / "notes.tar"
    not_a_tar.write_text("hello")
    damaged = rewritten(backup.path, tmp_path, lambda manifest: manifest.pop("tables"))
    for path, message in ((not_a_tar, "is not a Tessera backup"), (damaged, "damaged manifest")):
        result = app.test_cli_runner().invoke(
            args=["tenants", "restore", world.tenant.slug, str(path), "--as", "x-y-z"]
        )
        assert result.exit_code == 1 and message in result.output, result.output
    missing = app.test_cli_runner().invoke(args=["tenants", "restore", world.tenant.slug, str(tmp_path / "none.tar")])
    assert missing.exit_code == 1 and "No backup file" in missing.output


@pytest.mark.parametrize("name", ["branding/../../escaped.png", "media/other-org/file", "/etc/escaped"])
def test_a_file_named_outside_the_organization_is_refused(app, world, backup, restored, tmp_path, name):
    def point_elsewhere(manifest):
        manifest["files"][0]["path"] = name

    crafted = rewritten(backup.path, tmp_path, point_elsewhere)
    slug = unique_slug("rs")
    restored.append(slug)
    with app.app_context(), pytest.raises(Conflict, match="is not a file of"):
        restores.restore_tenant(crafted, world.tenant.slug, as_slug=slug)
    assert not (Path(app.config["INSTANCE_DIR"]) / "escaped.png").exists()
    with app.app_context():
        assert db.session.scalar(sa.select(Tenant).where(Tenant.slug == slug)) is None


def test_a_table_that_does_not_match_its_manifest_is_refused(app, world, backup, restored, tmp_path):
    damaged = rewritten(backup.path, tmp_path, lambda manifest: manifest["tables"]["users"].update(rows=1))
    refused_restore(app, world, restored, damaged, "users: expected 1 rows")


def test_restore_over_an_organization_needs_replace_and_brings_it_back(app, api, make_tenant, tmp_path):
    tenant = make_tenant(admin_email="boss@example.org")
    with app.app_context():
        made = backups.backup_tenant(provisioning.get_tenant(tenant.id), tmp_path)
    with tenant_context(tenant, app):
        create_user("after-the-backup@example.org", "student", "After", "Backup", PASSWORD)
    with app.app_context(), pytest.raises(Conflict, match="--replace"):
        restores.restore_tenant(made.path, tenant.slug)
    with app.app_context(), pytest.raises(BadRequest, match="not of"):
        restores.restore_tenant(made.path, "some-other-org", replace=True)

    result = app.test_cli_runner().invoke(args=["tenants", "restore", tenant.slug, str(made.path), "--replace"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        row = provisioning.get_tenant(tenant.id)
        assert row.status == TenantStatus.ACTIVE and row.database_url != tenant.database_url
        assert not databases.database_exists(tenant.database_url)  # the previous database, dropped once switched
        now = row.ref()
    login = api(now).post("/api/v1/auth/login", json={"email": "after-the-backup@example.org", "password": PASSWORD})
    assert login.status_code == 401
    login = api(now).post("/api/v1/auth/login", json={"email": "boss@example.org", "password": PASSWORD})
    assert login.status_code == 200


def test_a_failed_restore_over_an_organization_leaves_it_as_it_was(app, api, make_tenant, tmp_path):
    tenant = make_tenant(admin_email="boss@example.org")
    with app.app_context():
        made = backups.backup_tenant(provisioning.get_tenant(tenant.id), tmp_path)
    (tmp_path / "damaged").mkdir()
    damaged = rewritten(made.path, tmp_path / "damaged", lambda manifest: manifest["tables"]["users"].update(rows=99))
    with app.app_context(), pytest.raises(Conflict, match="users"):
        restores.restore_tenant(damaged, tenant.slug, replace=True)
    with app.app_context():
        row = provisioning.get_tenant(tenant.id)
        assert row.status == TenantStatus.ACTIVE and row.database_url == tenant.database_url
    login = api(tenant).post("/api/v1/auth/login", json={"email": "boss@example.org", "password": PASSWORD})
    assert login.status_code == 200


@pytest.mark.skipif(TEST_DB != "postgres", reason="a SQLite backup restored where organizations live on PostgreSQL")
def test_a_backup_of_another_database_kind_is_refused(app, app_config, tmp_path):
    sqlite_app = build_app(
        app_config,
        CONTROL_DATABASE_URL=f"sqlite:///{tmp_path}/control.db",
        TENANT_DATABASE_URL_TEMPLATE=f"sqlite:///{tmp_path}/tenants/{{slug}}.db",
    )
    with sqlite_app.app_context():
        tenant = provision_tenant(unique_slug("lite"), "Lite", "a@example.org", PASSWORD).tenant
        made = backups.backup_tenant(tenant, tmp_path / "backups")
    slug = unique_slug("rs")
    with app.app_context(), pytest.raises(Conflict, match="holds a sqlite database") as refused:
        restores.restore_tenant(made.path, made.manifest["slug"], as_slug=slug)
    assert "is postgresql" in refused.value.message
    with app.app_context():
        assert db.session.scalar(sa.select(Tenant).where(Tenant.slug == slug)) is None


def test_a_backup_is_consistent_while_the_app_writes(app, make_tenant, restored, tmp_path):
    """People are added while the backup runs: the restore's check (every table against the manifest) passes."""
    tenant = make_tenant()
    stop = threading.Event()

    def keep_writing():
        while not stop.is_set():
            with tenant_context(tenant, app):
                create_user(f"w-{uuid.uuid4().hex[:10]}@example.org", "student", "W", "R", PASSWORD)

    writer = threading.Thread(target=keep_writing)
    writer.start()
    try:
        time.sleep(0.2)
        with app.app_context():
            made = backups.backup_tenant(provisioning.get_tenant(tenant.id), tmp_path)
    finally:
        stop.set()
        writer.join()
    slug = unique_slug("rs")
    restored.append(slug)
    with app.app_context():
        result = restores.restore_tenant(made.path, tenant.slug, as_slug=slug)
    assert result.rows == sum(table["rows"] for table in made.manifest["tables"].values())
    assert made.manifest["tables"]["users"]["rows"] > 1


# --- scheduled backups and retention -----------------------------------------------------------------------------


def _at(text):
    return datetime.fromisoformat(text)


def test_retention_keeps_the_newest_of_each_recent_day_and_week():
    made = [_at("2026-11-26T03:00"), _at("2026-11-26T01:00")]  # two today: the newer is kept
    made += [_at(f"2026-11-{day:02d}T03:00") for day in range(1, 26)]  # one a day before
    keep = backups.backups_to_keep(made, keep_daily=7, keep_weekly=4)
    days = {_at(f"2026-11-{day:02d}T03:00") for day in range(20, 27)}
    # ISO weeks: 23-29 Nov (newest 26th), 16-22 (22nd), 9-15 (15th), 2-8 (8th)
    weeks = {_at("2026-11-22T03:00"), _at("2026-11-15T03:00"), _at("2026-11-08T03:00")}
    assert keep == days | weeks
    assert _at("2026-11-26T01:00") not in keep


def test_retention_counts_days_that_have_a_backup_so_a_pause_deletes_nothing_recent():
    made = [_at("2026-01-01T03:00"), _at("2026-03-01T03:00"), _at("2026-03-01T04:00")]
    assert backups.backups_to_keep(made, 7, 4) == {_at("2026-01-01T03:00"), _at("2026-03-01T04:00")}
    assert backups.backups_to_keep(made, 1, 0) == {_at("2026-03-01T04:00")}
    assert backups.backups_to_keep([], 7, 4) == set()


def test_backup_all_goes_on_after_a_failure_reports_it_and_prunes(app, make_tenant, tmp_path):
    healthy, broken = make_tenant(), make_tenant()
    old = tmp_path / healthy.slug
    old.mkdir()
    stale = [old / backups.backup_name(healthy.slug, datetime(2026, 1, day, 3)) for day in (1, 2)]
    for path in stale:
        path.write_bytes(b"an old backup")
    with app.app_context():
        row = db.session.get(Tenant, broken.id)
        original_url, row.database_url = row.database_url, _unreachable(row.database_url)
        db.session.commit()
    try:
        with app.app_context():
            app.config.update(BACKUP_KEEP_DAILY=1, BACKUP_KEEP_WEEKLY=1)
            result = app.test_cli_runner().invoke(args=["tenants", "backup", "--all", "--to", str(tmp_path)])
    finally:
        app.config.update(BACKUP_KEEP_DAILY=7, BACKUP_KEEP_WEEKLY=4)
        with app.app_context():
            row = db.session.get(Tenant, broken.id)
            row.database_url = original_url
            db.session.commit()
    assert result.exit_code == 1, result.output
    assert f"{broken.slug}: FAILED" in result.output and f"{healthy.slug}: ok" in result.output
    assert "failed" in result.output
    kept = list(backups.backups_in(old, healthy.slug))
    assert len(kept) == 1 and kept[0] not in stale  # the new one; the two of January pruned (one day, one week)
    assert not list((tmp_path / broken.slug).glob("*.tar"))


def _unreachable(url):
    parsed = sa.engine.make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return "sqlite:////nonexistent-dir/for/sure/broken.db"
    return parsed.set(database="tessera_no_such_database").render_as_string(hide_password=False)


def test_the_backup_sweep_backs_up_only_what_is_due(app, make_tenant, tmp_path):
    tenant = make_tenant()
    runner = app.test_cli_runner()
    first = runner.invoke(args=["tenants", "backup-sweep", "--once", "--to", str(tmp_path)])
    assert first.exit_code == 0 and f"{tenant.slug}: ok" in first.output
    again = runner.invoke(args=["tenants", "backup-sweep", "--once", "--to", str(tmp_path)])
    assert again.exit_code == 0 and tenant.slug not in again.output
    assert len(backups.backups_in(tmp_path / tenant.slug, tenant.slug)) == 1


# --- jobs of an organization in maintenance -------------------------------------------------------------------

JOB_RUNS = []


def note_job_run(label):
    """A job (run by RQ through app.jobs.run_in_tenant) that notes it ran."""
    JOB_RUNS.append(label)


def test_a_job_of_an_organization_in_maintenance_waits_and_runs_after(app, make_tenant):
    tenant = make_tenant()
    with app.app_context():
        job = enqueue(tenant, note_job_run, "after maintenance", retries=1)
        row = db.session.get(Tenant, tenant.id)
        row.status = TenantStatus.MAINTENANCE
        db.session.commit()
    run_jobs(app)
    job = Job.fetch(job.id, connection=redis_connection(app))
    assert job.get_status() == JobStatus.SCHEDULED and "after maintenance" not in JOB_RUNS
    assert job.retries_left == 1  # its own retry is still there
    with app.app_context():
        db.session.get(Tenant, tenant.id).status = TenantStatus.ACTIVE
        db.session.commit()
        queue = get_queue()
        queue.scheduled_job_registry.remove(job)
        queue.enqueue_job(job)  # what the worker's scheduler does 30 s later
    run_jobs(app)
    assert "after maintenance" in JOB_RUNS
    assert Job.fetch(job.id, connection=redis_connection(app)).get_status() == JobStatus.FINISHED


def test_a_job_of_a_suspended_organization_still_fails(app, make_tenant):
    tenant = make_tenant()
    with app.app_context():
        job = enqueue(tenant, note_job_run, "suspended", retries=0)
        provisioning.suspend_tenant(provisioning.get_tenant(tenant.id))
    run_jobs(app)
    assert Job.fetch(job.id, connection=redis_connection(app)).get_status() == JobStatus.FAILED
    assert "suspended" not in JOB_RUNS


def test_a_leftover_database_in_the_way_is_a_conflict_and_is_kept(app, world, backup):
    slug = unique_slug("rs")
    with app.app_context():
        url = provisioning.database_url_for(slug)
    databases.create_database(url)
    try:
        with app.app_context(), pytest.raises(databases.DatabaseExists):
            restores.restore_tenant(backup.path, world.tenant.slug, as_slug=slug)
        assert databases.database_exists(url)
        with app.app_context():
            assert db.session.scalar(sa.select(Tenant).where(Tenant.slug == slug)) is None
    finally:
        databases.drop_database(url)
