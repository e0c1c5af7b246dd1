"""Backups of one organization that restore: its database, its media files and a manifest, in one tar file.

    manifest.json           format, slug, name, settings, schema revision, created_at, database kind,
                            rows and a checksum per table, size and sha256 per file
    database.sqlite3 | database.pgdump
    media/<slug>/<key>      the media storage's files (keys start with the slug)
    branding/<file>         the logo (instance/media/<slug>/)

Consistent while the app writes: the database copy is SQLite's online backup or `pg_dump` of an exported
snapshot, and the manifest's figures are read from exactly that copy. Media files are written once under new
keys and never changed, so they are hard-linked (copied across file systems) before the dump and again after
it: every file a row of the dump names is in the backup (a file both made and deleted within those seconds
excepted); a file no row names is carried along harmlessly.

Restoring one, checked before the organization opens: app/tenancy/restores.py. Every organization on a schedule,
with retention: `backup_all`, `backups_to_keep` below.
"""

import hashlib
import json
import logging
import os
import re
import shutil
import tarfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from alembic.util.exc import CommandError
from flask import current_app

from app.audit.platform import record_platform
from app.errors import BadRequest, Conflict, NotFound
from app.extensions import db
from app.storage import LocalStorage, media_storage
from app.tenancy import databases
from app.tenancy.migrations import head_revision, tenant_scripts
from app.tenancy.models import Tenant, TenantStatus

log = logging.getLogger(__name__)

FORMAT = "tessera-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
DATABASE_MEMBERS = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
CHUNK = 1 << 20
STAMP_FORMAT = "%Y%m%dT%H%M%S%fZ"


class BackupError(Conflict):
    pass


@dataclass
class Backup:
    path: Path
    manifest: dict
    seconds: float = 0.0


# --- where backups go, and what they are called ---------------------------------------------------------------


def backup_root():
    """LMS_BACKUP_DIR, default instance/backups/: each organization's backups in the folder of its slug."""
    config = current_app.config
    return Path(config.get("BACKUP_DIR") or Path(config["INSTANCE_DIR"]) / "backups")


def backup_name(slug, moment):
    return f"{slug}-{moment.strftime(STAMP_FORMAT)}.tar"


def backups_in(directory, slug):
    """{path: created_at} of `slug`'s backups in `directory` (by their names), oldest first."""
    pattern = re.compile(rf"^{re.escape(slug)}-(\d{{8}}T\d{{12}}Z)\.tar$")
    found = {}
    directory = Path(directory)
    if directory.is_dir():
        for path in directory.iterdir():
            match = pattern.match(path.name)
            if match:
                found[path] = datetime.strptime(match.group(1), STAMP_FORMAT)
    return dict(sorted(found.items(), key=lambda item: item[1]))


# --- media ---------------------------------------------------------------------------------------------------


def _media_folders(slug):
    """(prefix in the archive, folder on disk) of the organization's files on this machine: the local media
    storage's (with S3 media: none, the bucket's objects are streamed instead) and the logo's."""
    storage = media_storage()
    branding = Path(current_app.config["INSTANCE_DIR"]) / "media" / slug  # blueprints/organizations/settings.py
    if not isinstance(storage, LocalStorage):
        return [("branding", branding)]
    return [(f"media/{slug}", storage.root / slug), ("branding", branding)]


def _bucket_objects(slug, listed):
    """Add to `listed` ({key: size}) the organization's objects in the S3 bucket, if media live there."""
    storage = media_storage()
    if not isinstance(storage, LocalStorage):
        listed.update(storage.keys_under(slug))
    return listed


class _HashingReader:
    """Reads a stream through, hashing it: a file is hashed on its way into (or out of) the archive, so an
    object of any size costs one buffer."""

    def __init__(self, stream):
        self.stream, self.digest = stream, hashlib.sha256()

    def read(self, size=CHUNK):
        chunk = self.stream.read(CHUNK if size is None or size < 0 else size)
        self.digest.update(chunk)
        return chunk


def _stream_objects(archive, listed):
    """Stream each listed object of the bucket into `archive` as `media/<key>`, hashing it on the way; an object
    deleted since it was listed is skipped (its row is gone too, or was never in the dump). The manifest's
    entries of what was written."""
    storage, entries = media_storage(), []
    for key in sorted(listed):
        opened = storage.open_sized(key)
        if opened is None:
            continue
        body, size = opened
        name = f"media/{key}"
        member = tarfile.TarInfo(name)
        member.size, member.mtime, member.mode = size, int(time.time()), 0o644
        reader = _HashingReader(body)
        try:
            archive.addfile(member, reader)
        finally:
            body.close()
        entries.append({"path": name, "size": size, "sha256": reader.digest.hexdigest()})
    return entries


