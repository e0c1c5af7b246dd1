"""Who acts in this request and what they reach: `current_actor`, resolved once per request and kept in `g`.

The actor is the principal (a person, an API key, an operator) and its scope: the branches it manages and
the classes it teaches. Working the scope out takes queries of the branches and classes features, so the
core does not compute it: the branches feature registers how (`register_scope_resolver`), the way users
registers provisioning's first admin. The scope is worked out on first use, then kept for the request:
every check of the same request agrees, and a page that checks five things pays for one resolution.
"""

from functools import cached_property

from flask import current_app, g, has_request_context
from werkzeug.local import LocalProxy

from app.security.principal import current_principal

SCOPE_RESOLVER = "tessera.scope_resolver"


def register_scope_resolver(app, resolve_scope):
    """`resolve_scope(principal)` returns the principal's scope (the branches feature says how)."""
    app.extensions[SCOPE_RESOLVER] = resolve_scope


def resolve_scope(principal):
    resolve = current_app.extensions.get(SCOPE_RESOLVER)
    if resolve is None:
        raise RuntimeError("No feature registered how to work out a scope (the branches feature does).")
    return resolve(principal)


class Actor:
    """A principal and its scope; reads like the principal (`actor.id`, `actor.kind`, `actor.can(...)`)."""

    def __init__(self, principal):
        self.principal = principal

    @cached_property
    def scope(self):
        return None if self.principal is None else resolve_scope(self.principal)

    @property
    def is_authenticated(self):
        return self.principal is not None

    def __getattr__(self, name):
        if name == "principal":  # not set yet (copying, pickling): never recurse
            raise AttributeError(name)
        return getattr(self.principal, name)

    def __repr__(self):
        return f"<Actor {self.principal!r}>"


def get_current_actor():
    """The actor of this request (its principal None when anonymous); one per principal and request."""
    principal = current_principal()
    actor = g.get("actor")
    if actor is None or actor.principal != principal:  # a sign-in during the request changes who acts
        actor = g.actor = Actor(principal)
    return actor


current_actor = LocalProxy(get_current_actor)


def request_scope_of(principal):
    """The scope kept for this request when `principal` is the request's principal, else None: a scope
    asked for someone else (a job, a test, another account) is worked out afresh."""
    if not has_request_context() or principal is None or g.get("principal") != principal:
        return None
    return get_current_actor().scope
