"""Plugs the notifications feature into the app (see app/features.py). Each part registers its own blueprints
and commands below (one line each)."""

from app.features import register_demo_part, register_feature
from blueprints.notifications import (
    announcement_views,
    announcements_api,
    api,
    template_views,
    templates_api,
    unsubscribe_views,
    views,
)
from blueprints.notifications import cli as notifications_cli
from blueprints.notifications.demo import seed_announcements
from blueprints.notifications.template_demo import seed_templates


def register(app):
    api_blueprints = [api.blp]  # part core: my notifications, my settings, the organization's defaults
    page_blueprints = [views.bp]  # part core: the list, the settings, the bell's stream
    commands = []
    app.add_template_global(views.bell_count, "notification_bell_count")  # the header's bell (base.html)
    api_blueprints.append(templates_api.blp)  # part templates: /api/v1/notifications/templates
    page_blueprints.append(template_views.bp)  # part templates: /notifications/templates
    page_blueprints.append(unsubscribe_views.bp)  # part "email": the one-click unsubscribe page
    commands.append(notifications_cli.notifications_cli)  # part "email": `flask notifications sweep`
    api_blueprints.append(announcements_api.blp)  # part announcements: POST /notifications, /announcements
    page_blueprints.append(announcement_views.bp)  # part announcements: /announcements
    register_feature(app, __package__, api_blueprints, page_blueprints, commands)
    register_demo_part(app, 15, seed_templates)  # part templates: after the people (10), before any completion
    register_demo_part(app, 96, seed_announcements)  # after the others' parts (the reports' schedules: 95)
