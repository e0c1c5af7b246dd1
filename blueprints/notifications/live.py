"""The bell's live count: a Redis channel per person, published when their notifications change
(docs/notifications.md, "Live bell")."""

import logging

from redis import RedisError

from app.jobs import redis_connection
from app.tenancy.context import require_tenant

log = logging.getLogger(__name__)


def channel_of(slug, user_id):
    return f"tessera:notifications:{slug}:{user_id}"


def publish_counts(user_ids):
    """Tell these people's open pages that their unread count changed (never raises: the poll catches up)."""
    slug = require_tenant().slug
    try:
        with redis_connection().pipeline(transaction=False) as pipeline:
            for user_id in user_ids:
                pipeline.publish(channel_of(slug, user_id), "changed")
            pipeline.execute()
    except RedisError:
        log.warning("Could not publish notification counts", exc_info=True)
