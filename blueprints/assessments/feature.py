"""Plugs the assessments feature into the app (see app/features.py): question banks, quizzes, attempts,
statistics. Each part registers its own blueprints below (one line each)."""

from app.features import register_demo_part, register_feature
from blueprints.assessments import (
    analysis_api,
    analysis_views,
    attempts_views,
    bank_api,
    bank_views,
    formats_api,
    formats_views,
    quizzes_api,
    quizzes_views,
)
from blueprints.assessments.demo import seed_quiz


def register(app):
    api_blueprints = []
    api_blueprints.append(bank_api.blp)
    api_blueprints.append(quizzes_api.blp)
    api_blueprints.append(analysis_api.blp)
    page_blueprints = []
    page_blueprints.append(bank_views.bp)
    page_blueprints.append(quizzes_views.bp)
    page_blueprints.append(analysis_views.bp)
    commands = []
    api_blueprints.append(formats_api.blp)
    page_blueprints.append(formats_views.bp)
    attempts_views.plug(api_blueprints, page_blueprints, commands)
    register_feature(
        app,
        __package__,
        api_blueprints=tuple(api_blueprints),
        page_blueprints=tuple(page_blueprints),
        commands=tuple(commands),
    )
    register_demo_part(app, 41, seed_quiz)  # after learning's enrollments (40)
