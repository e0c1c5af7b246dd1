"""The webhooks' one subscriber: every organization event becomes a delivery to each subscription wanting it
(docs/integrations.md, "Webhooks: how deliveries flow")."""

from app.events import subscriber
from blueprints.integrations import webhooks


@subscriber(*webhooks.tenant_event_names())
def deliver_to_webhooks(event):
    """Insert the event's deliveries (one statement; a re-run adds none) and queue them once the relay commits."""
    webhooks.add_event_deliveries(event)