def _stage_files(folders, staging, staged):
    """Hard-link (or copy) every file of `folders` not staged yet into `staging`; a file deleted meanwhile is
    skipped."""
    for prefix, folder in folders:
        if not folder.is_dir():
            continue
        for source in sorted(folder.rglob("*")):
            name = f"{prefix}/{source.relative_to(folder).as_posix()}"
            if name in staged or not source.is_file():
                continue
            target = staging / name
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                try:
                    os.link(source, target)
                except OSError:
                    shutil.copy2(source, target)
            except FileNotFoundError:
                continue
            staged.add(name)


def _sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        while chunk := stream.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


# --- backing up ----------------------------------------------------------------------------------------------


def backup_tenant(tenant, to_dir=None):
    """Write one tar file with the organization's database, media and manifest into `to_dir` (default: the
    backup directory's folder of its slug); nothing half-written is left under the final name. Media in S3 are
    listed before and after the dump like local files are staged, and streamed from the bucket into the file."""
    started = time.monotonic()
    if tenant.status == TenantStatus.PROVISIONING:
        raise Conflict(f"{tenant.slug} is still being provisioned.")
    if tenant.status == TenantStatus.ARCHIVED and (tenant.settings or {}).get("purged_at"):
        raise Conflict(f"{tenant.slug} was purged: its archive's backup is at {tenant.backup_path}.")
    directory = Path(to_dir) if to_dir else backup_root() / tenant.slug
    directory.mkdir(parents=True, exist_ok=True)
    kind = databases.kind_of(tenant.database_url)
    created_at = datetime.now(UTC)
    final = directory / backup_name(tenant.slug, created_at)
    folders = _media_folders(tenant.slug)
    with databases.scratch_directory(directory) as staging:
        staged, listed = set(), _bucket_objects(tenant.slug, {})
        _stage_files(folders, staging, staged)
        database_file = staging / DATABASE_MEMBERS[kind]
        _, figures, revision = databases.dump_with_figures(tenant.database_url, database_file)
        _stage_files(folders, staging, staged)  # what was written while the database was copied
        _bucket_objects(tenant.slug, listed)
        manifest = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "slug": tenant.slug,
            "name": tenant.name,
            "settings": dict(tenant.settings or {}),
            "schema_revision": revision,
            "created_at": created_at.isoformat(),
            "database_kind": kind,
            "database": {"path": DATABASE_MEMBERS[kind], "sha256": _sha256(database_file)},
            "media_included": True,
            "tables": figures,
            "files": [
                {"path": name, "size": (staging / name).stat().st_size, "sha256": _sha256(staging / name)}
                for name in sorted(staged)
            ],
        }
        partial = directory / f".{final.name}.partial"
        try:
            with tarfile.open(partial, "w") as archive:
                archive.add(database_file, DATABASE_MEMBERS[kind])
                for name in sorted(staged):
                    archive.add(staging / name, name)
                manifest["files"] += _stream_objects(archive, listed)
                # last: the bucket's objects are hashed while they stream in (readers find the manifest by name)
                (staging / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True))
                archive.add(staging / MANIFEST, MANIFEST)
        except BaseException:
            partial.unlink(missing_ok=True)  # the bucket failed half-way: no half backup is left
            raise
        os.replace(partial, final)
    record_platform(
        "organization.backed_up",
        tenant,
        details={"file": str(final), "media_included": manifest["media_included"], "files": len(manifest["files"])},
        commit=True,
    )
    return Backup(final, manifest, time.monotonic() - started)


# --- reading a backup ----------------------------------------------------------------------------------------


def read_manifest(path):
    """The manifest of the backup at `path`; BadRequest for anything that is not one of ours."""
    path = Path(path)
    if not path.is_file():
        raise NotFound(f"No backup file at {path}.")
    try:
        with tarfile.open(path, "r:") as archive:
            member = archive.getmember(MANIFEST)
            manifest = json.load(archive.extractfile(member))
    except (tarfile.TarError, KeyError, ValueError, OSError) as error:
        raise BadRequest(f"{path} is not a Tessera backup ({error}).") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BadRequest(f"{path} is not a Tessera backup.")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise BadRequest(
            f"{path} is a Tessera backup of format {manifest.get('format_version')!r}, not {FORMAT_VERSION}."
        )
    if not _well_formed(manifest):
        raise BadRequest(f"{path} has a damaged manifest.")
    return manifest


def _well_formed(manifest):
    def entry(value):
        return isinstance(value, dict) and isinstance(value.get("path"), str) and isinstance(value.get("sha256"), str)

    tables = manifest.get("tables")
    return (
        all(isinstance(manifest.get(name), str) for name in ("slug", "name", "schema_revision"))
        and manifest.get("database_kind") in DATABASE_MEMBERS
        and entry(manifest.get("database"))
        and isinstance(tables, dict)
        and all(isinstance(table, dict) and isinstance(table.get("rows"), int) for table in tables.values())
        and isinstance(manifest.get("files"), list)
        and all(entry(file) for file in manifest["files"])
        and isinstance(manifest.get("settings", {}), dict)
    )


