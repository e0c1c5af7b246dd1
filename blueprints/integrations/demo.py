"""The integrations feature's part of the demo (manage): the webhook integration "Demo receiver", owned by the org
admin, subscribed to every event at the receiver `make run` starts (`flask integrations receiver`, port 8765), which
verifies each delivery with its secret. Completing a course as the demo student shows a signed `course.completed`
in its delivery log and in instance/logs/receiver.log."""

import sqlalchemy as sa

from app.extensions import db
from app.security.actor import Actor
from blueprints.integrations import services
from blueprints.integrations.models import ALL_EVENTS, Integration
from blueprints.integrations.receiver import DEFAULT_PORT, DEMO_INTEGRATION, PATH
from blueprints.users.services import find_user_by_email, principal_for_user

DEMO_RECEIVER_URL = f"http://127.0.0.1:{DEFAULT_PORT}{PATH}"


def seed_demo_receiver(_password):
    """Idempotent by name."""
    if db.session.scalar(sa.select(Integration.id).where(Integration.name == DEMO_INTEGRATION)) is not None:
        return
    admin = find_user_by_email("admin@demo.example")
    if admin is None:
        return
    services.create_integration(
        {
            "kind": "webhook",
            "name": DEMO_INTEGRATION,
            "subscription": {
                "url": DEMO_RECEIVER_URL,
                "event_types": [ALL_EVENTS],
                "description": "The demo receiver make run starts: it verifies and prints every delivery.",
            },
        },
        Actor(principal_for_user(admin.id)),
    )
    yield f"created the webhook integration “{DEMO_INTEGRATION}”: every event to {DEMO_RECEIVER_URL}"
