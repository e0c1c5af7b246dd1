"""`flask tenants …`, `flask operators …`, `flask worker`, `flask events …`, `flask demo seed`."""

import sys
import tempfile
import time

import click
from alembic import command
from flask import current_app
from flask.cli import AppGroup
from rq import Worker
from sqlalchemy import select
from sqlalchemy.engine import make_url

from app.demo import seed_demo
from app.errors import DomainError
from app.events import subscribers_of
from app.events.catalog import catalog_markdown, catalog_rows
from app.events.relay import failed_deliveries, replay, sweep
from app.extensions import db
from app.jobs import EventWorker, get_event_queue, get_queue, ready_for_jobs, redis_connection
from app.security.operators import create_operator as create
from app.sweeps import repeat_sweep
from app.tenancy import backups, provisioning, restores, servers
from app.tenancy.engines import create_tenant_engine
from app.tenancy.migrations import tenant_alembic_config, upgrade_tenant_database
from app.tenancy.models import Tenant

tenants_cli = AppGroup(
    "tenants", help="Create, list, suspend, migrate, archive, back up, restore and move organizations."
)
operators_cli = AppGroup("operators", help="Platform operator accounts.")
demo_cli = AppGroup("demo", help="The demo organization for development.")
events_cli = AppGroup("events", help="The event catalog, the outbox relay, failed deliveries.")


def _fail(error):
    details = "".join(f"\n  {field}: {'; '.join(map(str, msgs))}" for field, msgs in error.details.items())
    raise click.ClickException(f"{error.message}{details}")


@tenants_cli.command("create")
@click.argument("slug")
@click.option("--name", required=True, help="Display name of the organization.")
@click.option("--admin-email", required=True, help="E-mail of its first org admin.")
@click.option("--admin-password", help="Omit to generate one (printed once).")
@click.option("--server", help="The database server (`flask tenants servers`); default: the least loaded.")
def create_tenant(slug, name, admin_email, admin_password, server):
    """Provision an organization: database, schema, first org admin."""
    try:
        result = provisioning.provision_tenant(slug, name, admin_email, admin_password, server=server)
    except DomainError as error:
        _fail(error)
    where = make_url(result.tenant.database_url).render_as_string(hide_password=True)
    click.echo(f"created {result.tenant.slug} (id {result.tenant.id}) on {result.tenant.database_server} at {where}")
    click.echo(f"org admin: {result.admin_email}")
    if result.admin_password:
        click.echo(f"generated password (shown once): {result.admin_password}")


@tenants_cli.command("list")
def list_tenants():
    """Every organization with its status."""
    tenants = db.session.scalars(select(Tenant).order_by(Tenant.slug)).all()
    if not tenants:
        click.echo("no organizations")
    for tenant in tenants:
        click.echo(f"{tenant.id:>5}  {tenant.slug:<40} {tenant.status:<12} {tenant.name}")


def _status_command(name, action, help_text):
    @tenants_cli.command(name, help=help_text)
    @click.argument("slug")
    def command(slug):
        try:
            tenant = action(provisioning.get_tenant_by_slug(slug))
        except DomainError as error:
            _fail(error)
        click.echo(f"{tenant.slug}: {tenant.status}")

    return command


_status_command("suspend", provisioning.suspend_tenant, "Suspend an organization (its host answers 404).")
_status_command("activate", provisioning.activate_tenant, "Reactivate a suspended organization.")


@tenants_cli.command("archive")
@click.argument("slug")
@click.option("--purge", is_flag=True, help="Drop the database after the backup is written.")
def archive(slug, purge):
    """Back up an organization's database and archive it (and with --purge, drop the database)."""
    try:
        tenant = provisioning.archive_tenant(provisioning.get_tenant_by_slug(slug), purge=purge)
    except DomainError as error:
        _fail(error)
    click.echo(f"{tenant.slug}: archived, backup at {tenant.backup_path}" + (", database dropped" if purge else ""))


@tenants_cli.command("upgrade")
@click.option("--slug", help="Only this organization.")
def upgrade(slug):
    """Migrate every organization's database to the newest tenant schema."""
    try:
        results = provisioning.upgrade_tenants(slug)
    except DomainError as error:
        _fail(error)
    for result in results:
        click.echo(f"{result.slug}: {result.message}")
    failed = sum(not result.ok for result in results)
    click.echo(f"{len(results) - failed} ok, {failed} failed")
    if failed:
        sys.exit(1)


