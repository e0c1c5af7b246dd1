"""Open Badges 2.0 hosted documents and baked images, and the 3.0 credential, checked by an independent
implementation (openbadgeslib 4.6.3): what a backpack or verifier elsewhere would do with what we publish."""

import io
import json
from urllib.parse import urlsplit

import jwt
import pytest
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from openbadgeslib import baking
from openbadgeslib.ob2 import OB2VerificationError, OB2Verifier
from openbadgeslib.ob3 import OB3VerificationError, OB3Verifier
from PIL import Image

from tests.support.badges import badge_course, create_badge, png_chunks, public_key_for, published_jwks


def _fetcher(client):
    """openbadgeslib's `download(url) -> bytes`, answered by the app (the URLs name the tenant's host)."""

    def download(url):
        parts = urlsplit(url)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        response = client.get(path, headers={"Host": parts.netloc})
        if response.status_code != 200:
            raise OSError(f"{url}: HTTP {response.status_code}")
        return response.get_data()

    return download


def _given(app, school, **badge_fields):
    course_id, _items, _quiz = badge_course(app, school)
    teacher = school["teacher"]
    badge = create_badge(teacher, course_id=course_id, name="Hosted", description="Shown to backpacks", **badge_fields)
    given = teacher.post(
        f"/api/v1/badges/{badge['id']}/award", json={"user_id": school["students"][0], "reason": "Well done"}
    )
    assert given.status_code == 201, given.get_json()
    return badge, given.get_json()["data"]


def test_hosted_assertion_badge_class_and_issuer_verify_with_openbadgeslib(app, school, api, client):
    badge, award = _given(app, school, valid_months=12)
    anonymous = api(school["tenant"])
    served = anonymous.get(award["urls"]["assertion"])
    assert served.status_code == 200 and served.mimetype == "application/ld+json"
    document = served.get_json()
    assert document["@context"] == "https://w3id.org/openbadges/v2" and document["type"] == "Assertion"
    assert document["verification"] == {"type": "hosted"}
    assert document["recipient"]["identity"].startswith("sha256$") and "s0@example.org" not in served.get_data(True)
    badge_class = anonymous.get(f"/ob/v2/badges/{badge['id']}").get_json()
    assert badge_class["type"] == "BadgeClass" and badge_class["name"] == "Hosted"
    assert anonymous.get("/ob/v2/issuer").get_json()["type"] == "Issuer"

    verifier = OB2Verifier(download=_fetcher(client))
    checked = verifier.verify_hosted(document, expected_recipient="s0@example.org", check_revocation=True)
    assert checked.id == document["id"] and checked.expires is not None
    with pytest.raises(OB2VerificationError, match="Recipient mismatch"):
        verifier.verify_hosted(document, expected_recipient="s1@example.org")
    tampered = {**document, "badge": document["badge"].replace(f"/badges/{badge['id']}", "/badges/999")}
    with pytest.raises(OB2VerificationError):
        verifier.verify_hosted(tampered)

    revoked = school["teacher"].post(
        f"/api/v1/badges/{badge['id']}/revoke", json={"user_id": school["students"][0], "reason": "Copied the quiz"}
    )
    assert revoked.status_code == 200
    gone = anonymous.get(award["urls"]["assertion"])
    assert gone.status_code == 410
    assert gone.get_json()["revoked"] is True and gone.get_json()["revocationReason"] == "Copied the quiz"
    with pytest.raises(OB2VerificationError, match="410"):
        verifier.verify_hosted(document)
    assert anonymous.get(award["urls"]["baked_png"]).status_code == 410


def test_baked_images_carry_the_assertion_url_where_backpacks_read_it(app, school, api):
    badge, award = _given(app, school)
    anonymous = api(school["tenant"])
    assertion_url = anonymous.get(award["urls"]["assertion"]).get_json()["id"]

    png = anonymous.get(award["urls"]["baked_png"])
    assert png.status_code == 200 and png.mimetype == "image/png"
    assert "attachment" in png.headers["Content-Disposition"]
    data = png.get_data()
    assert baking.extract_png(data) == assertion_url  # openbadgeslib's reader
    itxt = [chunk for kind, chunk in png_chunks(data) if kind == b"iTXt"]
    assert len(itxt) == 1 and itxt[0].startswith(b"openbadges\x00")
    assert Image.open(io.BytesIO(data)).size == (256, 256)  # still a picture

    svg = anonymous.get(award["urls"]["baked_svg"])
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml"
    assert baking.extract_svg(svg.get_data()) == assertion_url
    assert b'xmlns:openbadges="http://openbadges.org"' in svg.get_data()
    assert "sandbox" in svg.headers["Content-Security-Policy"]

    assert anonymous.get("/ob/v2/assertions/nope/baked.png").status_code == 404
    platform = api(None)  # the platform's own host has no badges (nor a tenant to look in)
    for path in (award["urls"]["assertion"], award["urls"]["page"], "/ob/v2/issuer"):
        assert platform.get(path).status_code == 404, path
    draft = create_badge(school["teacher"], course_id=badge["course_id"], name="Secret", status="draft")
    assert anonymous.get(f"/ob/v2/badges/{draft['id']}").status_code == 404


def test_the_open_badges_3_credential_verifies_with_openbadgeslib_and_a_tampered_one_fails(app, school, api):
    _badge, award = _given(app, school)
    learner = school["learners"][0]
    token = learner.get(award["urls"]["credential"]).get_json()["data"]["jwt"]
    key = public_key_for(published_jwks(api(school["tenant"])), token)
    pem = key.public_bytes(encoding=Encoding.PEM, format=PublicFormat.SubjectPublicKeyInfo)

    credential = OB3Verifier(pubkey_pem=pem).verify(token)
    assert credential.achievement.name == "Hosted" and credential.achievement.criteria_narrative == "Given by hand."
    assert credential.issuer.id.endswith("/credentials/issuer") and credential.issuer.name
    assert credential.identifiers[0].hashed is True and credential.identifiers[0].identity_type == "emailAddress"

    header, payload, signature = token.split(".")
    body = json.loads(jwt.utils.base64url_decode(payload))
    body["credentialSubject"]["achievement"]["name"] = "Something else"
    forged = jwt.utils.base64url_encode(json.dumps(body).encode()).decode()
    with pytest.raises(OB3VerificationError, match="signature"):
        OB3Verifier(pubkey_pem=pem).verify(f"{header}.{forged}.{signature}")
