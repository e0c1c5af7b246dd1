"""Backups that restore (docs/operations.md, "Backups and moves"): one file with the database, the media and a
manifest; restored into a new organization or over one, checked; every organization on a schedule, with
retention. On SQLite and (TEST_DB=postgres) on PostgreSQL."""

import hashlib
import io
import json
import re
import tarfile
import threading
import time
import uuid
from datetime import datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
import urllib3
from rq.job import Job, JobStatus

from app.audit.platform import PlatformAuditEvent
from app.errors import BadRequest, Conflict
from app.extensions import db
from app.jobs import enqueue, get_queue, redis_connection
from app.security.actor import Actor
from app.security.permissions import ORG_ADMIN
from app.security.principal import Principal
from app.storage import LocalStorage, media_storage
from app.tenancy import backups, databases, provisioning, restores
from app.tenancy.context import tenant_context
from app.tenancy.engines import create_tenant_engine
from app.tenancy.migrations import current_revision, head_revision, tenant_scripts, upgrade_tenant_database
from app.tenancy.models import Tenant, TenantStatus
from app.tenancy.provisioning import provision_tenant
from blueprints.certificates import templates as certificate_templates
from blueprints.courses.models import ContentItem
from blueprints.learning import services as learning
from blueprints.organizations.settings import save_logo
from blueprints.users.services import create_user, find_user_by_email
from tests.conftest import PASSWORD, TEST_DB, build_app, destroy_tenant, run_jobs, unique_slug
from tests.support.tables import rows_of_every_table
from tests.support.world import build_world, png_bytes

# The columns that name a file in the media storage: restored under another slug, their keys start with it.
STORAGE_KEY_COLUMNS = {
    ("media_files", "storage_key"),
    ("courses", "cover_key"),
    ("certificates", "pdf_key"),
    ("certificate_archives", "file_key"),
    ("certificate_templates", "background_key"),
    ("badges", "image_key"),
    ("question_versions", "image_key"),
    ("reports", "file_key"),
    ("data_exports", "file_key"),  # a person's data export (part privacy)
    ("certificate_templates", "signatures"),  # JSON: [{"name", "title", "image_key"}]
    ("question_versions", "content"),  # JSON with an "image_key"
}


@pytest.fixture(scope="module")
def world(app):
    """An organization with people, courses with media, enrollments, progress, attempts, certificates, badges…
    and a logo; dropped after the module."""
    with app.app_context():
        tenant = provision_tenant(unique_slug("bk"), "Backed Up", "admin@example.org", PASSWORD).tenant.ref()
    try:
        made = build_world(app, tenant, run_jobs)
        with tenant_context(tenant, app):
            lesson = db.session.get(ContentItem, made.i1)
            learning.complete_item(lesson, made.s_north)  # progress
            db.session.commit()
            admin = Actor(Principal("user", made.admin, "admin@example.org", (ORG_ADMIN,), tenant.id))
            template = certificate_templates.default_template()
            template.signatures = [{"name": "Ada", "title": "Director", "image_key": None}]
            db.session.commit()
            certificate_templates.set_signature_image(template.id, 0, png_bytes((60, 30), "black"), actor=admin)
            certificate_templates.set_background(template.id, png_bytes((60, 40), "white"), actor=admin)
            save_logo(tenant, png_bytes((40, 40), "navy"))
        with app.app_context():
            tenant = db.session.get(Tenant, tenant.id).ref()
        made.tenant = tenant
        yield made
    finally:
        destroy_tenant(app, tenant.id)


@pytest.fixture(scope="module")
def backup(app, world, tmp_path_factory):
    with app.app_context():
        return backups.backup_tenant(provisioning.get_tenant(world.tenant.id), tmp_path_factory.mktemp("backups"))


@pytest.fixture
def restored(app):
    """restored(slug) is dropped (database, row, media) after the test."""
    slugs = []
    yield slugs
    for slug in slugs:
        with app.app_context():
            row = db.session.scalar(sa.select(Tenant).where(Tenant.slug == slug))
        if row is not None:
            destroy_tenant(app, row.id)
        _remove_media(app, slug)


def _remove_media(app, slug):
    with app.app_context():
        storage = media_storage()
        folders = [Path(app.config["INSTANCE_DIR"]) / "media" / slug]
        if isinstance(storage, LocalStorage):
            folders.append(storage.root / slug)
        else:
            for key in storage.keys_under(slug):
                storage.delete(key)
        for folder in folders:
            for path in sorted(folder.rglob("*"), reverse=True) if folder.exists() else ():
                path.unlink() if path.is_file() else path.rmdir()


def _files_under(folder):
    return {path.relative_to(folder).as_posix(): path.read_bytes() for path in folder.rglob("*") if path.is_file()}


