"""Plugs the analytics feature into the app (see app/features.py). Each part registers its own blueprints and
commands below (one line each)."""

from app.features import register_demo_part, register_feature
from blueprints.analytics import api, cli, views
from blueprints.analytics.demo import rebuild_read_model, seed_history


def register(app):
    api_blueprints = []
    api_blueprints += [api.blp, api.course_blp]  # figures
    page_blueprints = []
    page_blueprints += [views.bp]  # pages: the dashboards
    commands = []
    commands.append(cli.analytics_cli)
    register_feature(app, __package__, api_blueprints, page_blueprints, commands)
    register_demo_part(app, 60, seed_history)  # after the school, courses, enrollments and the quiz (<= 50)
    # last: a demo database made before the read model existed has every source row and no analytics row
    register_demo_part(app, 99, rebuild_read_model)  # last: whatever the parts before wrote
