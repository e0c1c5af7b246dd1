"""The audit trail in tests: its entries as plain dicts, read straight from the tenant's database."""

import sqlalchemy as sa

from app.extensions import db
from app.tenancy.context import tenant_context
from blueprints.audit.models import AuditEvent

COLUMNS = [column.name for column in AuditEvent.__table__.columns]


def audit_entries(app, tenant, action=None):
    """Every entry (of `action`), oldest first, as dicts of their columns."""
    with tenant_context(tenant, app):
        stmt = sa.select(AuditEvent).order_by(AuditEvent.id)
        if action is not None:
            stmt = stmt.where(AuditEvent.action == action)
        return [{name: getattr(entry, name) for name in COLUMNS} for entry in db.session.scalars(stmt)]


def only_entry(app, tenant, action):
    """The one entry of `action` (the test fails when there are none or several)."""
    found = audit_entries(app, tenant, action)
    assert len(found) == 1, f"{len(found)} entries of {action}: {found}"
    return found[0]
