"""`flask notifications sweep`: reminders, digests and the e-mails' safety net, every minute (`make run` starts
it; its log is instance/logs/notifications.log)."""

import click
from flask import current_app
from flask.cli import AppGroup

from app.sweeps import repeat_sweep
from blueprints.notifications.sweep import sweep_all

notifications_cli = AppGroup("notifications", help="Notifications: reminders, digests, e-mails to send again.")


@notifications_cli.command("sweep")
@click.option("--once", is_flag=True, help="One sweep, then stop.")
@click.option("--interval", default=60.0, show_default=True, help="Seconds between sweeps.")
def sweep(once, interval):
    """In every organization: send due reminders, compose digests due, queue e-mails again (delayed or lost)."""
    app = current_app._get_current_object()

    def sweep_once():
        swept = sweep_all(app)
        return swept.reminders or swept.digests or swept.queued or swept.failed, (
            f"{swept.reminders} reminders, {swept.digests} digests, {swept.queued} e-mails queued again"
            + (f"; failed in {', '.join(swept.failed)}" if swept.failed else "")
        )

    repeat_sweep(sweep_once, once, interval)
