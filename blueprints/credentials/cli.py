"""`flask credentials rotate-key --tenant SLUG` and `flask credentials audit --tenant SLUG`: for operators
on the server (whoever runs them is trusted already)."""

import sys

import click
from flask import current_app
from flask.cli import AppGroup

from app.errors import DomainError
from app.tenancy.context import tenant_context
from app.tenancy.provisioning import get_tenant_by_slug
from blueprints.credentials import keys, ledger

credentials_cli = AppGroup("credentials", help="An organization's signing keys and issuance log.")
TENANT = click.option("--tenant", "slug", required=True, help="The organization's slug (its subdomain).")


def _organization(slug):
    try:
        return get_tenant_by_slug(slug).ref()
    except DomainError as error:
        click.echo(error.message, err=True)
        sys.exit(2)


@credentials_cli.command("rotate-key")
@TENANT
def rotate_key(slug):
    """Make a new signing key for the organization; its earlier keys stay published."""
    tenant = _organization(slug)
    with tenant_context(tenant, current_app._get_current_object()):
        key = keys.rotate()
        retired = len(keys.all_keys()) - 1
    click.echo(
        f"{slug}: new signing key {key.kid} ({retired} earlier key{'s' if retired != 1 else ''} still published)"
    )


@credentials_cli.command("audit")
@TENANT
def audit(slug):
    """Check the organization's issuance log from its first entry to its last (exit 1 when broken)."""
    tenant = _organization(slug)
    with tenant_context(tenant, current_app._get_current_object()):
        result, head = ledger.audit(), ledger.head()
    if result.ok:
        click.echo(f"{slug}: the issuance log is intact: {result.checked} entries, head {head['hash']}")
        return
    click.echo(f"{slug}: the issuance log is broken at entry {result.broken_seq}: {result.reason}")
    sys.exit(1)
