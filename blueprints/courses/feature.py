"""Plugs the courses feature into the app (see app/features.py)."""

from app.features import register_demo_part, register_feature
from blueprints.courses.api import blp, content_blp, media_blp
from blueprints.courses.demo import seed_course, seed_open_course
from blueprints.courses.teaching_views import bp as teaching_pages


def register(app):
    register_feature(
        app,
        __package__,
        api_blueprints=(
            blp,
            content_blp,
            media_blp,
        ),
        page_blueprints=(teaching_pages,),
    )
    register_demo_part(app, 30, seed_course)
    register_demo_part(app, 31, seed_open_course)
