"""`flask attempts sweep`: the deadline's safety net, next to the worker's scheduled deadline jobs."""

import click
from flask import current_app
from flask.cli import AppGroup

from app.sweeps import repeat_sweep
from blueprints.assessments.attempts import sweep_overdue

attempts_cli = AppGroup("attempts", help="Quiz attempts: submit those past their deadline.")


@attempts_cli.command("sweep")
@click.option("--once", is_flag=True, help="One sweep, then stop.")
@click.option("--interval", default=30.0, show_default=True, help="Seconds between sweeps.")
def sweep(once, interval):
    """Submit open attempts past their deadline in every organization (what a lost deadline job left)."""
    app = current_app._get_current_object()

    def sweep_once():
        submitted = sweep_overdue(app)
        return submitted, f"submitted {submitted} overdue attempts"

    repeat_sweep(sweep_once, once, interval)
