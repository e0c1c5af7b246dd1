"""Restoring a backup (app/tenancy/backups.py): into a new organization, or over an existing one, checked before
it opens: every file's sha256, every table's rows and checksum against the manifest (docs/operations.md)."""

import os
import tarfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from app.audit.platform import record_platform
from app.errors import BadRequest, Conflict
from app.extensions import db
from app.storage import LocalStorage, media_storage
from app.tenancy import backups, databases, provisioning, servers
from app.tenancy.engines import create_tenant_engine, enable_wal, engine_registry
from app.tenancy.migrations import head_revision, upgrade_tenant_database
from app.tenancy.models import Tenant, TenantStatus, utcnow


@dataclass
class RestoreResult:
    slug: str
    database_url: str
    database_server: str
    tables: int
    rows: int
    files: int
    upgraded_from: str | None
    replaced: bool
    seconds: float
    notes: list = field(default_factory=list)


def _media_destination(entry, source_slug, target_slug):
    """Where a file of the backup goes for the organization `target_slug`, and its storage key (None: the logo).
    A name that would leave those folders (`..`, absolute) is refused."""
    name = entry["path"]
    parts = name.split("/")
    if name.startswith("/") or ".." in parts or "" in parts:
        raise backups.BackupError(f"{name} in the backup is not a file of {source_slug}.")
    if parts[0] == "branding" and len(parts) == 2:
        return Path(current_app.config["INSTANCE_DIR"]) / "media" / target_slug / parts[1], None
    if parts[:2] != ["media", source_slug] or len(parts) < 3:
        raise backups.BackupError(f"{name} in the backup is not a file of {source_slug}.")
    key = "/".join([target_slug, *parts[2:]])
    storage = media_storage()
    if not isinstance(storage, LocalStorage):
        return None, key  # an object of the bucket
    return storage._path(key), key  # LocalStorage's own check: the key stays under its root


def _copy_media(archive, manifest, target_slug, written):
    """Every file of the backup into the organization's media (a folder, or the S3 bucket under the organization's
    prefix), each checked against its sha256; returns {old storage key: new key}. `written` gets each file's path
    or object key, for `remove_written` to take back."""
    source_slug = manifest["slug"]
    renamed = {}
    for entry in manifest["files"]:
        destination, key = _media_destination(entry, source_slug, target_slug)
        if destination is None:
            backups.upload_checked(archive, entry, key)
            written.append(key)
        else:
            partial = destination.with_name(f".{destination.name}.restoring")
            backups.extract_checked(archive, entry, partial)
            os.replace(partial, destination)
            written.append(destination)
        if key is not None:
            renamed[entry["path"][len("media/") :]] = key  # "media/<old slug>/<name>" held "<old slug>/<name>"
    return renamed


def remove_written(written):
    """Take back the files a failed restore wrote: paths on disk, keys of the S3 bucket."""
    for file in written:
        if isinstance(file, Path):
            file.unlink(missing_ok=True)
        else:
            media_storage().delete(file)


def _renamed_value(value, renamed):
    """`value` with every storage key of `renamed` in it (a key, `kind:key`, or inside JSON lists and objects)
    replaced by its new key; the same object when nothing in it is one."""
    if isinstance(value, str):
        kind, separator, key = value.rpartition(":") if ":" in value else ("", "", value)
        return f"{kind}{separator}{renamed[key]}" if key in renamed else value
    if isinstance(value, list):
        items = [_renamed_value(item, renamed) for item in value]
        return items if any(a is not b for a, b in zip(items, value, strict=True)) else value
    if isinstance(value, dict):
        items = {name: _renamed_value(item, renamed) for name, item in value.items()}
        return items if any(items[name] is not value[name] for name in value) else value
    return value


def _rename_storage_keys(database_url, renamed):
    """A backup restored under another slug: its rows name files by keys that start with the old slug; point
    them at the copies under the new one. Any text column whose value is such a key (or `kind:key`, as badges
    keep theirs), and any such value inside a JSON column (certificate signatures, question contents), is
    rewritten, whichever feature's table it is in."""
    if not renamed:
        return 0
    old_prefix = next(iter(renamed)).split("/", 1)[0] + "/"
    changed = 0
    engine = sa.create_engine(make_url(database_url), poolclass=NullPool)
    try:
        with engine.begin() as conn:
            metadata = sa.MetaData()
            metadata.reflect(conn)
            for table in metadata.tables.values():
                keys = list(table.primary_key.columns)
                columns = [c for c in table.columns if isinstance(c.type, sa.String | sa.JSON) and c not in keys]
                for column in columns if keys else ():
                    as_text = sa.cast(column, sa.Text) if isinstance(column.type, sa.JSON) else column
                    rows = conn.execute(sa.select(*keys, column).where(as_text.like(f"%{old_prefix}%"))).all()
                    for row in rows:
                        new_value = _renamed_value(row[-1], renamed)
                        if new_value is row[-1]:
                            continue
                        where = sa.and_(*(c == v for c, v in zip(keys, row[:-1], strict=True)))
                        conn.execute(table.update().where(where).values({column.name: new_value}))
                        changed += 1
    finally:
        engine.dispose()
    return changed


