"""VC-JWTs: what `sign` writes, and every way `verify` refuses a credential it must not accept."""

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from cryptography.hazmat.primitives import serialization

from app.extensions import db
from app.tenancy.context import tenant_context
from blueprints.credentials import keys, offline, signing
from blueprints.credentials.signing import InvalidCredential
from tests.support.credentials import actor_of

BADGE = {
    "@context": ["https://www.w3.org/ns/credentials/v2", "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"],
    "type": ["VerifiableCredential", "OpenBadgeCredential"],
    "name": "Fire safety",
    "credentialSubject": {"type": ["AchievementSubject"], "achievement": {"name": "Fire safety"}},
}


def _b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _sign(app, tenant, valid_from=None, valid_until=None, credential=BADGE):
    with tenant_context(tenant, app):
        token = signing.sign(
            credential,
            subject_id="urn:uuid:0b5a5f1e-4f52-4cb8-9d37-5f8c3c1a3a11",
            credential_id=signing.absolute_url("/badges/assertions/abc"),
            valid_from=valid_from or datetime.now(UTC) - timedelta(days=1),
            valid_until=valid_until,
        )
        db.session.commit()
        return token


def _verify(app, tenant, token, jwks=None):
    with tenant_context(tenant, app):
        return signing.verify(token, jwks)


