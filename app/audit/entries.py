"""What every audit trail shares: an entry's columns, who acted and from where, and the rule that entries are
never changed. The organizations' trail (`blueprints/audit/`, each tenant database) and the platform's
(`app/audit/platform.py`, the control database) are two tables of the same shape.
"""

from dataclasses import dataclass

import sqlalchemy as sa
from flask import g, has_request_context, request
from sqlalchemy import event

from app.extensions import db
from app.observability.request_id import current_request_id
from app.tenancy.models import utcnow

SYSTEM = "system"
ANONYMOUS = "anonymous"


class AuditOutcome:
    SUCCESS = "success"
    FAILURE = "failure"  # a refused sign-in, a denied attempt worth recording
    ALL = (SUCCESS, FAILURE)


class AuditEntryColumns:
    """The columns of an entry in any trail: when, what, by whom, to what, from where."""

    id = sa.Column(sa.Integer, primary_key=True)
    occurred_at = sa.Column(sa.DateTime, nullable=False, default=utcnow, index=True)
    action = sa.Column(sa.String(60), nullable=False)  # catalogued: the trail refuses an unknown action
    outcome = sa.Column(sa.String(10), nullable=False, default=AuditOutcome.SUCCESS)
    # who: "user", "api_key", "operator" (a principal's kind), "system" (a job, the CLI) or "anonymous"
    actor_kind = sa.Column(sa.String(20), nullable=False)
    actor_id = sa.Column(sa.Integer)
    actor_label = sa.Column(sa.String(255), nullable=False, default="")
    # what: the thing acted on ("user", "class", "api_key", "integration", "organization", "report", ...)
    target_type = sa.Column(sa.String(40))
    target_id = sa.Column(sa.String(64))
    target_label = sa.Column(sa.String(255), nullable=False, default="")
    details = sa.Column(sa.JSON, nullable=False, default=dict)  # changed fields (before/after), counts; never secrets
    # from where
    ip = sa.Column(sa.String(45))
    user_agent = sa.Column(sa.String(255))
    request_id = sa.Column(sa.String(64))


class AuditEntriesAreAppendOnly(RuntimeError):
    pass


def append_only(model):
    """Make the mapper refuse an UPDATE or DELETE of an entry of `model` (a class decorator)."""

    def refuse(_mapper, _connection, entry):
        raise AuditEntriesAreAppendOnly(f"Audit entry {entry.id} cannot be changed or deleted.")

    event.listen(model, "before_update", refuse)
    event.listen(model, "before_delete", refuse)
    return model


@dataclass(frozen=True)
class Acting:
    """Who acted, when it is not the request's principal: the person signing in or out, the starter of a job."""

    kind: str
    id: int | None
    email: str


def actor_fields(actor):
    """(kind, id, label) of a principal, an Acting, or None (the request's actor if any, else the system)."""
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


def add_entry(model, action, *, commit=False, **fields):
    """Add an entry of `model` to the session (it commits with the caller's change unless `commit`)."""
    entry = new_entry(model, action, **fields)
    db.session.add(entry)
    if commit:
        db.session.commit()
    return entry


def new_entry(model, action, *, target_type, target_id, target_label, details, outcome, actor, **extra):
    """An entry of `model` with the actor, address, user agent and request id filled in (not added anywhere)."""
    kind, actor_id, actor_label = actor_fields(actor)
    ip, user_agent = _origin()
    return model(
        action=action,
        outcome=outcome,
        actor_kind=kind,
        actor_id=actor_id,
        actor_label=(actor_label or "")[:255],
        target_type=target_type,
        target_id=None if target_id is None else str(target_id),
        target_label=(target_label or "")[:255],
        details=details or {},
        ip=ip,
        user_agent=user_agent,
        request_id=current_request_id(),
        **extra,
    )
