"""Plugs the branches feature into the app (see app/features.py)."""

from app.features import register_feature
from app.security.actor import register_scope_resolver
from blueprints.branches.api import blp
from blueprints.branches.scope import compute_scope
from blueprints.branches.views import bp as branch_pages


def register(app):
    register_feature(app, __package__, api_blueprints=(blp,), page_blueprints=(branch_pages,))
    register_scope_resolver(app, compute_scope)
