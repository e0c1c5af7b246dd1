"""`record(...)`: add an audit entry to the current tenant session, in the same transaction as the change.

Called by services, not views, right where the change is made: the entry commits with the change or not at
all (an outbox-like guarantee, without a relay: the entry needs the request's address, which events do not
carry). Failed sign-ins, which change nothing else, commit their entry on their own (`commit=True`).
"""

from app.audit.entries import ANONYMOUS, SYSTEM, Acting, add_entry
from blueprints.api_keys.queries import key_name
from blueprints.audit.actions import ACTIONS
from blueprints.audit.models import AuditEvent, AuditOutcome
from blueprints.users.queries import contacts_of

__all__ = ["ANONYMOUS", "SYSTEM", "Acting", "acting_from_ids", "as_person", "record"]


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
    return add_entry(
        AuditEvent,
        action,
        target_type=target_type,
        target_id=target_id,
        target_label=target_label,
        details=details,
        outcome=outcome,
        actor=actor,
        subject_user_id=subject_user_id,
        commit=commit,
    )
