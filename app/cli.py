"""`flask tenants …`, `flask operators …`, `flask worker`, `flask demo seed`."""

import sys
import tempfile

import click
from alembic import command
from flask import current_app
from flask.cli import AppGroup
from rq import Worker
from sqlalchemy import select

from app.demo import seed_demo
from app.errors import DomainError
from app.extensions import db
from app.jobs import get_queue, redis_connection
from app.security.operators import create_operator as create
from app.tenancy import provisioning
from app.tenancy.engines import create_tenant_engine
from app.tenancy.migrations import tenant_alembic_config, upgrade_tenant_database
from app.tenancy.models import Tenant

tenants_cli = AppGroup("tenants", help="Create, list, suspend, migrate and archive organizations.")
operators_cli = AppGroup("operators", help="Platform operator accounts.")
demo_cli = AppGroup("demo", help="The demo organization for development.")


def _fail(error):
    details = "".join(f"\n  {field}: {'; '.join(map(str, msgs))}" for field, msgs in error.details.items())
    raise click.ClickException(f"{error.message}{details}")


@tenants_cli.command("create")
@click.argument("slug")
@click.option("--name", required=True, help="Display name of the organization.")
@click.option("--admin-email", required=True, help="E-mail of its first org admin.")
@click.option("--admin-password", help="Omit to generate one (printed once).")
def create_tenant(slug, name, admin_email, admin_password):
    """Provision an organization: database, schema, first org admin."""
    try:
        result = provisioning.provision_tenant(slug, name, admin_email, admin_password)
    except DomainError as error:
        _fail(error)
    click.echo(f"created {result.tenant.slug} (id {result.tenant.id}) at {result.tenant.database_url}")
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
def worker(burst):
    """Run an RQ worker for the background jobs of every organization."""

    queue = get_queue()
    Worker([queue], connection=redis_connection()).work(burst=burst, with_scheduler=True)


@demo_cli.command("seed")
def seed():
    """Create (or complete) the demo organization and the demo logins; safe to run again."""

    for line in seed_demo(current_app.config["DEMO_PASSWORD"]):
        click.echo(line)


def register_commands(app):
    app.cli.add_command(tenants_cli)
    app.cli.add_command(operators_cli)
    app.cli.add_command(demo_cli)
    app.cli.add_command(worker)
