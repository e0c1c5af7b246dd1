"""Plugs the certificates feature into the app (see app/features.py). Each part registers its own blueprints below
(one line each)."""

from app import events
from app.features import register_demo_part, register_feature
from blueprints.certificates import (
    achievements_views,
    certificates_api,
    cli,
    issued_views,
    renewals,
    settings_views,
    templates_api,
    templates_views,
    verify_api,
    verify_views,
)
from blueprints.certificates.demo import seed_certificates


def register(app):
    api_blueprints = []
    api_blueprints.extend((certificates_api.blp, templates_api.blp))
    page_blueprints = []
    page_blueprints.extend((templates_views.bp, settings_views.bp))
    commands = []
    api_blueprints.append(verify_api.blp)
    commands.append(cli.certificates_cli)
    page_blueprints.append(verify_views.bp)
    page_blueprints.append(issued_views.bp)
    page_blueprints.append(achievements_views.bp)
    events.register(app, renewals)  # renews an expired certificate when its course is completed again
    register_feature(app, __package__, api_blueprints, page_blueprints, commands)
    register_demo_part(app, 45, seed_certificates)  # after the demo course (and its quiz, 41)
