"""Backups for tests: an organization with every kind of row and file (`world`), its backup, restores that are
dropped after the test, and the checks that hold whatever the media storage (a folder, or an S3 bucket).

tests/tenancy/test_backups.py and tests/tenancy/test_backups_s3.py each import the fixtures (pytest then builds
them with that module's `app`) and run the `check_*` functions as tests of their own:

    from tests.support.backups import backup, restored, world  # the fixtures

    def test_backup_holds_database_media_and_a_manifest(app, world, backup):
        check_backup_holds_database_media_and_a_manifest(app, world, backup)
"""

import hashlib
import io
import json
import re
import tarfile
from pathlib import Path

import pytest
import sqlalchemy as sa
import urllib3

from app.audit.platform import PlatformAuditEvent
from app.errors import Conflict
from app.extensions import db
from app.security.actor import Actor
from app.security.permissions import ORG_ADMIN
from app.security.principal import Principal
from app.storage import LocalStorage, media_storage
from app.tenancy import backups, databases, provisioning, restores
from app.tenancy.context import tenant_context
from app.tenancy.models import Tenant, TenantStatus
from app.tenancy.provisioning import provision_tenant
from blueprints.certificates import templates as certificate_templates
from blueprints.courses.models import ContentItem
from blueprints.learning import services as learning
from blueprints.organizations.settings import save_logo
from blueprints.users.services import find_user_by_email
from tests.conftest import PASSWORD, TEST_DB, destroy_tenant, run_jobs, unique_slug
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


def files_under(folder):
    return {path.relative_to(folder).as_posix(): path.read_bytes() for path in folder.rglob("*") if path.is_file()}


def stored_files(app, slug):
    """{name under the slug: bytes} of the organization's files in the media storage: its folder, or its objects
    in the S3 bucket (tests/tenancy/test_backups_s3.py runs these checks with media in S3)."""
    with app.app_context():
        storage = media_storage()
        if isinstance(storage, LocalStorage):
            return files_under(storage.root / slug)
        return {key.split("/", 1)[1]: storage.open(key).read() for key in storage.keys_under(slug)}


def check_backup_holds_database_media_and_a_manifest(app, world, backup):
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


# What a copy under a new slug changes so that it never acts as the original (app/tenancy/restores.py, _quiet_copy).
COPY_QUIETED = {
    ("integrations", "status"),
    ("integrations", "disabled_reason"),
    ("api_keys", "revoked_at"),
    ("webhook_deliveries", "status"),
    ("webhook_deliveries", "next_attempt_at"),
    ("webhook_deliveries", "lease_until"),
    ("webhook_deliveries", "last_error"),
}


def check_restore_as_a_new_slug_gives_every_row_and_every_file_and_serves_its_api(app, api, world, backup, restored):
    new_slug = unique_slug("rs")
    restored.append(new_slug)
    result = app.test_cli_runner().invoke(
        args=["tenants", "restore", world.tenant.slug, str(backup.path), "--as", new_slug]
    )
    assert result.exit_code == 0, result.output
    assert "checked" in result.output and "integrations disabled" in result.output
    with app.app_context():
        copy = provisioning.get_tenant_by_slug(new_slug).ref()
        recorded = db.session.scalar(
            sa.select(PlatformAuditEvent).where(
                PlatformAuditEvent.action == "organization.restored", PlatformAuditEvent.target_label == new_slug
            )
        )  # in the platform's audit trail, by the command that did it
        assert recorded.actor_kind == "system" and recorded.actor_label.endswith("tenants restore")
        assert recorded.details["backup_of"] == world.tenant.slug and recorded.details["replaced"] is False
        quieted = (recorded.details["integrations_disabled"], recorded.details["api_keys_revoked"])
    assert copy.status == TenantStatus.ACTIVE and copy.database_url != world.tenant.database_url
    assert copy.settings == world.tenant.settings and copy.name == world.tenant.name

    old, new = world.tenant.slug, new_slug
    source, target = rows_of_every_table(world.tenant.database_url), rows_of_every_table(copy.database_url)
    assert sorted(source) == sorted(target)
    renamed_columns, quiet = set(), {"integrations": set(), "api_keys": set(), "webhook_deliveries": set()}
    for table, (columns, rows) in source.items():
        target_rows = target[table][1]
        assert len(rows) == len(target_rows), table
        for row, copied in zip(rows, target_rows, strict=True):
            for column, value, copied_value in zip(columns, row, copied, strict=True):
                if value == copied_value:
                    continue
                if (table, column) in COPY_QUIETED:  # the copy must not act as the original: see below
                    quiet[table].add(copied[0])
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

    # the copy's integrations disabled and its API keys revoked, each one the original had working; the original's
    # untouched (compared above: every other value is the same)
    integrations, keys = target["integrations"], target["api_keys"]
    states = {dict(zip(integrations[0], row, strict=True))["status"] for row in integrations[1]}
    assert states == {"disabled"} and len(quiet["integrations"]) == quieted[0] > 0
    assert all(dict(zip(keys[0], row, strict=True))["revoked_at"] for row in keys[1])
    live_keys = [
        row for row in source["api_keys"][1] if not dict(zip(source["api_keys"][0], row, strict=True))["revoked_at"]
    ]
    assert len(quiet["api_keys"]) == quieted[1] == len(live_keys) > 0
    sent = {
        dict(zip(target["webhook_deliveries"][0], row, strict=True))["status"]
        for row in target["webhook_deliveries"][1]
    }
    assert not sent & {"pending", "sending"}  # the original's to send, not the copy's

    assert stored_files(app, new) == stored_files(app, old) != {}
    branding = Path(app.config["INSTANCE_DIR"]) / "media"
    assert files_under(branding / new) == files_under(branding / old) != {}

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


def rewritten(path, tmp_path, change):
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


def refused_restore(app, world, restored, damaged, refusal):
    """Restore the damaged archive `damaged` as a new organization, which must be refused with `refusal` and leave no
    organization behind; returns the slug it would have had."""
    slug = unique_slug("rs")
    restored.append(slug)
    with app.app_context(), pytest.raises(Conflict, match=refusal):
        restores.restore_tenant(damaged, world.tenant.slug, as_slug=slug)
    with app.app_context():
        assert db.session.scalar(sa.select(Tenant).where(Tenant.slug == slug)) is None
    return slug


def check_a_file_that_does_not_match_its_manifest_leaves_nothing(app, world, backup, restored, tmp_path):
    def damage(manifest):
        manifest["files"][-1]["sha256"] = "0" * 64  # a media file: the ones before it are written, then removed

    slug = refused_restore(app, world, restored, rewritten(backup.path, tmp_path, damage), "does not match its sha256")
    with app.app_context():
        assert not databases.database_exists(provisioning.database_url_for(slug))
    assert stored_files(app, slug) == {}
