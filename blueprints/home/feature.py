"""Plugs the home feature into the app (see app/features.py)."""

from app.features import register_feature
from blueprints.home.views import bp as home_pages


def register(app):
    register_feature(app, __package__, page_blueprints=(home_pages,))
