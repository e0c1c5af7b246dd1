"""The database servers organizations' databases live on: which one a new organization gets, and moving one.

`TENANT_DATABASE_SERVERS` names them (`main=postgresql://u:p@h1:5432,second=postgresql://u:p@h2:5432`, URLs
without a database); each organization's database on a server is named like TENANT_DATABASE_URL_TEMPLATE's
database (`lms_{slug}`), or `tessera_{slug}`. Unset, the template itself is the one server, "default". The
registry row keeps the server's name (`tenants.database_server`) next to the database URL it leads to.
"""

import logging
import re
import time
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.engine import make_url

from app.audit.platform import record_platform
from app.errors import Conflict, ValidationFailed
from app.extensions import db
from app.tenancy import backups, databases
from app.tenancy.engines import engine_registry
from app.tenancy.models import Tenant, TenantStatus

log = logging.getLogger(__name__)

DEFAULT_SERVER = "default"
SERVER_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
DEFAULT_DATABASE_NAME = "tessera_{slug}"


@dataclass(frozen=True)
class DatabaseServer:
    name: str
    url_template: str  # a tenant database's URL on this server, with "{slug}"

    def database_url(self, slug):
        return self.url_template.replace("{slug}", slug)

    @property
    def kind(self):
        return make_url(self.database_url("x")).get_backend_name()

    def display_url(self):
        """The server's address, without its password."""
        url = make_url(self.database_url("x"))
        if url.get_backend_name() == "sqlite":
            return str(Path(url.database).parent)
        return url._replace(database=None).render_as_string(hide_password=True)  # set() keeps a None database


def _database_name_template(config):
    template = config.get("TENANT_DATABASE_URL_TEMPLATE") or ""
    if template and not template.startswith("sqlite"):
        name = make_url(template.replace("{slug}", "SLUG")).database or ""
        if "SLUG" in name:
            return name.replace("SLUG", "{slug}")
    return DEFAULT_DATABASE_NAME


def parse_servers(spec, config):
    """`name=URL,name=URL` -> {name: DatabaseServer}, in the order given; ValueError on a malformed entry."""
    servers = {}
    name_template = _database_name_template(config)
    for entry in filter(None, (part.strip() for part in spec.split(","))):
        name, separator, raw_url = entry.partition("=")
        name = name.strip()
        if not separator or not SERVER_NAME.match(name) or not raw_url.strip():
            raise ValueError(f"TENANT_DATABASE_SERVERS: {entry!r} is not name=URL (a lowercase name, a database URL).")
        if name in servers:
            raise ValueError(f"TENANT_DATABASE_SERVERS names {name!r} twice.")
        url = make_url(raw_url.strip())
        if url.get_backend_name() != "postgresql":
            raise ValueError(f"TENANT_DATABASE_SERVERS: {name!r} is not PostgreSQL (for SQLite, leave it unset).")
        if url.drivername == "postgresql":
            url = url.set(drivername="postgresql+psycopg")  # the driver the app ships with
        placeholder = "TESSERA0SLUG0PLACEHOLDER"  # the URL's rendering escapes braces
        rendered = url.set(database=name_template.replace("{slug}", placeholder)).render_as_string(hide_password=False)
        servers[name] = DatabaseServer(name, rendered.replace(placeholder, "{slug}"))
    if not servers:
        raise ValueError("TENANT_DATABASE_SERVERS is set but names no server.")
    return servers


def configured_servers(app=None):
    """{name: DatabaseServer}: the configured servers, or the one "default" of TENANT_DATABASE_URL_TEMPLATE."""
    config = (app or current_app).config
    spec = config.get("TENANT_DATABASE_SERVERS")
    if spec:
        return parse_servers(spec, config)
    return {DEFAULT_SERVER: DatabaseServer(DEFAULT_SERVER, config["TENANT_DATABASE_URL_TEMPLATE"])}


def get_server(name):
    servers = configured_servers()
    if name not in servers:
        raise ValidationFailed(
            f"No database server {name!r} is configured.", {"server": [f"One of: {', '.join(servers)}."]}
        )
    return servers[name]


def _holds_a_database(tenant):
    purged = tenant.status == TenantStatus.ARCHIVED and (tenant.settings or {}).get("purged_at")
    return not purged


def tenant_counts():
    """{server name: organizations whose database is there}, configured servers first (0 when empty), then any
    name the registry holds that the configuration no longer lists."""
    counts = dict.fromkeys(configured_servers(), 0)
    for tenant in db.session.scalars(sa.select(Tenant)):
        if _holds_a_database(tenant):
            counts[tenant.database_server] = counts.get(tenant.database_server, 0) + 1
    return counts


def pick_server(name=None):
    """The named server, or the configured one with the fewest organizations (the first listed of equals)."""
    if name:
        return get_server(name)
    configured = configured_servers()
    counts = tenant_counts()
    order = list(configured)
    return configured[min(order, key=lambda server: (counts.get(server, 0), order.index(server)))]


