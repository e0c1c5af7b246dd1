"""Plugs the analytics feature into the app (see app/features.py). Each part registers its own blueprints and
commands below (one line each)."""

from app.features import register_demo_part, register_feature
from blueprints.analytics.demo import seed_history


def register(app):
    api_blueprints = []
    page_blueprints = []
    commands = []
    register_feature(app, __package__, api_blueprints, page_blueprints, commands)
    register_demo_part(app, 60, seed_history)  # after the school, courses, enrollments and the quiz (<= 50)