COPY_DISABLED_REASON = (
    "Restored as a copy of {source}, which may still run it: enable it here only if this copy takes over."
)


def _quiet_copy(database_url, source_slug):
    """A copy under another slug must not act as the original behind its back: its integrations are disabled
    (webhooks would send both organizations' events, and the deliveries pending in the backup again, to the same
    receivers; roster syncs would pull into both) and its API keys revoked (the original's integrators hold them).
    The owners enable or make again what the copy should have. Returns (integrations disabled, keys revoked)."""
    engine = sa.create_engine(make_url(database_url), poolclass=NullPool)
    try:
        with engine.begin() as conn:
            metadata = sa.MetaData()
            metadata.reflect(conn, only=["integrations", "api_keys", "webhook_deliveries"])
            integrations, keys = metadata.tables["integrations"], metadata.tables["api_keys"]
            deliveries = metadata.tables["webhook_deliveries"]
            # the backup's deliveries still to send are the original's to send: never again from here, even once
            # an owner enables the integration (DeliveryStatus values, as disabling a subscription does)
            conn.execute(
                deliveries.update()
                .where(deliveries.c.status.in_(("pending", "sending")))
                .values(
                    status="failed",
                    next_attempt_at=None,
                    lease_until=None,
                    last_error=f"Not sent: restored as a copy of {source_slug}"[:300],
                )
            )
            disabled = conn.execute(
                integrations.update()
                .where(integrations.c.status != "disabled")  # IntegrationStatus.DISABLED: "by us", with a reason
                .values(status="disabled", disabled_reason=COPY_DISABLED_REASON.format(source=source_slug))
            ).rowcount
            revoked = conn.execute(
                keys.update().where(keys.c.revoked_at.is_(None)).values(revoked_at=utcnow())
            ).rowcount
    finally:
        engine.dispose()
    return disabled, revoked


def _upgrade(database_url, revision):
    if revision == head_revision():
        return None
    engine = create_tenant_engine(database_url, pool_size=1, max_overflow=0)
    try:
        upgrade_tenant_database(engine)
    finally:
        engine.dispose()
    return revision


def _restore_database(archive, manifest, database_url, scratch):
    """The backup's database, restored at `database_url` and checked table by table against the manifest; on any
    failure nothing is left there."""
    kind = manifest["database_kind"]
    dump = scratch / backups.DATABASE_MEMBERS[kind]
    backups.extract_checked(archive, manifest["database"], dump)
    databases.restore_dump(database_url, dump)  # DatabaseExists (and nothing dropped) when one is there
    try:
        if kind == "sqlite":
            engine = create_tenant_engine(database_url, pool_size=1, max_overflow=0)
            try:
                enable_wal(engine)
            finally:
                engine.dispose()
        databases.verify_figures(database_url, manifest["tables"], what="the restored database")
    except BaseException:
        databases.drop_database(database_url)
        raise


def _check_kind(manifest, server):
    if manifest["database_kind"] != server.kind:
        raise Conflict(
            f"This backup holds a {manifest['database_kind']} database and the server {server.name!r} is "
            f"{server.kind}: a backup restores into a database of its own kind only (move the data with an export "
            "and import instead)."
        )


def restore_tenant(path, slug, as_slug=None, replace=False, server=None, keep_previous=False, keep_integrations=False):
    """Restore the backup of `slug` at `path`: into a new organization (`as_slug`, or `slug` when no organization
    has it), or over the existing `slug` with `replace`. Checked (files, tables) before it opens. A copy under
    another slug starts with its integrations disabled and its API keys revoked unless `keep_integrations`."""
    path = Path(path)
    manifest = backups.read_manifest(path)
    if manifest["slug"] != slug:
        raise BadRequest(f"{path} is a backup of {manifest['slug']!r}, not of {slug!r}.")
    backups.check_revision(manifest)
    target_slug = provisioning.validate_slug(as_slug or slug)
    existing = db.session.scalar(sa.select(Tenant).where(Tenant.slug == target_slug))
    if existing is not None:
        if not replace:
            raise Conflict(
                f"{target_slug} exists: restore over it with --replace, or into a new organization with --as NEW_SLUG."
            )
        return _restore_over(existing, path, manifest, keep_previous)
    return _restore_as_new(target_slug, path, manifest, server, keep_integrations)