def free_database_url(server, slug):
    """A URL on `server` for `slug`'s database that no database has yet: the usual name, else one with a suffix
    (a restore over an organization, or a move back to a server that still holds the old copy)."""
    url = server.database_url(slug)
    if not databases.database_exists(url):
        return url
    return databases.sibling_url(url)


# --- moving an organization to another server ----------------------------------------------------------------


class MoveFailed(Conflict):
    pass


@dataclass
class MoveResult:
    slug: str
    source: str
    target: str
    database_url: str
    tables: int
    rows: int
    seconds: float
    source_dropped: bool


def enter_maintenance(tenant, allowed=(TenantStatus.ACTIVE, TenantStatus.SUSPENDED)):
    """Put the organization in maintenance (its requests 503, its jobs wait) and give every process time to see
    it; returns the status to go back to."""
    if tenant.status not in allowed:
        raise Conflict(f"{tenant.slug} is {tenant.status}; only an active or suspended organization can be moved.")
    previous = tenant.status
    tenant.status = TenantStatus.MAINTENANCE
    db.session.commit()
    engine_registry().remove(tenant.id)
    time.sleep(current_app.config.get("TENANT_MAINTENANCE_GRACE_SECONDS", 0))
    return previous


def leave_maintenance(tenant, status, keep_pending=False):
    if not keep_pending:
        db.session.rollback()  # whatever a failure left half-done in the session
    tenant = db.session.get(Tenant, tenant.id)
    tenant.status = status
    db.session.commit()
    engine_registry().remove(tenant.id)


def end_maintenance(tenant):
    """Reopen an organization a crashed move or restore left in maintenance. Safe: the registry switches to a new
    database only in the commit that ends the maintenance, so it still names the database it had."""
    if tenant.status != TenantStatus.MAINTENANCE:
        raise Conflict(f"{tenant.slug} is {tenant.status}, not in maintenance.")
    record_platform("organization.maintenance_ended", tenant)
    leave_maintenance(tenant, TenantStatus.ACTIVE, keep_pending=True)
    return db.session.get(Tenant, tenant.id)


def move_tenant(tenant, server_name, keep_source=False, dump_dir=None):
    """Move the organization's database to `server_name`: maintenance, dump, restore there, verify every table
    (rows and checksum) against the source as it is now, switch the registry row, end maintenance, drop the
    source (unless `keep_source`). Any failure before the switch leaves it on its source, as it was."""
    started = time.monotonic()
    target = get_server(server_name)
    if tenant.database_server == target.name:
        raise Conflict(f"{tenant.slug} is on {target.name} already.")
    source_url = tenant.database_url
    if databases.kind_of(source_url) != "postgresql" or target.kind != "postgresql":
        raise Conflict("Only databases on PostgreSQL servers move between servers.")
    source_name = tenant.database_server
    previous = enter_maintenance(tenant)
    target_url, copied = None, False
    try:
        target_url = free_database_url(target, tenant.slug)
        with databases.scratch_directory(dump_dir or backups.backup_root()) as scratch:
            dump, figures, _revision = databases.dump_with_figures(source_url, Path(scratch) / "database.pgdump")
            databases.restore_dump(target_url, dump)  # leaves nothing when it fails
            copied = True
        databases.verify_figures(target_url, figures, what="the copy on " + target.name)
        databases.verify_figures(source_url, figures, what="the source (written to during the move?)")
    except BaseException as error:
        if copied:
            try:
                databases.drop_database(target_url)
            except Exception:
                log.exception("Could not drop the half-made copy of %s at %s", tenant.slug, target.name)
        leave_maintenance(tenant, previous)
        if isinstance(error, Exception) and not isinstance(error, MoveFailed):
            message = getattr(error, "message", None) or str(error)
            raise MoveFailed(
                f"Moving {tenant.slug} to {target.name} failed; it stays on {source_name}: {message}"
            ) from error
        raise
    tenant = db.session.get(Tenant, tenant.id)
    tenant.database_url, tenant.database_server, tenant.status = target_url, target.name, previous
    record_platform(
        "organization.moved",
        tenant,
        details={"from": source_name, "to": target.name, "keep_source": keep_source, "tables": len(figures)},
    )
    db.session.commit()
    engine_registry().remove(tenant.id)
    dropped = False
    if not keep_source:
        try:
            databases.drop_database(source_url)
            dropped = True
        except Exception:  # the move stands; the operator drops the old copy by hand
            log.exception("Moved %s, but could not drop its old database on %s", tenant.slug, source_name)
    return MoveResult(
        tenant.slug,
        source_name,
        target.name,
        target_url,
        len(figures),
        sum(table["rows"] for table in figures.values()),
        time.monotonic() - started,
        dropped,
    )
