"""Plugs the learning feature into the app (see app/features.py)."""

from app.features import register_demo_part, register_feature
from blueprints.learning.api import learners_blp
from blueprints.learning.demo import seed_enrollments
from blueprints.learning.views import bp as learning_pages


def register(app):
    register_feature(app, __package__, api_blueprints=(learners_blp,), page_blueprints=(learning_pages,))
    register_demo_part(app, 40, seed_enrollments)