@tenants_cli.command("backup")
@click.argument("slug", required=False)
@click.option("--all", "every", is_flag=True, help="Every active organization, each then pruned by the retention rule.")
@click.option("--to", "to_dir", type=click.Path(file_okay=False), help="Directory (default: the backup directory).")
def backup(slug, every, to_dir):
    """Write one file with an organization's database, media and manifest (or, with --all, of each)."""
    if bool(slug) == every:
        raise click.UsageError("Name one organization (SLUG) or give --all.")
    if every:
        _report_backups(backups.backup_all(to_dir))
        return
    try:
        made = backups.backup_tenant(provisioning.get_tenant_by_slug(slug), to_dir)
    except DomainError as error:
        _fail(error)
    rows = sum(table["rows"] for table in made.manifest["tables"].values())
    click.echo(
        f"{slug}: {made.path} ({made.path.stat().st_size} bytes: {len(made.manifest['tables'])} tables, {rows} rows, "
        f"{len(made.manifest['files'])} files; {made.seconds:.1f} s)"
    )


def _report_backups(outcomes):
    for outcome in outcomes:
        click.echo(f"{outcome.slug}: {'ok' if outcome.ok else 'FAILED'} {outcome.message}")
        for path in outcome.pruned:
            click.echo(f"  pruned {path.name}")
    failed = sum(not outcome.ok for outcome in outcomes)
    click.echo(f"{len(outcomes) - failed} backed up, {failed} failed")
    if failed:
        sys.exit(1)


@tenants_cli.command("backup-sweep")
@click.option("--once", is_flag=True, help="One sweep, then stop.")
@click.option("--interval", default=600.0, show_default=True, help="Seconds between sweeps.")
@click.option("--to", "to_dir", type=click.Path(file_okay=False), help="Directory (default: the backup directory).")
def backup_sweep(once, interval, to_dir):
    """Back up each active organization whose newest backup is older than LMS_BACKUP_EVERY_HOURS, and prune."""
    app = current_app._get_current_object()
    while True:
        with app.app_context():
            outcomes = backups.backup_all(to_dir, only_due=True)
        if outcomes or once:
            for outcome in outcomes:
                click.echo(f"{outcome.slug}: {'ok' if outcome.ok else 'FAILED'} {outcome.message}")
        if once:
            if any(not outcome.ok for outcome in outcomes):
                sys.exit(1)
            return
        time.sleep(interval)


@tenants_cli.command("restore")
@click.argument("slug")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--as", "as_slug", help="Into a new organization with this slug.")
@click.option("--replace", is_flag=True, help="Over the existing organization SLUG (maintenance meanwhile).")
@click.option("--server", help="The database server of a new organization; default: the least loaded.")
@click.option("--keep-previous", is_flag=True, help="With --replace: keep the database it had.")
@click.option(
    "--keep-integrations",
    is_flag=True,
    help="With --as: keep the copy's webhooks, roster syncs and API keys working (bringing back an archived "
    "organization under a new slug); by default a copy starts with them disabled and revoked.",
)
def restore(slug, file, as_slug, replace, server, keep_previous, keep_integrations):
    """Restore a backup of SLUG: into a new organization (--as NEW_SLUG, or SLUG if it is gone) or over it."""
    try:
        result = restores.restore_tenant(file, slug, as_slug, replace, server, keep_previous, keep_integrations)
    except DomainError as error:
        _fail(error)
    where = make_url(result.database_url).render_as_string(hide_password=True)
    click.echo(
        f"{result.slug}: restored {result.tables} tables ({result.rows} rows) and {result.files} files, checked, "
        f"on {result.database_server} at {where} in {result.seconds:.1f} s"
    )
    if result.upgraded_from:
        click.echo(f"  upgraded from schema revision {result.upgraded_from}")
    for note in result.notes:
        click.echo(f"  {note}")


@tenants_cli.command("servers")
def list_servers():
    """The database servers and how many organizations each holds."""
    try:
        configured = servers.configured_servers()
    except ValueError as error:  # TENANT_DATABASE_SERVERS malformed: say where
        raise click.ClickException(str(error)) from None
    for name, count in servers.tenant_counts().items():
        server = configured.get(name)
        where = server.display_url() if server else "(not in the configuration)"
        click.echo(f"{name:<20} {count:>6} organizations  {where}")


@tenants_cli.command("move")
@click.argument("slug")
@click.option("--to", "server", required=True, help="The database server to move to (`flask tenants servers`).")
@click.option("--keep-source", is_flag=True, help="Keep the database on the old server.")
def move(slug, server, keep_source):
    """Move an organization's database to another server (maintenance meanwhile; checked before the switch)."""
    try:
        result = servers.move_tenant(provisioning.get_tenant_by_slug(slug), server, keep_source)
    except DomainError as error:
        _fail(error)
    except ValueError as error:
        raise click.ClickException(str(error)) from None
    kept = "dropped" if result.source_dropped else "kept"
    click.echo(
        f"{result.slug}: moved from {result.source} to {result.target} ({result.tables} tables, {result.rows} rows "
        f"checked) in {result.seconds:.1f} s; the old database is {kept}"
    )


