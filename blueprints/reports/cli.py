"""`flask reports sweep`: the schedules' safety net (runs whose job was lost) and the deletion of expired files."""

import logging

import click
from flask import current_app
from flask.cli import AppGroup

from app.sweeps import repeat_sweep
from app.tenancy.context import tenant_context
from app.tenancy.resolution import active_tenants
from blueprints.reports.generation import expire_reports
from blueprints.reports.schedules import requeue_overdue

log = logging.getLogger(__name__)

reports_cli = AppGroup("reports", help="Reports: queue overdue scheduled runs, delete expired files.")


def sweep_reports(app):
    """In every active organization: queue again the runs of schedules whose job was lost, delete expired
    reports' files. Returns (runs queued, reports expired)."""
    with app.app_context():
        tenants = active_tenants()
    queued = expired = 0
    for tenant in tenants:
        try:
            with tenant_context(tenant, app):
                queued += requeue_overdue()
                expired += expire_reports()
        except Exception:  # one organization's trouble must not stop the others' reports
            log.exception("Sweeping the reports of %s failed", tenant.slug)
    return queued, expired


@reports_cli.command("sweep")
@click.option("--once", is_flag=True, help="One sweep, then stop.")
@click.option("--interval", default=60.0, show_default=True, help="Seconds between sweeps.")
def sweep(once, interval):
    """Queue the runs of schedules overdue in every organization (a lost job) and delete expired reports."""
    app = current_app._get_current_object()

    def sweep_once():
        queued, expired = sweep_reports(app)
        return queued or expired, f"queued {queued} overdue scheduled runs, expired {expired} reports"

    repeat_sweep(sweep_once, once, interval)
