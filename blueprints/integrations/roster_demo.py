"""The roster sync's part of the demo: a OneRoster integration, "Demo SIS". Its page's export link gives the
demo organization's roster as a OneRoster zip; uploading it back dry-runs clean and changes nothing."""

import sqlalchemy as sa

from app.extensions import db
from blueprints.integrations.models import Integration, IntegrationKind

DEMO_NAME = "Demo SIS"


def seed_roster_integration(_password):
    if db.session.scalar(sa.select(Integration.id).where(Integration.name == DEMO_NAME)) is None:
        integration = Integration(
            kind=IntegrationKind.ONEROSTER, name=DEMO_NAME, settings={"source_url": None, "processing": "bulk"}
        )
        db.session.add(integration)
        db.session.flush()
        yield f"created OneRoster integration {DEMO_NAME}: /integrations/{integration.id}/syncs"
    db.session.commit()