def stored_files(app, slug):
    """{name under the slug: bytes} of the organization's files in the media storage: its folder, or its objects
    in the S3 bucket (tests/tenancy/test_backups_s3.py runs these tests with media in S3)."""
    with app.app_context():
        storage = media_storage()
        if isinstance(storage, LocalStorage):
            return _files_under(storage.root / slug)
        return {key.split("/", 1)[1]: storage.open(key).read() for key in storage.keys_under(slug)}


def test_backup_holds_database_media_and_a_manifest(app, world, backup):
    manifest = backup.manifest
    assert backup.path.name.startswith(f"{world.tenant.slug}-") and backup.path.suffix == ".tar"
    kind = "postgresql" if TEST_DB == "postgres" else "sqlite"
    assert manifest["slug"] == world.tenant.slug and manifest["name"] == "Backed Up"
    assert manifest["database_kind"] == kind and manifest["settings"]["logo"] == "png"
    with app.app_context():
        engine = sa.create_engine(world.tenant.database_url, poolclass=sa.pool.NullPool)
        with engine.connect() as conn:
            assert manifest["schema_revision"] == conn.scalar(sa.text("SELECT version_num FROM alembic_version"))
            people = conn.scalar(sa.text("SELECT count(*) FROM users"))
        engine.dispose()
    assert manifest["tables"]["users"]["rows"] == people >= 10
    for table in ("enrollments", "item_progress", "quiz_attempts", "certificates", "media_files"):
        assert manifest["tables"][table]["rows"] > 0, table
    with tarfile.open(backup.path) as archive:
        names = set(archive.getnames())
        for entry in manifest["files"]:
            data = archive.extractfile(entry["path"]).read()
            assert len(data) == entry["size"]
    media = stored_files(app, world.tenant.slug)
    assert media and all(
        archive_entry["sha256"] == hashlib.sha256(media[archive_entry["path"].split("/", 2)[2]]).hexdigest()
        for archive_entry in manifest["files"]
        if archive_entry["path"].startswith("media/")
    )
    assert {f"media/{world.tenant.slug}/{name}" for name in media} | {"branding/logo.png"} == {
        entry["path"] for entry in manifest["files"]
    }
    assert {"manifest.json", manifest["database"]["path"]} <= names


def test_restore_as_a_new_slug_gives_every_row_and_every_file_and_serves_its_api(app, api, world, backup, restored):
    new_slug = unique_slug("rs")
    restored.append(new_slug)
    result = app.test_cli_runner().invoke(
        args=["tenants", "restore", world.tenant.slug, str(backup.path), "--as", new_slug]
    )
    assert result.exit_code == 0, result.output
    assert "checked" in result.output
    with app.app_context():
        copy = provisioning.get_tenant_by_slug(new_slug).ref()
        recorded = db.session.scalar(
            sa.select(PlatformAuditEvent).where(
                PlatformAuditEvent.action == "organization.restored", PlatformAuditEvent.target_label == new_slug
            )
        )  # in the platform's audit trail, by the command that did it
        assert recorded.actor_kind == "system" and recorded.actor_label.endswith("tenants restore")
        assert recorded.details["backup_of"] == world.tenant.slug and recorded.details["replaced"] is False
    assert copy.status == TenantStatus.ACTIVE and copy.database_url != world.tenant.database_url
    assert copy.settings == world.tenant.settings and copy.name == world.tenant.name

    old, new = world.tenant.slug, new_slug
    source, target = rows_of_every_table(world.tenant.database_url), rows_of_every_table(copy.database_url)
    assert sorted(source) == sorted(target)
    renamed_columns = set()
    for table, (columns, rows) in source.items():
        target_rows = target[table][1]
        assert len(rows) == len(target_rows), table
        for row, copied in zip(rows, target_rows, strict=True):
            for column, value, copied_value in zip(columns, row, copied, strict=True):
                if value == copied_value:
                    continue
                # only a storage key differs: the same file under the new slug
                assert (table, column) in STORAGE_KEY_COLUMNS, (table, column, value, copied_value)
                expected = re.sub(rf'([":]){re.escape(old)}/', rf"\g<1>{new}/", json.dumps(value))  # a key, kind:key
                assert json.dumps(copied_value) == expected
                renamed_columns.add((table, column))
    assert {
        ("media_files", "storage_key"),
        ("courses", "cover_key"),
        ("certificates", "pdf_key"),
        ("certificate_templates", "background_key"),
        ("certificate_templates", "signatures"),
    } <= renamed_columns

    assert stored_files(app, new) == stored_files(app, old) != {}
    branding = Path(app.config["INSTANCE_DIR"]) / "media"
    assert _files_under(branding / new) == _files_under(branding / old) != {}

    login = api(copy).post("/api/v1/auth/login", json={"email": "admin@example.org", "password": PASSWORD})
    assert login.status_code == 200, login.get_json()
    admin = api(copy, login.get_json()["data"]["access_token"])
    assert admin.get("/api/v1/courses").get_json()["meta"]["total"] >= 4
    assert served(admin.get(f"/api/v1/media/{world.md1}")).startswith(b"%PDF")
    assert served(admin.get(f"/api/v1/courses/{world.c1}/cover"))
    # the copy is its own organization: a new person there is not in the original
    created = admin.post(
        "/api/v1/users",
        json={"email": "only-in-copy@example.org", "role": "student", "first_name": "O", "last_name": "C"},
    )
    assert created.status_code == 201, created.get_json()
    with tenant_context(world.tenant, app):
        assert find_user_by_email("only-in-copy@example.org") is None