def check_revision(manifest):
    """A backup from newer code (a revision this code does not know) is refused; an older one is upgraded after
    the restore."""
    revision = manifest.get("schema_revision")
    try:
        known = revision is not None and tenant_scripts().get_revision(revision) is not None
    except CommandError:
        known = False
    if not known:
        raise Conflict(
            f"This backup's schema revision {revision!r} is newer than this code's ({head_revision()}): "
            "restore it with the Tessera version that made it, or a later one."
        )


def upload_checked(archive, entry, key):
    """Stream one member into the media storage's object `key`, hashing it on the way; BackupError (and the object
    removed) when it is not what the manifest says."""
    member = archive.getmember(entry["path"])
    if not member.isfile():
        raise BackupError(f"{entry['path']} in the backup is not a file.")
    storage = media_storage()
    with archive.extractfile(member) as source:
        reader = _HashingReader(source)
        storage.put(key, reader)
    if reader.digest.hexdigest() != entry["sha256"]:
        storage.delete(key)
        raise BackupError(f"{entry['path']} in the backup does not match its sha256 in the manifest.")


def extract_checked(archive, entry, destination):
    """Copy one member to `destination`, hashing it on the way; BackupError when it is not what the manifest
    says."""
    member = archive.getmember(entry["path"])
    if not member.isfile():
        raise BackupError(f"{entry['path']} in the backup is not a file.")
    digest = hashlib.sha256()
    destination.parent.mkdir(parents=True, exist_ok=True)
    with archive.extractfile(member) as source, open(destination, "wb") as out:
        while chunk := source.read(CHUNK):
            digest.update(chunk)
            out.write(chunk)
    if digest.hexdigest() != entry["sha256"]:
        destination.unlink(missing_ok=True)
        raise BackupError(f"{entry['path']} in the backup does not match its sha256 in the manifest.")


# --- every organization, on a schedule, with retention --------------------------------------------------------


def backups_to_keep(created, keep_daily, keep_weekly):
    """Of backups made at the datetimes `created`, those to keep: the newest of each of the `keep_daily` most
    recent days that have a backup, and the newest of each of the `keep_weekly` most recent ISO weeks that have
    one. Counting days and weeks with a backup (not calendar days) means a pause in backups never deletes the
    last good ones."""
    keep = set()
    for period, count in ((lambda moment: moment.date(), keep_daily), (_iso_week, keep_weekly)):
        newest = {}
        for moment in created:
            key = period(moment)
            if key not in newest or moment > newest[key]:
                newest[key] = moment
        keep.update(newest[key] for key in sorted(newest, reverse=True)[: max(count, 0)])
    return keep


def _iso_week(moment):
    year, week, _ = moment.isocalendar()
    return (year, week)


def prune_backups(directory, slug, keep_daily=None, keep_weekly=None):
    """Delete `slug`'s backups in `directory` that the retention rule does not keep; returns the deleted paths."""
    config = current_app.config
    keep_daily = config["BACKUP_KEEP_DAILY"] if keep_daily is None else keep_daily
    keep_weekly = config["BACKUP_KEEP_WEEKLY"] if keep_weekly is None else keep_weekly
    found = backups_in(directory, slug)
    keep = backups_to_keep(found.values(), keep_daily, keep_weekly)
    deleted = []
    for path, created in found.items():
        if created not in keep:
            path.unlink(missing_ok=True)
            deleted.append(path)
    return deleted


@dataclass
class BackupOutcome:
    slug: str
    ok: bool
    message: str
    path: Path | None = None
    pruned: list = field(default_factory=list)


def _backup_and_prune(tenant, to_dir):
    directory = Path(to_dir) / tenant.slug if to_dir else backup_root() / tenant.slug
    made = backup_tenant(tenant, directory)
    pruned = prune_backups(directory, tenant.slug)
    size = made.path.stat().st_size
    return BackupOutcome(tenant.slug, True, f"{made.path} ({size} bytes, {made.seconds:.1f} s)", made.path, pruned)


def backup_all(to_dir=None, only_due=False):
    """Back up every active organization (into `to_dir`/<slug>/, default the backup directory), then apply the
    retention rule to its folder. With `only_due`, only those whose newest backup is older than
    BACKUP_EVERY_HOURS. One organization's failure is logged and reported, and the others go on."""
    every = timedelta(hours=current_app.config["BACKUP_EVERY_HOURS"])
    tenants = db.session.scalars(
        sa.select(Tenant).where(Tenant.status == TenantStatus.ACTIVE).order_by(Tenant.slug)
    ).all()
    outcomes = []
    for tenant in tenants:
        if only_due:
            directory = Path(to_dir) / tenant.slug if to_dir else backup_root() / tenant.slug
            made = list(backups_in(directory, tenant.slug).values())
            if made and datetime.now(UTC).replace(tzinfo=None) - made[-1] < every:
                continue
        try:
            outcomes.append(_backup_and_prune(tenant, to_dir))
        except Exception as error:  # report and go on with the next organization
            log.exception("Backing up %s failed", tenant.slug)
            db.session.rollback()
            message = getattr(error, "message", None) or f"{type(error).__name__}: {error}"
            outcomes.append(BackupOutcome(tenant.slug, False, message))
    return outcomes
