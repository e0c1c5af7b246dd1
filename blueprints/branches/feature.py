"""Plugs the branches feature into the app (see app/features.py)."""

from app.features import register_feature
from blueprints.branches.api import blp
from blueprints.branches.views import bp as branch_pages


def register(app):
    register_feature(app, __package__, api_blueprints=(blp,), page_blueprints=(branch_pages,))
