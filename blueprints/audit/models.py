"""The audit trail: one append-only row per thing an auditor asks about (docs/operations.md, "Audit trail").

Entries name their actor and subject by id *and* by a label copied at the time (an e-mail, a key's name): they
outlive the rows they mention and carry no foreign keys. Nothing in the app updates or deletes an entry; the
mapper refuses it. The one exception is erasure (part privacy), which pseudonymises labels with a bulk UPDATE
statement in `blueprints/audit/erasure.py:pseudonymise_person`.
"""

import sqlalchemy as sa
from sqlalchemy import event

from app.tenancy.base import TenantModel
from app.tenancy.models import utcnow


class AuditOutcome:
    SUCCESS = "success"
    FAILURE = "failure"  # a refused sign-in, a denied attempt worth recording
    ALL = (SUCCESS, FAILURE)


class AuditEvent(TenantModel):
    __tablename__ = "audit_events"
    __table_args__ = (
        sa.Index("ix_audit_events_action_occurred", "action", "occurred_at"),
        sa.Index("ix_audit_events_actor", "actor_kind", "actor_id"),
    )

    id = sa.Column(sa.Integer, primary_key=True)
    occurred_at = sa.Column(sa.DateTime, nullable=False, default=utcnow, index=True)
    action = sa.Column(sa.String(60), nullable=False)  # catalogued in blueprints/audit/actions.py
    outcome = sa.Column(sa.String(10), nullable=False, default=AuditOutcome.SUCCESS)
    # who: "user", "api_key", "operator" (a principal's kind), "system" (a job, the CLI) or "anonymous"
    actor_kind = sa.Column(sa.String(20), nullable=False)
    actor_id = sa.Column(sa.Integer)
    actor_label = sa.Column(sa.String(255), nullable=False, default="")
    # what: the thing acted on ("user", "class", "api_key", "integration", "organization", "report", ...)
    target_type = sa.Column(sa.String(40))
    target_id = sa.Column(sa.String(64))
    target_label = sa.Column(sa.String(255), nullable=False, default="")
    # the person the entry is about (the target when it is a person, the account of a failed sign-in): a
    # person's data export lists these, erasure pseudonymises them
    subject_user_id = sa.Column(sa.Integer, index=True)
    details = sa.Column(sa.JSON, nullable=False, default=dict)  # changed fields (before/after), counts; never secrets
    # from where
    ip = sa.Column(sa.String(45))
    user_agent = sa.Column(sa.String(255))
    request_id = sa.Column(sa.String(64))


class AuditEntriesAreAppendOnly(RuntimeError):
    pass


@event.listens_for(AuditEvent, "before_update")
@event.listens_for(AuditEvent, "before_delete")
def _refuse_changes(_mapper, _connection, entry):
    raise AuditEntriesAreAppendOnly(f"Audit entry {entry.id} cannot be changed or deleted.")
