"""Plugs the assessments feature into the app (see app/features.py): question banks, quizzes, attempts,
statistics. Each part registers its own blueprints below (one line each)."""

from app.features import register_feature
from blueprints.assessments import formats_api, formats_views


def register(app):
    api_blueprints = []
    page_blueprints = []
    commands = []
    api_blueprints.append(formats_api.blp)
    page_blueprints.append(formats_views.bp)
    register_feature(
        app,
        __package__,
        api_blueprints=tuple(api_blueprints),
        page_blueprints=tuple(page_blueprints),
        commands=tuple(commands),
    )
