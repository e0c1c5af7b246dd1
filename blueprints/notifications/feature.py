"""Plugs the notifications feature into the app (see app/features.py). Each part registers its own blueprints
and commands below (one line each)."""

from app.features import register_feature
from blueprints.notifications import api, views


def register(app):
    api_blueprints = [api.blp]
    page_blueprints = [views.bp]
    commands = []
    app.add_template_global(views.bell_count, "notification_bell_count")  # the header's bell (base.html)
    register_feature(app, __package__, api_blueprints, page_blueprints, commands)
