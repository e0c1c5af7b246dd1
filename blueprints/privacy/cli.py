"""`flask privacy sweep`: in every active organization, delete expired data exports and apply the archiving
policy once a day (like `flask reports sweep`, which `make run` starts next to it)."""

import logging

import click
from flask import current_app
from flask.cli import AppGroup

from app.sweeps import repeat_sweep
from app.tenancy.context import tenant_context
from app.tenancy.resolution import active_tenants
from blueprints.privacy.archiving import apply_policy, scheduled_run_due
from blueprints.privacy.exports import expire_exports
from blueprints.privacy.models import RunTrigger

log = logging.getLogger(__name__)

privacy_cli = AppGroup("privacy", help="A person's data exports and archiving by policy.")


def sweep_privacy(app):
    """Returns (exports expired, archiving runs made)."""
    with app.app_context():
        tenants = active_tenants()
    expired = runs = 0
    for tenant in tenants:
        try:
            with tenant_context(tenant, app):
                expired += expire_exports()
                if scheduled_run_due():
                    runs += apply_policy(RunTrigger.SCHEDULE) is not None
        except Exception:  # one organization's trouble must not stop the others'
            log.exception("Sweeping the privacy work of %s failed", tenant.slug)
    return expired, runs


@privacy_cli.command("sweep")
@click.option("--once", is_flag=True, help="One sweep, then stop.")
@click.option("--interval", default=300.0, show_default=True, help="Seconds between sweeps.")
def sweep(once, interval):
    """Delete expired data exports and apply each organization's archiving policy once a day."""
    app = current_app._get_current_object()

    def sweep_once():
        expired, runs = sweep_privacy(app)
        return expired or runs, f"expired {expired} data exports, made {runs} archiving runs"

    repeat_sweep(sweep_once, once, interval)
