"""What other features may ask of the integrations feature (cross-feature reads go through here)."""

from app.extensions import db
from blueprints.integrations.models import Integration


def integration_exists(integration_id):
    """Whether this organization has an integration of this id."""
    return db.session.get(Integration, integration_id) is not None


def integration_names():
    """id -> name of the organization's integrations (the API keys page's choices)."""
    return dict(db.session.execute(db.select(Integration.id, Integration.name).order_by(Integration.name)).all())
