"""How a feature plugs into the application: its blueprints, CLI commands, event subscribers and demo part.

Each feature package has a `feature.py` whose `register(app)` calls `register_feature`; the factory imports
the features it lists (`app/__init__.py`) and nothing else of them, so the core never depends on a feature.
"""

import importlib
import importlib.util

import click

from app import events
from app.extensions import api, csrf

DEMO_PARTS = "tessera.demo_parts"


def register_feature(app, package, api_blueprints=(), page_blueprints=(), commands=()):
    for blueprint in api_blueprints:
        api.register_blueprint(blueprint)
        csrf.exempt(blueprint)  # bearer tokens and API keys, never cookies: CSRF cannot ride on them
    for blueprint in page_blueprints:
        app.register_blueprint(blueprint)
    for command in commands:
        existing = app.cli.commands.get(command.name)
        if isinstance(existing, click.Group) and isinstance(command, click.Group) and existing is not command:
            # several parts of a feature may each bring a group of the same name (`flask integrations ...`): one
            # group holding every part's commands, whichever registered first
            for name, subcommand in command.commands.items():
                existing.add_command(subcommand, name)
        else:
            app.cli.add_command(command)
    if importlib.util.find_spec(f"{package}.subscribers") is not None:
        events.register(app, importlib.import_module(f"{package}.subscribers"))


def register_demo_part(app, rank, part):
    """A step of the demo seed (`flask demo seed`): parts run by rank, inside the demo tenant, and yield lines."""
    app.extensions.setdefault(DEMO_PARTS, []).append((rank, part))


def demo_parts(app):
    return [part for _rank, part in sorted(app.extensions.get(DEMO_PARTS, []), key=lambda entry: entry[0])]
