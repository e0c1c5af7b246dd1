"""Plugs the audit trail into the app (see app/features.py)."""

from app.features import register_feature
from blueprints.audit import api, views


def register(app):
    register_feature(app, __package__, [api.blp], [views.bp])
