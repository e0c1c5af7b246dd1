"""Plugs the imports feature into the app (see app/features.py)."""

from app.features import register_feature
from blueprints.imports.api import blp
from blueprints.imports.views import bp as import_pages


def register(app):
    register_feature(app, __package__, api_blueprints=(blp,), page_blueprints=(import_pages,))
