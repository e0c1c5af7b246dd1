"""The platform's audit trail: what operators (and the CLI) did to organizations, and operators' sign-ins.

One append-only table in the control database, of the same shape as an organization's trail
(`app/audit/entries.py`); read by operators on `/audit-trail` of the platform's address and through
`GET /api/v1/platform/audit-events` (`blueprints/audit/`). Recorded by the services that make the change
(`app/tenancy/provisioning.py`, `backups.py`, `restores.py`, `servers.py`) and by the operator's sign-in, in the
transaction of the change; a refused sign-in commits its entry on its own.

What an organization's own people do to their organization (an org admin renaming it) is in that
organization's trail, not here: `record_platform` leaves out a tenant principal's action.
"""

import click
import sqlalchemy as sa
from flask import has_request_context

from app.audit.entries import SYSTEM, Acting, AuditEntryColumns, AuditOutcome, actor_fields, add_entry, append_only
from app.extensions import db

PLATFORM_ACTIONS = {
    "operator.signed_in": "Operator signed in",
    "operator.sign_in_failed": "Operator sign-in refused (wrong password, unknown or inactive account, locked out)",
    "operator.signed_out": "Operator signed out",
    "organization.created": "Created an organization",
    "organization.updated": "Renamed an organization or changed its settings",
    "organization.suspended": "Suspended an organization",
    "organization.activated": "Reactivated an organization",
    "organization.archived": "Archived an organization (backed up; purged: database dropped)",
    "organization.backed_up": "Backed up an organization",
    "organization.restored": "Restored an organization from a backup",
    "organization.moved": "Moved an organization's database to another server",
    "organization.maintenance_ended": "Ended an organization's maintenance by hand",
}
TENANT_PRINCIPALS = ("user", "api_key")


@append_only
class PlatformAuditEvent(AuditEntryColumns, db.Model):
    """An entry of the platform's trail; an organization acted on is its target (`organization`, id, slug)."""

    __tablename__ = "platform_audit_events"
    __table_args__ = (
        sa.Index("ix_platform_audit_events_action_occurred", "action", "occurred_at"),
        sa.Index("ix_platform_audit_events_target", "target_type", "target_id"),
    )


def as_operator(operator):
    """An operator (a `PlatformOperator` row) as the actor: the one signing in or out."""
    return Acting("operator", operator.id, operator.email)


def _command_line():
    """The CLI command running, as the system's label (`flask tenants archive`), or the system unnamed."""
    context = click.get_current_context(silent=True)
    return Acting(SYSTEM, None, context.command_path if context is not None else "")


def record_platform(
    action,
    organization=None,
    *,
    target_type=None,
    target_id=None,
    target_label="",
    details=None,
    outcome=AuditOutcome.SUCCESS,
    actor=None,
    commit=False,
):
    """Add one entry to the control session (committed with the caller's change unless `commit`). An organization
    given is the target. Nothing is recorded for a tenant's own principal: their organization's trail has it."""
    if action not in PLATFORM_ACTIONS:
        raise ValueError(f"Unknown platform audit action {action!r}: add it to app/audit/platform.py.")
    if actor is None:
        if not has_request_context():
            actor = _command_line()
        elif actor_fields(None)[0] in TENANT_PRINCIPALS:
            return None
    if organization is not None:
        target_type, target_id, target_label = "organization", organization.id, organization.slug
    return add_entry(
        PlatformAuditEvent,
        action,
        target_type=target_type,
        target_id=target_id,
        target_label=target_label,
        details=details,
        outcome=outcome,
        actor=actor,
        commit=commit,
    )
