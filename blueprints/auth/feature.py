"""Plugs the auth feature into the app (see app/features.py)."""

from app.features import register_feature
from blueprints.auth.api import blp
from blueprints.auth.views import bp as auth_pages


def register(app):
    register_feature(app, __package__, api_blueprints=(blp,), page_blueprints=(auth_pages,))
