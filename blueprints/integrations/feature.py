"""Plugs the integrations feature into the app (see app/features.py). Each part registers its own blueprints,
commands and demo steps below (one line each)."""

from app.features import register_feature
from blueprints.integrations import roster_api, roster_views


def register(app):
    api_blueprints = []
    page_blueprints = []
    commands = []
    api_blueprints.append(roster_api.blp)
    page_blueprints.append(roster_views.bp)
    register_feature(app, __package__, api_blueprints, page_blueprints, commands)
