"""Changes to organizations heard by every process: a Redis channel that drops cached tenants at once.

The same channel carries changes to an organization's people (`people:<slug>`), which drop the principals kept
by app/security/principal_cache.py; a change to the organization itself drops both.

Each process keeps the active organizations it resolved (`ActiveTenantCache`). A change to a tenant's row
(suspend, archive, rename, branding, a move to another database server) committed anywhere is published on a
channel; every process listens on a daemon thread and forgets that organization. While the listener is
subscribed, cached entries live `TENANT_CACHE_LISTENING_SECONDS` (a safety net, not the mechanism); while it is
not (Redis down, reconnecting, not started yet), they live the short `TENANT_CACHE_SECONDS` as before, and the
whole cache is dropped when it subscribes again (what changed meanwhile was not heard).
"""

import logging
import os
import threading
import time

from redis import Redis, RedisError

log = logging.getLogger(__name__)

EXTENSION = "tenant_changes"


def channel_of(app):
    return f"{app.config['RQ_QUEUE']}:tenants-changed"


class TenantChanges:
    """The publisher and the listener of one app in one process (restarted after a fork: gunicorn's workers)."""

    def __init__(self, app, caches):
        self.url = app.config["REDIS_URL"]
        self.channel = channel_of(app)
        self.caches = caches  # each with forget(slug), forget_all(), `listening` and the message kinds it `hears`
        self._publisher = None
        self._thread = None
        self._pid = None
        self._lock = threading.Lock()

    def publish(self, slugs, kind=""):
        """Tell every process; a failure is logged (they will see it within the short time-to-live)."""
        try:
            if self._publisher is None:
                self._publisher = Redis.from_url(self.url, socket_timeout=2, socket_connect_timeout=2)
            for slug in slugs:
                self._publisher.publish(self.channel, f"{kind}:{slug}" if kind else slug)
        except RedisError as error:
            log.warning("Could not announce a change to organizations %s: %s", sorted(slugs), error)

    def ensure_listening(self):
        """Start the listener in this process once (cheap to call on every request)."""
        if self._pid == os.getpid() and self._thread is not None and self._thread.is_alive():
            return
        with self._lock:
            if self._pid == os.getpid() and self._thread is not None and self._thread.is_alive():
                return
            self._set_listening(False)  # a forked child inherits the flag, not the parent's connection
            self._publisher = None
            self._pid = os.getpid()
            self._thread = threading.Thread(target=self._listen, name="tenant-changes", daemon=True)
            self._thread.start()

    def _set_listening(self, listening):
        for cache in self.caches:
            cache.listening = listening
            cache.forget_all()

    def _listen(self):
        backoff = 0.5
        while True:
            try:
                client = Redis.from_url(self.url, socket_connect_timeout=2, health_check_interval=30)
                pubsub = client.pubsub()
                pubsub.subscribe(self.channel)
                for message in pubsub.listen():
                    if message["type"] == "subscribe":
                        # from here on every change is heard: drop what was kept before it
                        self._set_listening(True)
                        backoff = 0.5
                    elif message["type"] == "message":
                        kind, _, slug = message["data"].decode().rpartition(":")
                        for cache in self.caches:
                            if kind in cache.hears:
                                cache.forget(slug)
            except (RedisError, OSError) as error:
                self._set_listening(False)
                log.warning("Not hearing changes to organizations (%s); retrying in %.1f s", error, backoff)
                time.sleep(backoff)
                backoff = min(backoff * 2, 30)
