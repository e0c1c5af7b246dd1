"""Plugs the certificates feature into the app (see app/features.py). Each part registers its own blueprints below
(one line each)."""

from app import events
from app.features import register_feature
from blueprints.certificates import achievements_views, cli, issued_views, renewals, verify_api, verify_views


def register(app):
    api_blueprints = []
    page_blueprints = []
    commands = []
    api_blueprints.append(verify_api.blp)
    commands.append(cli.certificates_cli)
    page_blueprints.append(verify_views.bp)
    page_blueprints.append(issued_views.bp)
    page_blueprints.append(achievements_views.bp)
    events.register(app, renewals)  # renews an expired certificate when its course is completed again
    register_feature(app, __package__, api_blueprints, page_blueprints, commands)
