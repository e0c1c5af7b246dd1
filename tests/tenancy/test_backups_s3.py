# ruff: noqa: F811 - the imported fixtures are arguments of the tests below, as pytest passes them
"""Backups with media in S3: the same file and the same checks as tests/tenancy/test_backups.py (both run those of
tests/support/backups.py), the organization's objects streamed out of the bucket into the backup and put back under
the restored organization's prefix. The store is moto's S3 server on loopback, spoken to over HTTP by boto3 (as
tests/courses/test_media_s3.py does)."""

import pytest

from app.audit.platform import PlatformAuditEvent
from app.extensions import db
from app.tenancy import backups, provisioning
from tests.support.backups import (  # noqa: F401 - the fixtures, with this module's app
    backup,
    check_a_file_that_does_not_match_its_manifest_leaves_nothing,
    check_backup_holds_database_media_and_a_manifest,
    check_restore_as_a_new_slug_gives_every_row_and_every_file_and_serves_its_api,
    restored,
    world,
)
from tests.support.s3 import bucket, s3_app, s3_server  # noqa: F401 - fixtures


@pytest.fixture(scope="module")
def app(app_config, s3_server, bucket):
    """This module's app keeps its media in the bucket (every fixture that takes `app` gets this one)."""
    return s3_app(app_config, s3_server, bucket)


def test_backup_holds_database_media_and_a_manifest(app, world, backup):
    check_backup_holds_database_media_and_a_manifest(app, world, backup)


def test_restore_as_a_new_slug_gives_every_row_and_every_file_and_serves_its_api(app, api, world, backup, restored):
    check_restore_as_a_new_slug_gives_every_row_and_every_file_and_serves_its_api(app, api, world, backup, restored)


def test_a_file_that_does_not_match_its_manifest_leaves_nothing(app, world, backup, restored, tmp_path):
    check_a_file_that_does_not_match_its_manifest_leaves_nothing(app, world, backup, restored, tmp_path)


def test_the_bucket_holds_the_media_and_the_backup_streams_them_with_their_sha256(
    app, world, backup, s3_server, bucket
):
    listed = s3_server.client().list_objects_v2(Bucket=bucket, Prefix=f"media/{world.tenant.slug}/")
    keys = {entry["Key"][len("media/") :] for entry in listed.get("Contents", ())}
    assert len(keys) >= 5  # lesson files, covers, certificate PDFs, signature and background images
    assert {entry["path"] for entry in backup.manifest["files"] if entry["path"].startswith("media/")} == {
        f"media/{key}" for key in keys
    }
    assert backup.manifest["media_included"] is True
    with app.app_context():
        (entry,) = [
            entry
            for entry in db.session.scalars(
                db.select(PlatformAuditEvent).where(PlatformAuditEvent.target_label == world.tenant.slug)
            )
            if entry.action == "organization.backed_up"
        ]
        assert entry.details["files"] == len(backup.manifest["files"])


def test_a_backup_cut_off_by_the_bucket_leaves_no_file(app, world, tmp_path, s3_server, bucket, monkeypatch):
    def failing(self, key):
        raise ConnectionError("the bucket went away")

    monkeypatch.setattr(type(app.extensions["tessera.media_storage"]), "open_sized", failing)
    with app.app_context(), pytest.raises(ConnectionError):
        backups.backup_tenant(provisioning.get_tenant(world.tenant.id), tmp_path)
    assert list(tmp_path.iterdir()) == []
