"""`flask analytics rebuild [--slug S]`: the read model recomputed from the source tables, per organization."""

import sys

import click
from flask.cli import AppGroup

from app.errors import NotFound
from app.tenancy import provisioning
from app.tenancy.context import tenant_context
from app.tenancy.resolution import active_tenants
from blueprints.analytics import readmodel

analytics_cli = AppGroup("analytics", help="The analytics read model.")


@analytics_cli.command("rebuild")
@click.option("--slug", help="Only this organization.")
def rebuild(slug):
    """Recompute the read model of every active organization (or one) from its source tables, replacing it."""
    try:
        tenants = [provisioning.get_tenant_by_slug(slug).ref()] if slug else active_tenants()
    except NotFound as error:
        raise click.ClickException(error.message) from None
    failed = 0
    for tenant in sorted(tenants, key=lambda tenant: tenant.slug):
        try:
            with tenant_context(tenant):
                result = readmodel.rebuild()
        except Exception as error:  # report and go on to the next organization
            failed += 1
            click.echo(f"{tenant.slug}: {type(error).__name__}: {error}")
            continue
        click.echo(f"{tenant.slug}: {result.enrollments} enrollments, {result.days} day rows in {result.seconds:.2f} s")
    click.echo(f"{len(tenants) - failed} ok, {failed} failed")
    if failed:
        sys.exit(1)
