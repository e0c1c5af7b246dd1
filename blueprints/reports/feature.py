"""Plugs the reports feature into the app (see app/features.py). Each part registers its own blueprints and
commands below (one line each)."""

from app.features import register_demo_part, register_feature
from blueprints.reports import api as reports_api
from blueprints.reports import cli, schedules_api, views
from blueprints.reports.demo import seed_report_schedules, seed_reports


def register(app):
    api_blueprints = []
    api_blueprints.append(reports_api.blp)
    page_blueprints = []
    commands = []
    api_blueprints.append(schedules_api.blp)
    page_blueprints.append(views.bp)
    commands.append(cli.reports_cli)
    register_feature(app, __package__, api_blueprints, page_blueprints, commands)
    register_demo_part(app, 70, seed_reports)  # after everything the reports read (the history: 60)
    register_demo_part(app, 95, seed_report_schedules)  # the org admin's weekly schedule
