"""`record(...)`: add an audit entry to the current tenant session, in the same transaction as the change.

Called by services, not views, right where the change is made: the entry commits with the change or not at
all (an outbox-like guarantee, without a relay: the entry needs the request's address, which events do not
carry). Failed sign-ins, which change nothing else, commit their entry on their own (`commit=True`).
"""

from dataclasses import dataclass

from flask import g, has_request_context, request

from app.extensions import db
from app.observability.request_id import current_request_id
from blueprints.api_keys.queries import key_name
from blueprints.audit.actions import ACTIONS
from blueprints.audit.models import AuditEvent, AuditOutcome
from blueprints.users.queries import contacts_of

SYSTEM = "system"
ANONYMOUS = "anonymous"


@dataclass(frozen=True)
class Acting:
    """Who acted, when it is not the request's principal: the person signing in or out, the starter of a job."""

    kind: str
    id: int | None
    email: str


def as_person(user):
    """A person (a `User` row) as the actor of an entry."""
    return Acting("user", user.id, user.email)


def acting_from_ids(user_id, api_key_id):
    """The person or API key a job works for (a row's `created_by_id` / `created_by_api_key_id`), labelled as
    their principal would be; the system when neither."""
    if user_id is not None:
        _name, email = contacts_of([user_id]).get(user_id, ("", ""))
        return Acting("user", user_id, email)
    if api_key_id is not None:
        return Acting("api_key", api_key_id, f"api-key:{key_name(api_key_id) or api_key_id}")
    return None


def _actor_fields(actor):
    """(kind, id, label) of a principal, an Actor, or None (the request's actor if any, else the system)."""
    if actor is None and has_request_context():
        actor = g.get("actor")
        principal = getattr(actor, "principal", None) if actor is not None else g.get("principal")
        actor = principal
    principal = getattr(actor, "principal", actor)
    if principal is None:
        return (ANONYMOUS, None, "") if has_request_context() else (SYSTEM, None, "")
    return principal.kind, principal.id, principal.email or ""


def _origin():
    if not has_request_context():
        return None, None
    return request.remote_addr, (request.user_agent.string or "")[:255] or None


def record(
    action,
    *,
    target_type=None,
    target_id=None,
    target_label="",
    subject_user_id=None,
    details=None,
    outcome=AuditOutcome.SUCCESS,
    actor=None,
    commit=False,
):
    """Add one entry (and flush nothing: it commits with the caller's transaction unless `commit`)."""
    if action not in ACTIONS:
        raise ValueError(f"Unknown audit action {action!r}: add it to blueprints/audit/actions.py.")
    kind, actor_id, actor_label = _actor_fields(actor)
    ip, user_agent = _origin()
    entry = AuditEvent(
        action=action,
        outcome=outcome,
        actor_kind=kind,
        actor_id=actor_id,
        actor_label=(actor_label or "")[:255],
        target_type=target_type,
        target_id=None if target_id is None else str(target_id),
        target_label=(target_label or "")[:255],
        subject_user_id=subject_user_id,
        details=details or {},
        ip=ip,
        user_agent=user_agent,
        request_id=current_request_id(),
    )
    db.session.add(entry)
    if commit:
        db.session.commit()
    return entry
