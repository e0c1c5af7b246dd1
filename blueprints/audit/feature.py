"""Plugs the audit trail into the app (see app/features.py)."""

from app.features import register_demo_part, register_feature
from blueprints.audit import api, views
from blueprints.audit.demo import seed_audit_trail


def register(app):
    register_feature(app, __package__, [api.blp, api.platform_blp], [views.bp, views.platform_bp])
    register_demo_part(app, 97, seed_audit_trail)  # after the others' parts (96), before the read model (99)