_status_command(
    "end-maintenance",
    servers.end_maintenance,
    "Reopen an organization that a crashed move or restore left in maintenance (it keeps its database).",
)


@tenants_cli.command("revision")
@click.option("-m", "--message", required=True)
def revision(message):
    """Autogenerate a tenant-schema migration from the models (against a scratch database)."""

    with tempfile.TemporaryDirectory() as scratch:
        engine = create_tenant_engine(f"sqlite:///{scratch}/scratch.db")
        upgrade_tenant_database(engine)
        config = tenant_alembic_config()
        with engine.begin() as conn:
            config.attributes["connection"] = conn
            try:
                command.revision(config, message=message, autogenerate=True)
            finally:
                config.attributes.pop("connection", None)
        engine.dispose()


@operators_cli.command("create")
@click.argument("email")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--name", default="")
def create_operator(email, password, name):
    """Create a platform operator account."""

    try:
        create(email, password, name)
    except DomainError as error:
        _fail(error)
    click.echo(f"operator {email} created")


@click.command("worker")
@click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
@click.option("--events", is_flag=True, help="Deliver events (their own queue, no fork per job) instead.")
def worker(burst, events):
    """Run an RQ worker for the background jobs of every organization (or, with --events, their events)."""

    ready_for_jobs(current_app._get_current_object())
    # Deliveries are short transactions: forking per job would cost more than the job (see docs/events.md).
    worker_class, queue = (EventWorker, get_event_queue()) if events else (Worker, get_queue())
    worker_class([queue], connection=redis_connection()).work(burst=burst, with_scheduler=True)


@events_cli.command("catalog")
@click.option("--markdown", is_flag=True, help="As the table of docs/events.md.")
def events_catalog(markdown):
    """Every event: its payload, who emits it, who subscribes."""
    if markdown:
        click.echo(catalog_markdown(subscribers_of))
        return
    for name, scope, payload, emitters, subscribers in catalog_rows(subscribers_of):
        click.echo(f"{name}  ({scope} outbox)\n  payload:     {payload or '-'}")
        click.echo(f"  emitted by:  {emitters or '-'}\n  subscribers: {subscribers or '-'}")


@events_cli.command("failed")
def events_failed():
    """Deliveries whose subscriber kept failing (replay them with `flask events replay WHERE:ID`)."""
    rows = failed_deliveries(current_app._get_current_object())
    for where, delivery_id, name, event_id, subscriber, attempts, error in rows:
        click.echo(f"{where}:{delivery_id}  {name}  event {event_id}\n  {subscriber}, {attempts} attempts: {error}")
    if not rows:
        click.echo("no failed deliveries")


@events_cli.command("replay")
@click.argument("delivery")
def events_replay(delivery):
    """Queue a failed delivery again (DELIVERY as `flask events failed` prints it: slug:id or platform:id)."""
    where, _, number = delivery.rpartition(":")
    if not where or not number.isdigit():
        raise click.BadParameter("Expected SLUG:ID or platform:ID, as `flask events failed` prints them.")
    if not replay(current_app._get_current_object(), where, int(number)):
        raise click.ClickException(f"No delivery {delivery} to replay (unknown, or done).")
    click.echo(f"{delivery} queued again")


@events_cli.command("relay")
@click.option("--once", is_flag=True, help="One sweep, then stop.")
@click.option("--interval", default=5.0, show_default=True, help="Seconds between sweeps.")
def events_relay(once, interval):
    """Sweep the outboxes: relay committed events a crash left behind, re-queue lost deliveries."""
    app = current_app._get_current_object()

    def sweep_once():
        totals = sweep(app)
        return totals["relayed"] or totals["requeued"], (
            f"relayed {totals['relayed']} events, re-queued {totals['requeued']} deliveries"
        )

    repeat_sweep(sweep_once, once, interval)


@demo_cli.command("seed")
def seed():
    """Create (or complete) the demo organization and the demo logins; safe to run again."""

    for line in seed_demo(current_app.config["DEMO_PASSWORD"]):
        click.echo(line)


def register_commands(app):
    app.cli.add_command(tenants_cli)
    app.cli.add_command(operators_cli)
    app.cli.add_command(demo_cli)
    app.cli.add_command(events_cli)
    app.cli.add_command(worker)
