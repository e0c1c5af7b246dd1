"""Domain events through a transactional outbox: written with the change, delivered after it commits.

    emit_after_commit(db.session, "course.completed", course_id=course.id, user_id=user.id)
    db.session.commit()

`emit_after_commit` checks the event against the catalog (`app/events/catalog.py`) and adds it to the
outbox table of the same database, in the same transaction: a rollback takes the event with the change,
a commit keeps both. Right after the commit the relay (`app/events/relay.py`) queues one RQ job per
(event, subscriber); a periodic sweep (`flask events relay`) queues whatever a crash left behind.

Subscribers live in each feature's `subscribers.py`, marked with `@subscriber("name")`, and are
registered by the factory (`register_subscribers` in `app/__init__.py`): grep `@subscriber("` to see who
reacts to what, or run `flask events catalog`. Each runs in the worker, inside the event's organization,
at least once; its delivery row makes it take effect once per event id.

`subscribe(name)(func)` / `unsubscribe(name, func)` add a subscriber to this process only (tests, tools):
a worker in another process does not know it.
"""

from flask import current_app, has_request_context

from app.events.catalog import Actor, build, event_type
from app.events.models import MODELS
from app.observability.request_id import current_request_id
from app.security.principal import try_current_principal
from app.tenancy.context import require_tenant

PENDING = "pending_event_relays"
HOLD_COMMITS = "hold_commits"
_local_subscribers = {}  # name -> {key: func}, this process only


def subscriber(*names):
    """Mark a function of a feature's `subscribers.py` as reacting to these events (no registration here:
    the factory registers the module)."""

    def decorator(func):
        func.__subscribes_to__ = tuple(names)
        return func

    return decorator


def register(app, module):
    """Register every `@subscriber` function of `module` with `app` (called once per feature module)."""
    registry = app.extensions.setdefault("event_subscribers", {})
    for func in vars(module).values():
        for name in getattr(func, "__subscribes_to__", ()):
            event_type(name)  # a subscriber to a misspelt event fails the factory, not silently later
            registry.setdefault(name, {})[f"{func.__module__}.{func.__qualname__}"] = func


def subscribe(name):
    event_type(name)

    def decorator(func):
        _local_subscribers.setdefault(name, {})[f"local:{func.__qualname__}@{id(func):x}"] = func
        return func

    return decorator


def unsubscribe(name, func):
    for key, known in list(_local_subscribers.get(name, {}).items()):
        if known == func:
            del _local_subscribers[name][key]


def subscribers_of(name, app=None):
    """{key: function} of every subscriber to `name`, registered or local to this process."""
    app = app or current_app
    return {**app.extensions.get("event_subscribers", {}).get(name, {}), **_local_subscribers.get(name, {})}


def _current_actor():
    if not has_request_context():
        return Actor()
    return Actor.of(try_current_principal())


def emit_after_commit(session, name, *, tenant=None, actor=None, **fields):
    """Write the event `name` to the outbox in `session`'s transaction; it is delivered once that commits.

    Tenant events go to the current organization's outbox (`tenant` defaults to it); platform events
    (`tenant.created`, ...) to the control plane's and name their organization with `tenant=slug`.
    Raises `UnknownEvent` / `InvalidPayload` for an event the catalog does not know in that shape."""
    scope = event_type(name).scope
    if scope == "tenant":
        current = require_tenant().slug
        if tenant not in (None, current):
            raise ValueError(f"An event of {current!r} cannot be about {tenant!r}.")
        tenant = current
    event = build(name, tenant=tenant, actor=actor or _current_actor(), **fields)
    outbox = MODELS[scope][0]
    session.add(
        outbox(
            id=event.event_id,
            name=name,
            payload=event.to_json(),
            occurred_at=event.occurred_at,
            request_id=current_request_id(),
        )
    )
    session.info.setdefault(PENDING, set()).add(scope)
    return event


def relay_after_commit(session):
    """Called by the session once a commit went through: queue the deliveries of what it wrote."""
    scopes = session.info.pop(PENDING, set())
    if scopes:
        from app.events.relay import relay_now  # noqa: PLC0415 (relay builds on this module's registry)

        for scope in sorted(scopes):
            relay_now(scope)


def drop_pending(session):
    session.info.pop(PENDING, None)
