"""How far behind the event relay is, measured by its sweep (`flask events relay`) and read at a scrape.

The sweep already visits every organization's outbox; it writes the time of the oldest event still waiting for a
delivery (and of the sweep itself) to one Redis key, so that a scrape costs one GET rather than a query per
organization. The lag grows at each scrape while that event waits, also when the sweep has stopped.
"""

import json
import time
from datetime import UTC

from app.jobs import redis_connection


def backlog_key(app):
    return f"{app.config['RQ_QUEUE']}:metrics:event-backlog"


def note_event_backlog(app, oldest_undelivered):
    """`oldest_undelivered`: a naive UTC datetime (the outbox's), or None when nothing waits."""
    oldest = oldest_undelivered.replace(tzinfo=UTC).timestamp() if oldest_undelivered else None
    value = json.dumps({"oldest": oldest, "swept_at": time.time()})
    redis_connection(app).set(backlog_key(app), value)


def event_backlog(raw):
    """(lag in seconds, time of the last sweep or None), as of now, from the key's value (None: never swept)."""
    if raw is None:
        return 0.0, None
    noted = json.loads(raw)
    lag = max(time.time() - noted["oldest"], 0.0) if noted["oldest"] is not None else 0.0
    return lag, noted["swept_at"]
