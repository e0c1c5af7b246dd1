"""The audit trail: one append-only row per thing an auditor asks about (docs/operations.md, "Audit trail").

Entries name their actor and subject by id *and* by a label copied at the time (an e-mail, a key's name): they
outlive the rows they mention and carry no foreign keys. Nothing in the app updates or deletes an entry; the
mapper refuses it. The one exception is erasure (part privacy), which pseudonymises labels with a bulk UPDATE
statement in `blueprints/audit/erasure.py:pseudonymise_person`.
"""

import sqlalchemy as sa

from app.audit.entries import AuditEntriesAreAppendOnly, AuditEntryColumns, AuditOutcome, append_only
from app.tenancy.base import TenantModel

__all__ = ["AuditEntriesAreAppendOnly", "AuditEvent", "AuditOutcome"]


@append_only
class AuditEvent(AuditEntryColumns, TenantModel):
    """An entry of the organization's trail (the columns every trail has: `app/audit/entries.py`)."""

    __tablename__ = "audit_events"
    __table_args__ = (
        sa.Index("ix_audit_events_action_occurred", "action", "occurred_at"),
        sa.Index("ix_audit_events_actor", "actor_kind", "actor_id"),
    )

    # the person the entry is about (the target when it is a person, the account of a failed sign-in): a
    # person's data export lists these, erasure pseudonymises them
    subject_user_id = sa.Column(sa.Integer, index=True)