def _restore_as_new(target_slug, path, manifest, server_name, keep_integrations=False):
    started = time.monotonic()
    server = servers.pick_server(server_name)
    _check_kind(manifest, server)
    tenant = provisioning.reserve(target_slug, manifest["name"], server.name, manifest.get("settings"))
    tenant_id, database_url = tenant.id, tenant.database_url
    written, database_created = [], False
    try:
        with tarfile.open(path, "r:") as archive, databases.scratch_directory(backups.backup_root()) as scratch:
            _restore_database(archive, manifest, database_url, scratch)
            database_created = True  # ours from here: a later failure drops it
            renamed = _copy_media(archive, manifest, target_slug, written)
        if target_slug != manifest["slug"]:
            _rename_storage_keys(database_url, renamed)
        upgraded_from = _upgrade(database_url, manifest["schema_revision"])
        notes, quieted = [], {}
        if target_slug != manifest["slug"] and not keep_integrations:
            disabled, revoked = _quiet_copy(database_url, manifest["slug"])
            quieted = {"integrations_disabled": disabled, "api_keys_revoked": revoked}
            notes.append(
                f"a copy of {manifest['slug']}: {disabled} integrations disabled and {revoked} API keys revoked in it "
                "(--keep-integrations keeps them)"
            )
        tenant = db.session.get(Tenant, tenant_id)
        tenant.status = TenantStatus.ACTIVE
        _record_restore(tenant, path, manifest, replaced=False, **quieted)
        db.session.commit()
    except BaseException:
        remove_written(written)
        provisioning.undo_reservation(tenant_id, database_url, database_created)
        raise
    return RestoreResult(
        target_slug,
        database_url,
        server.name,
        len(manifest["tables"]),
        sum(table["rows"] for table in manifest["tables"].values()),
        len(manifest["files"]),
        upgraded_from,
        False,
        time.monotonic() - started,
        notes,
    )


def _record_restore(tenant, path, manifest, replaced, **quieted):
    record_platform(
        "organization.restored",
        tenant,
        details={
            "backup": str(path),
            "backup_of": manifest["slug"],
            "backup_created_at": manifest["created_at"],
            "replaced": replaced,
            "server": tenant.database_server,
            **quieted,
        },
    )


def _restore_over(tenant, path, manifest, keep_previous):
    """Maintenance on, the backup restored into a new database next to the current one and checked, the registry
    switched to it, maintenance off; the previous database is dropped only then (kept with `keep_previous`).
    A failure before the switch leaves the organization on its database as it was."""
    started = time.monotonic()
    if tenant.status not in (TenantStatus.ACTIVE, TenantStatus.SUSPENDED):
        raise Conflict(f"{tenant.slug} is {tenant.status}: only an active or suspended organization is restored over.")
    kind = databases.kind_of(tenant.database_url)
    if manifest["database_kind"] != kind:
        raise Conflict(
            f"This backup holds a {manifest['database_kind']} database and {tenant.slug}'s is {kind}: a backup "
            "restores into a database of its own kind only."
        )
    previous_url = tenant.database_url
    new_url = databases.sibling_url(previous_url)
    previous_status = servers.enter_maintenance(tenant)
    written, database_created = [], False
    try:
        with tarfile.open(path, "r:") as archive, databases.scratch_directory(backups.backup_root()) as scratch:
            _restore_database(archive, manifest, new_url, scratch)
            database_created = True
            _copy_media(archive, manifest, tenant.slug, written)  # same keys, same bytes: files are never changed
        upgraded_from = _upgrade(new_url, manifest["schema_revision"])
    except BaseException:
        if database_created:
            databases.drop_database(new_url)
        servers.leave_maintenance(tenant, previous_status)
        raise
    tenant = db.session.get(Tenant, tenant.id)
    tenant.database_url, tenant.status = new_url, previous_status
    tenant.settings = {**(manifest.get("settings") or {})}
    tenant.name = manifest["name"]
    _record_restore(tenant, path, manifest, replaced=True)
    db.session.commit()
    engine_registry().remove(tenant.id)
    notes = []
    if keep_previous:
        notes.append(f"previous database kept at {make_url(previous_url).render_as_string(hide_password=True)}")
    else:
        databases.drop_database(previous_url)
    return RestoreResult(
        tenant.slug,
        new_url,
        tenant.database_server,
        len(manifest["tables"]),
        sum(table["rows"] for table in manifest["tables"].values()),
        len(manifest["files"]),
        upgraded_from,
        True,
        time.monotonic() - started,
        notes,
    )
