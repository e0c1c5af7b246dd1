"""What other features may read of API keys."""

import sqlalchemy as sa

from app.extensions import db
from blueprints.api_keys.models import ApiKey


def key_name(api_key_id):
    """A key's name (revoked keys included), or None for no such key."""
    return db.session.scalar(sa.select(ApiKey.name).where(ApiKey.id == api_key_id))