def served(response):
    """The bytes of a served file: the answer itself, or (media in S3) what its presigned link answers."""
    if response.status_code == 302:
        fetched = urllib3.request("GET", response.headers["Location"], redirect=False)
        assert fetched.status == 200
        return fetched.data
    assert response.status_code == 200
    return response.data


def _rewritten(path, tmp_path, change):
    """A copy of the backup at `path` whose manifest `change(manifest)` edits."""
    copy = tmp_path / path.name
    with tarfile.open(path) as source, tarfile.open(copy, "w") as target:
        for member in source.getmembers():
            data = source.extractfile(member).read()
            if member.name == "manifest.json":
                manifest = json.loads(data)
                change(manifest)
                data = json.dumps(manifest).encode()
                member.size = len(data)
            target.addfile(member, io.BytesIO(data))
    return copy


def test_a_backup_of_a_newer_schema_is_refused(app, world, backup, restored, tmp_path):
    newer = _rewritten(backup.path, tmp_path, lambda manifest: manifest.update(schema_revision="9999_from_the_future"))
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
    damaged = _rewritten(backup.path, tmp_path, lambda manifest: manifest.pop("tables"))
    for path, message in ((not_a_tar, "is not a Tessera backup"), (damaged, "damaged manifest")):
        result = app.test_cli_runner().invoke(
            args=["tenants", "restore", world.tenant.slug, str(path), "--as", "x-y-z"]
        )
        assert result.exit_code == 1 and message in result.output, result.output
    missing = app.test_cli_runner().invoke(args=["tenants", "restore", world.tenant.slug, str(tmp_path / "none.tar")])
    assert missing.exit_code == 1 and "No backup file" in missing.output


def test_a_file_that_does_not_match_its_manifest_leaves_nothing(app, world, backup, restored, tmp_path):
    def damage(manifest):
        manifest["files"][-1]["sha256"] = "0" * 64  # a media file: the ones before it are written, then removed

    damaged = _rewritten(backup.path, tmp_path, damage)
    slug = unique_slug("rs")
    restored.append(slug)
    with app.app_context(), pytest.raises(Conflict, match="does not match its sha256"):
        restores.restore_tenant(damaged, world.tenant.slug, as_slug=slug)
    with app.app_context():
        assert db.session.scalar(sa.select(Tenant).where(Tenant.slug == slug)) is None
        assert not databases.database_exists(provisioning.database_url_for(slug))
    assert stored_files(app, slug) == {}


@pytest.mark.parametrize("name", ["branding/../../escaped.png", "media/other-org/file", "/etc/escaped"])
def test_a_file_named_outside_the_organization_is_refused(app, world, backup, restored, tmp_path, name):
    def point_elsewhere(manifest):
        manifest["files"][0]["path"] = name

    crafted = _rewritten(backup.path, tmp_path, point_elsewhere)
    slug = unique_slug("rs")
    restored.append(slug)
    with app.app_context(), pytest.raises(Conflict, match="is not a file of"):
        restores.restore_tenant(crafted, world.tenant.slug, as_slug=slug)
    assert not (Path(app.config["INSTANCE_DIR"]) / "escaped.png").exists()
    with app.app_context():
        assert db.session.scalar(sa.select(Tenant).where(Tenant.slug == slug)) is None


def test_a_table_that_does_not_match_its_manifest_is_refused(app, world, backup, restored, tmp_path):
    damaged = _rewritten(backup.path, tmp_path, lambda manifest: manifest["tables"]["users"].update(rows=1))
    slug = unique_slug("rs")
    restored.append(slug)
    with app.app_context(), pytest.raises(Conflict, match="users: expected 1 rows"):
        restores.restore_tenant(damaged, world.tenant.slug, as_slug=slug)
    with app.app_context():
        assert db.session.scalar(sa.select(Tenant).where(Tenant.slug == slug)) is None


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
    damaged = _rewritten(made.path, tmp_path / "damaged", lambda manifest: manifest["tables"]["users"].update(rows=99))
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
