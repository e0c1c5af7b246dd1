"""Plugs the credentials feature into the app (see app/features.py). Each part registers its own blueprints below
(one line each)."""

from app.features import register_demo_part, register_feature
from blueprints.credentials import admin_views, api, cli, public_views
from blueprints.credentials.demo import seed_signing_key


def register(app):
    api_blueprints = []
    page_blueprints = []
    commands = []
    api_blueprints.append(api.blp)
    page_blueprints.append(public_views.bp)
    page_blueprints.append(admin_views.bp)
    commands.append(cli.credentials_cli)
    register_feature(app, __package__, api_blueprints, page_blueprints, commands)
    register_demo_part(app, 50, seed_signing_key)  # after the school, courses and enrollments
