"""Plugs the integrations feature into the app (see app/features.py). Each part registers its own blueprints,
commands and demo steps below (one line each)."""

from app.features import register_demo_part, register_feature
from blueprints.integrations import cli as integrations_cli
from blueprints.integrations import deliveries_api, delivery_views, roster_api, roster_views
from blueprints.integrations.api import blp as integrations_api
from blueprints.integrations.demo import seed_demo_receiver
from blueprints.integrations.receiver import integrations_cli as receiver_cli
from blueprints.integrations.roster_demo import seed_roster_integration
from blueprints.integrations.views import bp as integration_pages


def register(app):
    api_blueprints = []
    api_blueprints.append(integrations_api)  # part manage: integrations, secrets, subscriptions
    page_blueprints = []
    page_blueprints.append(integration_pages)  # part manage: the integrations pages
    commands = []
    api_blueprints.append(deliveries_api.blp)  # part "hooks": the delivery log, redeliver, test events
    page_blueprints.append(delivery_views.bp)  # part "hooks": /integrations/<id>/deliveries
    commands.append(integrations_cli.integrations_cli)  # part "hooks": `flask integrations sweep` (others add theirs)
    commands.append(receiver_cli)  # part manage: `flask integrations receiver`
    api_blueprints.append(roster_api.blp)  # part "roster": syncs and the roster export
    page_blueprints.append(roster_views.bp)  # part "roster": /integrations/<id>/syncs
    register_demo_part(app, 70, seed_roster_integration)  # part "roster": the "Demo SIS" integration
    register_feature(app, __package__, api_blueprints, page_blueprints, commands)
    register_demo_part(app, 95, seed_demo_receiver)  # part manage: late, once the people exist
