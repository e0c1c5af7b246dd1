"""Plugs the notifications feature into the app (see app/features.py). Each part registers its own blueprints
and commands below (one line each)."""

from app.features import register_demo_part, register_feature
from blueprints.notifications import cli as notifications_cli
from blueprints.notifications import template_views, templates_api, unsubscribe_views
from blueprints.notifications.template_demo import seed_templates


def register(app):
    api_blueprints = []
    page_blueprints = []
    commands = []
    api_blueprints.append(templates_api.blp)  # part templates: /api/v1/notifications/templates
    page_blueprints.append(template_views.bp)  # part templates: /notifications/templates
    page_blueprints.append(unsubscribe_views.bp)  # part "email": the one-click unsubscribe page
    commands.append(notifications_cli.notifications_cli)  # part "email": `flask notifications sweep`
    register_feature(app, __package__, api_blueprints, page_blueprints, commands)
    register_demo_part(app, 15, seed_templates)  # part templates: after the people (10), before any completion
