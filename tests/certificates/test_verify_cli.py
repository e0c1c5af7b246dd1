"""`flask certificates verify` (offline, then the organization's records) and `flask certificates audit` (the
issuance log's chain checked, the first broken entry named)."""

import base64
import json
from datetime import timedelta

import sqlalchemy as sa

from app.extensions import db
from app.tenancy.context import tenant_context
from app.tenancy.models import utcnow
from blueprints.credentials import keys, signing
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


def test_verify_accepts_a_signed_credential_refuses_a_changed_one_and_tells_its_status_now(app, api, tenant, tmp_path):
    classroom = make_classroom(app, api, tenant)
    certificate_id, code = make_certificate(app, tenant, classroom.course_id, classroom.ids["learner"])
    with tenant_context(tenant, app):
        token = signing.sign(
            {
                "type": ["VerifiableCredential", "TesseraCertificate"],
                "credentialSubject": {"holderName": "Ada Byron", "courseTitle": "Physics", "certificateCode": code},
            },
            subject_id="urn:uuid:ada",
            credential_id=signing.absolute_url(f"/verify/{code}"),
            valid_from=utcnow() - timedelta(days=1),
        )
        db.session.commit()  # the organization's first key, made by signing
        (tmp_path / "jwks.json").write_text(json.dumps(keys.jwks()))
    (tmp_path / "credential.jwt").write_text(token)
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["credentialSubject"]["holderName"] = "Mallory"  # the same signature over other claims
    changed = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    (tmp_path / "changed.jwt").write_text(".".join((header, changed, signature)))
    runner = app.test_cli_runner()

    from_database = runner.invoke(args=["certificates", "verify", str(tmp_path / "credential.jwt")])
    assert from_database.exit_code == 0, from_database.output
    assert "VALID" in from_database.output and "Physics" in from_database.output
    assert "Status in the organization's records: valid" in from_database.output
    offline_only = runner.invoke(
        args=["certificates", "verify", str(tmp_path / "credential.jwt"), "--jwks", str(tmp_path / "jwks.json")]
    )
    assert offline_only.exit_code == 0 and "records" not in offline_only.output
    refused = runner.invoke(args=["certificates", "verify", str(tmp_path / "changed.jwt")])
    assert refused.exit_code == 1 and "INVALID" in refused.output

    assert (
        classroom.teacher.post(f"/api/v1/certificates/{certificate_id}/revoke", json={"reason": "x"}).status_code == 200
    )
    revoked = runner.invoke(args=["certificates", "verify", str(tmp_path / "credential.jwt")])
    assert revoked.exit_code == 1 and "records: revoked" in revoked.output  # genuine, and revoked since
    assert runner.invoke(args=["certificates", "verify", str(tmp_path / "jwks.json")]).exit_code == 1
