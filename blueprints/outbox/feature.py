"""Plugs the outbox feature into the app (see app/features.py)."""

from app.features import register_feature
from blueprints.outbox.views import bp as outbox_pages


def register(app):
    register_feature(app, __package__, page_blueprints=(outbox_pages,))
