"""In-process domain events: services emit after commit, features subscribe.

    @subscribe("tenant.created")
    def welcome(payload): ...

    emit("tenant.created", tenant_id=7, slug="acme")

A failing subscriber is logged and does not stop the others nor the emitter: by the time an event is
emitted its change is committed, and reactions (badges, mail, webhooks) must not undo it.
"""

import logging
from collections import defaultdict

log = logging.getLogger(__name__)
_subscribers = defaultdict(list)


def subscribe(name):
    def decorator(func):
        if func not in _subscribers[name]:
            _subscribers[name].append(func)
        return func

    return decorator


def unsubscribe(name, func):
    if func in _subscribers[name]:
        _subscribers[name].remove(func)


def emit(name, **payload):
    for subscriber in list(_subscribers[name]):
        try:
            subscriber(dict(payload, event=name))
        except Exception:
            log.exception("Subscriber %s of %s failed", subscriber.__qualname__, name)
