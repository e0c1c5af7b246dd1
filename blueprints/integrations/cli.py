"""`flask integrations ...`: the integrations' commands. `sweep`: webhook deliveries whose worker died (lease
run out) or whose job was lost, queued again, every few seconds (`make run` starts it; its log is
instance/logs/integrations.log)."""

import click
from flask import current_app
from flask.cli import AppGroup

from app.sweeps import repeat_sweep
from blueprints.integrations import webhooks

integrations_cli = AppGroup("integrations", help="Integrations: webhook deliveries, roster syncs.")


@integrations_cli.command("sweep")
@click.option("--once", is_flag=True, help="One sweep, then stop.")
@click.option("--interval", default=15.0, show_default=True, help="Seconds between sweeps.")
@click.option(
    "--grace",
    default=float(webhooks.SWEEP_GRACE_SECONDS),
    show_default=True,
    help="A due delivery is queued once it waited this long (its scheduled job may still come).",
)
def sweep(once, interval, grace):
    """In every organization: webhook deliveries of a dead worker (lease run out) and due ones whose job was lost,
    queued again."""
    app = current_app._get_current_object()

    def sweep_once():
        queued, failed = webhooks.sweep_all(app, grace)
        line = f"{queued} webhook deliveries queued again" + (f"; failed in {', '.join(failed)}" if failed else "")
        return queued or failed, line

    repeat_sweep(sweep_once, once, interval)
