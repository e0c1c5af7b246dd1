"""`flask attempts sweep`: the deadline's safety net, next to the worker's scheduled deadline jobs."""

import time

import click
from flask import current_app
from flask.cli import AppGroup

from blueprints.assessments.attempts import sweep_overdue

attempts_cli = AppGroup("attempts", help="Quiz attempts: submit those past their deadline.")


@attempts_cli.command("sweep")
@click.option("--once", is_flag=True, help="One sweep, then stop.")
@click.option("--interval", default=30.0, show_default=True, help="Seconds between sweeps.")
def sweep(once, interval):
    """Submit open attempts past their deadline in every organization (what a lost deadline job left)."""
    app = current_app._get_current_object()
    while True:
        submitted = sweep_overdue(app)
        if once or submitted:
            click.echo(f"submitted {submitted} overdue attempts")
        if once:
            return
        time.sleep(interval)
