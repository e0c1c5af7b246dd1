"""Plugs the api_keys feature into the app (see app/features.py)."""

from app.features import register_feature
from blueprints.api_keys.api import blp
from blueprints.api_keys.views import bp as api_keys_pages


def register(app):
    register_feature(app, __package__, api_blueprints=(blp,), page_blueprints=(api_keys_pages,))
