"""`flask certificates audit`: the issuance log's chain checked, and the first broken entry named."""

import sqlalchemy as sa

from app.extensions import db
from app.tenancy.context import tenant_context
from blueprints.credentials.models import LedgerEntry
from tests.support.certificate_rows import make_certificate
from tests.support.quizzes import make_classroom


def test_the_audit_passes_then_names_the_entry_edited_by_hand(app, api, tenant):
    classroom = make_classroom(app, api, tenant)
    first_id, _ = make_certificate(app, tenant, classroom.course_id, classroom.ids["learner"])
    make_certificate(app, tenant, classroom.course_id, classroom.ids["learner2"])
    runner = app.test_cli_runner()
    passed = runner.invoke(args=["certificates", "audit", "--tenant", tenant.slug])
    assert passed.exit_code == 0 and "OK: 2 entries" in passed.output

    with tenant_context(tenant, app):
        entry = db.session.scalar(sa.select(LedgerEntry).where(LedgerEntry.subject_id == first_id))
        edited = entry.payload.replace('"issued"', '"revoked"')
        db.session.execute(sa.update(LedgerEntry).where(LedgerEntry.id == entry.id).values(payload=edited))
        db.session.commit()
        seq = entry.seq
    failed = runner.invoke(args=["certificates", "audit", "--tenant", tenant.slug])
    assert failed.exit_code == 1 and f"BROKEN at entry {seq}" in failed.output


def test_an_unknown_organization_is_said_plainly(app):
    result = app.test_cli_runner().invoke(args=["certificates", "audit", "--tenant", "nobody-here"])
    assert result.exit_code == 1 and "nobody-here" in result.output
