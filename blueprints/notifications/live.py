"""The bell's live count: a Redis channel per person, published when their notifications change, and the
server-sent events stream an open page listens to (docs/notifications.md, "Live bell" and "Core").

A stream holds a server thread (and a Redis connection) while the page is open, up to
`NOTIFICATIONS_STREAM_SECONDS`, and until its next write after the page is gone (a keep-alive, 15 s at most);
a process serves at most `NOTIFICATIONS_STREAMS_PER_PROCESS` of them at once. Past that it answers 204, which
tells the browser's EventSource not to reconnect: that page's bell then lives on its 60 s poll alone, and the
threads stay free for pages."""

import logging
import threading
import time

from flask import current_app
from redis import RedisError

from app.jobs import redis_connection
from app.tenancy.context import require_tenant

log = logging.getLogger(__name__)

KEEP_ALIVE_SECONDS = 15  # a comment line: proxies keep the connection, and a closed tab is noticed (the write fails)


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


class StreamSlots:
    """How many streams this process serves now, at most `limit` (one per open page of a signed-in person)."""

    def __init__(self):
        self._lock = threading.Lock()
        self.open = 0

    def take(self, limit):
        with self._lock:
            if self.open >= limit:
                return False
            self.open += 1
            return True

    def give_back(self):
        with self._lock:
            self.open -= 1


SLOTS = StreamSlots()


def server_sent_event(name, data):
    """One SSE event; each line of `data` is a `data:` line (the browser joins them with newlines)."""
    lines = "".join(f"data: {line}\n" for line in (data.splitlines() or [""]))
    return f"event: {name}\n{lines}\n"


def events_for(user_id, render_bell, seconds=None, keep_alive=None):
    """The stream of one person's page: `unread` with the bell's HTML at once and after each publish for them,
    a comment every `keep_alive` seconds, for `seconds`. None when this process serves all the streams it may
    (the caller answers 204). `render_bell()` renders the bell's count (one COUNT)."""
    config = current_app.config
    slots = SLOTS  # the stream gives its slot back to where it took it from (tests swap in their own)
    if not slots.take(config["NOTIFICATIONS_STREAMS_PER_PROCESS"]):
        return None
    seconds = seconds or config["NOTIFICATIONS_STREAM_SECONDS"]
    keep_alive = keep_alive or KEEP_ALIVE_SECONDS
    try:
        pubsub = redis_connection().pubsub(ignore_subscribe_messages=True)
        pubsub.subscribe(channel_of(require_tenant().slug, user_id))
    except RedisError:
        slots.give_back()
        log.warning("No live bell: Redis is unreachable", exc_info=True)
        return None

    def release():
        pubsub.close()
        slots.give_back()

    def stream():
        try:
            yield "retry: 10000\n" + server_sent_event("unread", render_bell())
            ends = time.monotonic() + seconds
            quiet_since = time.monotonic()
            while (left := ends - time.monotonic()) > 0:
                message = pubsub.get_message(timeout=min(left, keep_alive))
                if message is not None:
                    while pubsub.get_message(timeout=0) is not None:
                        pass  # several changes at once: one count says them all
                    yield server_sent_event("unread", render_bell())
                    quiet_since = time.monotonic()
                elif time.monotonic() - quiet_since >= keep_alive:
                    yield ": still here\n\n"
                    quiet_since = time.monotonic()
        except RedisError:
            log.warning("The live bell lost Redis; the page polls", exc_info=True)

    return EventStream(stream(), release)


class EventStream:
    """An iterable that gives its slot and its Redis connection back once closed, even if never iterated (a
    client gone before the first byte): the server closes what it was given."""

    def __init__(self, events, release):
        self.events, self.release, self.closed = events, release, False

    def __iter__(self):
        return self

    def __next__(self):
        return next(self.events)

    def close(self):
        if not self.closed:
            self.closed = True
            self.events.close()
            self.release()
