"""The loop of every `flask … sweep` command (events relay, attempts, reports, notifications, integrations,
certificates, privacy): one pass over every organization, a line when it did something (always with `--once`),
then a pause."""

import time

import click


def repeat_sweep(sweep_once, once, interval):
    """`sweep_once()` does one pass and returns (did_something, line)."""
    while True:
        did_something, line = sweep_once()
        if once or did_something:
            click.echo(line)
        if once:
            return
        time.sleep(interval)