def test_a_signed_credential_carries_the_vc_and_jwt_claims_and_verifies(app, tenant):
    valid_from = datetime(2026, 1, 5, 9, 30)  # naive: UTC, as the database stores it
    valid_until = datetime.now(UTC).replace(microsecond=0) + timedelta(days=365)
    token = _sign(app, tenant, valid_from, valid_until)
    header = jwt.get_unverified_header(token)
    with tenant_context(tenant, app):
        kid = keys.active_key().kid
        issuer = signing.issuer_id()
    assert header == {"alg": "RS256", "typ": "vc+jwt", "kid": kid}
    assert issuer == f"http://{tenant.slug}.localhost:5000/credentials/issuer"
    claims = _verify(app, tenant, token)
    assert claims["@context"][0] == "https://www.w3.org/ns/credentials/v2"
    assert claims["@context"][1].startswith("https://purl.imsglobal.org/spec/ob/v3p0/")
    assert claims["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert claims["issuer"] == claims["iss"] == issuer
    assert claims["id"] == claims["jti"] == f"http://{tenant.slug}.localhost:5000/badges/assertions/abc"
    assert claims["sub"] == claims["credentialSubject"]["id"] == "urn:uuid:0b5a5f1e-4f52-4cb8-9d37-5f8c3c1a3a11"
    assert claims["credentialSubject"]["achievement"] == {"name": "Fire safety"}
    assert claims["validFrom"] == "2026-01-05T09:30:00Z"
    assert claims["nbf"] == int(datetime(2026, 1, 5, 9, 30, tzinfo=UTC).timestamp())
    assert claims["validUntil"] == valid_until.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert claims["exp"] == int(valid_until.timestamp())
    assert abs(claims["iat"] - datetime.now(UTC).timestamp()) < 60
    # a credential without an end has no exp and no validUntil, and a bare credential gets the VC type
    open_ended = _verify(app, tenant, _sign(app, tenant, credential={"credentialSubject": {}}))
    assert "exp" not in open_ended and "validUntil" not in open_ended
    assert open_ended["type"] == ["VerifiableCredential"]
    assert open_ended["@context"] == ["https://www.w3.org/ns/credentials/v2"]
    # an issuer object (Open Badges 3.0's Profile) is kept, always with this organization's id
    with tenant_context(tenant, app):
        profile = signing.issuer_profile()
    forged_issuer = {**profile, "id": "https://elsewhere.example/issuer"}
    as_profile = _verify(app, tenant, _sign(app, tenant, credential={**BADGE, "issuer": forged_issuer}))
    assert as_profile["issuer"] == {**profile, "id": issuer} and as_profile["iss"] == issuer


def test_a_changed_claim_breaks_the_signature(app, tenant):
    header, body, signature = _sign(app, tenant).split(".")
    claims = json.loads(_unb64(body))
    claims["credentialSubject"]["achievement"]["name"] = "Brain surgery"
    forged = f"{header}.{_b64(json.dumps(claims).encode())}.{signature}"
    with pytest.raises(InvalidCredential, match="signature does not match") as refused:
        _verify(app, tenant, forged)
    assert "changed" in refused.value.reason


def test_alg_none_and_hs256_with_the_public_key_as_secret_are_refused(app, tenant):
    token = _sign(app, tenant)
    _, body, _ = token.split(".")
    with tenant_context(tenant, app):
        kid = keys.active_key().kid
        public_pem = (
            keys.private_key_of(keys.active_key())
            .public_key()
            .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        )
    unsigned = f"{_b64(json.dumps({'alg': 'none', 'typ': 'vc+jwt', 'kid': kid}).encode())}.{body}."
    with pytest.raises(InvalidCredential, match="signed with none, not RS256"):
        _verify(app, tenant, unsigned)
    # The classic confusion: an HMAC "signature" keyed with the published public key
    hs_header = _b64(json.dumps({"alg": "HS256", "typ": "vc+jwt", "kid": kid}).encode())
    mac = hmac.new(public_pem, f"{hs_header}.{body}".encode(), hashlib.sha256).digest()
    with pytest.raises(InvalidCredential, match="signed with HS256, not RS256"):
        _verify(app, tenant, f"{hs_header}.{body}.{_b64(mac)}")
    # also when the header claims RS256 and the "signature" is that HMAC
    rs_header = _b64(json.dumps({"alg": "RS256", "typ": "vc+jwt", "kid": kid}).encode())
    mac = hmac.new(public_pem, f"{rs_header}.{body}".encode(), hashlib.sha256).digest()
    with pytest.raises(InvalidCredential, match="signature does not match"):
        _verify(app, tenant, f"{rs_header}.{body}.{_b64(mac)}")


def test_expired_and_not_yet_valid_credentials_are_refused(app, tenant):
    expired = _sign(app, tenant, datetime(2024, 1, 1), datetime(2025, 3, 1, 12, 0))
    with pytest.raises(InvalidCredential, match="It expired on 01 March 2025, 12:00 UTC"):
        _verify(app, tenant, expired)
    future = _sign(app, tenant, datetime.now(UTC) + timedelta(days=3))
    with pytest.raises(InvalidCredential, match="not valid yet"):
        _verify(app, tenant, future)


@pytest.mark.parametrize("garbage", ["", "not a token", "a.b.c", "eyJhbGciOiJSUzI1NiJ9.e30", b"\xff\xfe"])
def test_garbage_is_not_a_credential(app, tenant, garbage):
    with pytest.raises(InvalidCredential) as refused:
        _verify(app, tenant, garbage)
    assert refused.value.reason.endswith(".")


def test_an_unknown_kid_or_an_unreadable_key_set_is_refused(app, tenant):
    token = _sign(app, tenant)
    kid = jwt.get_unverified_header(token)["kid"]
    with pytest.raises(InvalidCredential, match="key this organization does not publish"):
        _verify(app, tenant, token, {"keys": []})
    for broken in ({"kid": kid, "kty": "RSA", "n": "!!", "e": "AQAB"}, {"kid": kid, "kty": "EC", "crv": "P-256"}):
        with pytest.raises(InvalidCredential, match="published key for it cannot be read"):
            _verify(app, tenant, token, {"keys": [broken]})
        with pytest.raises(InvalidCredential, match="published key for it cannot be read"):
            offline.verify_token(token, {"keys": [broken]})


def test_a_credential_signed_before_a_rotation_still_verifies(app, tenant):
    before = _sign(app, tenant)
    with tenant_context(tenant, app):
        keys.rotate_key(actor_of(app, tenant))
    after = _sign(app, tenant)
    assert jwt.get_unverified_header(before)["kid"] != jwt.get_unverified_header(after)["kid"]
    assert _verify(app, tenant, before)["jti"] == _verify(app, tenant, after)["jti"]


def test_another_organizations_credential_does_not_verify_here(app, tenant, make_tenant):
    other = make_tenant()
    theirs = _sign(app, other)
    _sign(app, tenant)  # this organization has its own key
    with tenant_context(tenant, app):
        ours = keys.jwks()
    with pytest.raises(InvalidCredential, match="does not publish"):
        _verify(app, tenant, theirs)
    with pytest.raises(InvalidCredential, match="does not publish"):
        _verify(app, other, _sign(app, tenant), None)
    with pytest.raises(InvalidCredential, match="does not publish"):
        _verify(app, tenant, theirs, ours)
    # The other organization's own JWKS verifies it
    with tenant_context(other, app):
        assert signing.verify(theirs, keys.jwks())["iss"].startswith(f"http://{other.slug}.")


def test_urls_are_the_organizations_in_a_request_and_in_a_job(app, tenant):
    with tenant_context(tenant, app):
        in_job = (signing.issuer_id(), signing.absolute_url("/certificates/verify/ABC"), signing.issuer_profile())
    with app.test_request_context("/", headers={"Host": "proxy.internal:8080"}), tenant_context(tenant, app):
        in_request = (signing.issuer_id(), signing.absolute_url("/certificates/verify/ABC"), signing.issuer_profile())
    assert in_job == in_request
    assert in_job[1] == f"http://{tenant.slug}.localhost:5000/certificates/verify/ABC"
    profile = in_job[2]
    assert profile["id"] == in_job[0] and profile["type"] == ["Profile"]
    assert profile["name"] == tenant.name and profile["url"] == f"http://{tenant.slug}.localhost:5000/"
    assert "image" not in profile and "email" not in profile
