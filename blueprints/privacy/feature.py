"""Plugs the privacy feature into the app (see app/features.py): a person's data export and erasure, archiving
by policy (docs/operations.md, part privacy)."""

from app.features import register_demo_part, register_feature
from blueprints.privacy import api, cli, views
from blueprints.privacy.demo import seed_privacy


def register(app):
    register_feature(
        app, __package__, api_blueprints=(api.blp,), page_blueprints=(views.bp,), commands=(cli.privacy_cli,)
    )
    register_demo_part(app, 97, seed_privacy)  # after the people, courses and reports it shows
