"""Plugs the badges feature into the app (see app/features.py). Each part registers its own blueprints below
(one line each)."""

from app.features import register_demo_part, register_feature
from blueprints.badges import api, hosted_views, views
from blueprints.badges.demo import seed_badges


def register(app):
    api_blueprints = [api.blp, api.people_blp, api.awards_blp]
    page_blueprints = [hosted_views.bp, hosted_views.status_bp, views.bp]
    commands = []
    register_feature(app, __package__, api_blueprints, page_blueprints, commands)
    register_demo_part(app, 42, seed_badges)  # after the assessments' quiz (41)
