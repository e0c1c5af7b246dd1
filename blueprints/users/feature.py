"""Plugs the users feature into the app (see app/features.py)."""

from app.features import register_demo_part, register_feature
from app.tenancy.provisioning import register_first_admin_hook
from blueprints.users.api import blp
from blueprints.users.demo import seed_people
from blueprints.users.services import create_first_admin
from blueprints.users.views import bp as people_pages


def register(app):
    register_feature(app, __package__, api_blueprints=(blp,), page_blueprints=(people_pages,))
    register_first_admin_hook(app, create_first_admin)
    register_demo_part(app, 10, seed_people)
