"""Plugs the operations feature into the app (see app/features.py)."""

from app.features import register_feature
from blueprints.operations.views import bp as operations_pages


def register(app):
    register_feature(app, __package__, page_blueprints=(operations_pages,))
