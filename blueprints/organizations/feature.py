"""Plugs the organizations feature into the app (see app/features.py)."""

from app.features import register_feature
from blueprints.organizations.api import blp
from blueprints.organizations.views import bp as organization_pages


def register(app):
    register_feature(app, __package__, api_blueprints=(blp,), page_blueprints=(organization_pages,))
