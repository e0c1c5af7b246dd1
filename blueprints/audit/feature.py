"""Plugs the audit trail into the app (see app/features.py)."""

from app.features import register_feature


def register(app):
    register_feature(app, __package__)
