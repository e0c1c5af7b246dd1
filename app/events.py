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
PENDING = "pending_events"


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


def emit_after_commit(session, name, **payload):
    """Emit once the session's transaction commits; a rollback drops the event.

    The session (app.tenancy.session) emits them after `commit()` returns, when subscribers may use
    the database again (inside SQLAlchemy's own after_commit hook they could not).
    """
    session.info.setdefault(PENDING, []).append((name, payload))


def emit_pending(session):
    pending = session.info.pop(PENDING, [])
    for name, payload in pending:
        emit(name, **payload)


def drop_pending(session):
    session.info.pop(PENDING, None)
