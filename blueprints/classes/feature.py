"""Plugs the classes feature into the app (see app/features.py)."""

from app.features import register_demo_part, register_feature
from blueprints.classes.api import blp
from blueprints.classes.demo import seed_school
from blueprints.classes.views import bp as class_pages


def register(app):
    register_feature(app, __package__, api_blueprints=(blp,), page_blueprints=(class_pages,))
    register_demo_part(app, 20, seed_school)
