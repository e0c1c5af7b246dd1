"""Plugs the notifications feature into the app (see app/features.py). Each part registers its own blueprints
and commands below (one line each)."""

from app.features import register_feature
from blueprints.notifications import template_views, templates_api


def register(app):
    api_blueprints = []
    page_blueprints = []
    commands = []
    api_blueprints.append(templates_api.blp)  # part templates: /api/v1/notifications/templates
    page_blueprints.append(template_views.bp)  # part templates: /notifications/templates
    register_feature(app, __package__, api_blueprints, page_blueprints, commands)
