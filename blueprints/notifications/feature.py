"""Plugs the notifications feature into the app (see app/features.py). Each part registers its own blueprints
and commands below (one line each)."""

from app.features import register_feature


def register(app):
    api_blueprints = []
    page_blueprints = []
    commands = []
    register_feature(app, __package__, api_blueprints, page_blueprints, commands)
