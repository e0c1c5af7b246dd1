"""Integrations for tests: the demo's ids (the crawler's page ids)."""

import sqlalchemy as sa

from app.extensions import db
from blueprints.integrations.models import Integration, WebhookSubscription
from blueprints.integrations.receiver import DEMO_INTEGRATION


def demo_integration_ids():
    """The demo's "Demo receiver" integration and its subscription (inside the demo tenant's context)."""
    integration_id = db.session.scalar(sa.select(Integration.id).where(Integration.name == DEMO_INTEGRATION))
    subscription_id = db.session.scalar(
        sa.select(WebhookSubscription.id).where(WebhookSubscription.integration_id == integration_id)
    )
    return {"integration_id": integration_id, "subscription_id": subscription_id}
