"""Issue 13's "Done when", end to end: a student completes a course, the worker issues the certificate, the
PDF's QR code leads to a page that says valid, the offline verifier accepts the PDF and refuses a copy with one
byte changed, revoking it changes the page and the API, and the audit passes, then fails after a hand edit."""

import io

import segno
import sqlalchemy as sa
from PIL import Image
from pypdf import PdfReader

from app.extensions import db
from app.tenancy.context import tenant_context
from blueprints.certificates import issuance
from blueprints.certificates.models import Certificate
from blueprints.credentials import keys, offline
from blueprints.credentials.models import LedgerEntry, LedgerPersonalData
from tests.conftest import run_jobs
from tests.support.certificates import build_certificate_course, certificates_of, complete_course

QR_SCALE, QR_BORDER = 6, 2  # how issuance draws it (rendering.qr_data_uri)


def draws_qr_of(image_bytes, url):
    """Whether this image is the QR code of `url`: every module's centre dark exactly where segno's is (no QR
    decoder needed: the picture is read module by module against segno's own matrix)."""
    matrix = segno.make(url, error="m", micro=False).matrix
    picture = Image.open(io.BytesIO(image_bytes)).convert("L")
    side = len(matrix) + 2 * QR_BORDER
    if abs(picture.width - picture.height) > 2:
        return False
    module = picture.width / side
    for row, cells in enumerate(matrix):
        for column, dark in enumerate(cells):
            x = int((column + QR_BORDER + 0.5) * module)
            y = int((row + QR_BORDER + 0.5) * module)
            if (picture.getpixel((x, y)) < 128) != bool(dark):
                return False
    return True


def test_done_when_of_issue_13(app, api, tenant, login_as, tmp_path):
    course = build_certificate_course(app, api, tenant, login_as)
    complete_course(course, 0)
    run_jobs(app)  # the relay's delivery issues it; the render job makes, signs, embeds and stores the PDF
    run_jobs(app)
    (certificate,) = certificates_of(app, tenant, user_id=course["learner_ids"][0])
    assert certificate.render_status == "ready", certificate.render_error
    with tenant_context(tenant, app):
        pdf = issuance.certificate_pdf(db.session.get(Certificate, certificate.id))
        jwks = keys.jwks()
        url = issuance.verify_url(certificate.code)

    # the QR code on the PDF is the verification page's address, and that page says valid
    assert url.endswith(f"/verify/{certificate.code}")
    assert any(draws_qr_of(image.data, url) for image in PdfReader(io.BytesIO(pdf)).pages[0].images)
    anyone = api(tenant)
    page = anyone.get(url.split("localhost:5000", 1)[1]).get_data(as_text=True)
    assert "Valid certificate" in page

    # offline: the PDF verifies against the published keys; one byte changed anywhere does not
    claims = offline.verify_file(pdf, jwks)
    assert certificate.code in str(claims)
    for position in (len(pdf) // 3, len(pdf) - 10):
        tampered = bytearray(pdf)
        tampered[position] ^= 0x01
        try:
            offline.verify_file(bytes(tampered), jwks)
        except offline.InvalidCredential:
            pass
        else:
            raise AssertionError(f"a change at byte {position} was accepted")
    # and the same through `flask certificates verify`, with the keys from the database or a JWKS file
    (tmp_path / "certificate.pdf").write_bytes(pdf)
    (tmp_path / "tampered.pdf").write_bytes(bytes(tampered))
    (tmp_path / "jwks.json").write_text(anyone.get("/.well-known/jwks.json").get_data(as_text=True))
    runner = app.test_cli_runner()
    accepted = runner.invoke(args=["certificates", "verify", str(tmp_path / "certificate.pdf")])
    assert accepted.exit_code == 0, accepted.output
    assert "Status in the organization's records: valid" in accepted.output
    offline_only = runner.invoke(
        args=["certificates", "verify", str(tmp_path / "certificate.pdf"), "--jwks", str(tmp_path / "jwks.json")]
    )
    assert offline_only.exit_code == 0, offline_only.output
    refused = runner.invoke(args=["certificates", "verify", str(tmp_path / "tampered.pdf")])
    assert refused.exit_code == 1 and "INVALID" in refused.output

    # revoking it changes the page and the API at once
    revoked = course["teacher"].post(f"/api/v1/certificates/{certificate.id}/revoke", json={"reason": "Shared answers"})
    assert revoked.status_code == 200, revoked.get_json()
    assert "<h1>Revoked</h1>" in anyone.get(f"/verify/{certificate.code}").get_data(as_text=True)
    answer = anyone.get(f"/api/v1/verify/{certificate.code}").get_json()["data"]
    assert (answer["status"], answer["revocation_reason"]) == ("revoked", "Shared answers")
    after = runner.invoke(args=["certificates", "verify", str(tmp_path / "certificate.pdf")])
    assert after.exit_code == 1 and "records: revoked" in after.output  # genuine, and revoked

    # the issuance log: intact, then broken at the row whose holder's name was edited by hand (the name is kept
    # outside the chain, committed to by the entry)
    passed = runner.invoke(args=["certificates", "audit", "--tenant", tenant.slug])
    assert passed.exit_code == 0 and "OK" in passed.output
    with tenant_context(tenant, app):
        entry = db.session.scalar(
            sa.select(LedgerEntry).where(LedgerEntry.subject_id == certificate.id, LedgerEntry.action == "issued")
        )
        kept = db.session.get(LedgerPersonalData, entry.id)
        seq, edited = entry.seq, kept.data.replace(certificate.holder_name, "Someone Else")
        assert edited != kept.data and certificate.holder_name not in entry.payload
        db.session.execute(
            sa.update(LedgerPersonalData).where(LedgerPersonalData.entry_id == entry.id).values(data=edited)
        )
        db.session.commit()
    failed = runner.invoke(args=["certificates", "audit", "--tenant", tenant.slug])
    assert failed.exit_code == 1 and f"BROKEN at entry {seq}" in failed.output
