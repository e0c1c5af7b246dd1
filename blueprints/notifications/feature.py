"""Plugs the notifications feature into the app (see app/features.py). Each part registers its own blueprints
and commands below (one line each)."""

from app.features import register_demo_part, register_feature
from blueprints.notifications import announcement_views, announcements_api, api, unsubscribe_views, views
from blueprints.notifications import cli as notifications_cli
from blueprints.notifications.demo import seed_announcements


def register(app):
    api_blueprints = [api.blp]
    page_blueprints = [views.bp]
    commands = []
    api_blueprints.append(announcements_api.blp)
    page_blueprints.append(announcement_views.bp)
    app.add_template_global(views.bell_count, "notification_bell_count")  # the header's bell (base.html)
    page_blueprints.append(unsubscribe_views.bp)  # part "email": the one-click unsubscribe page
    commands.append(notifications_cli.notifications_cli)  # part "email": `flask notifications sweep`
    register_feature(app, __package__, api_blueprints, page_blueprints, commands)
    register_demo_part(app, 96, seed_announcements)  # after the others' parts (the reports' schedules: 95)
