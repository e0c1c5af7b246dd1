"""What verifiers fetch from an organization's host without signing in: its keys, its issuer profile, the log's
head and the offline verifier, and how a credential checks out against exactly those."""

import json
import subprocess
import sys

import pytest
from joserfc import jwt as joserfc_jwt
from joserfc.errors import BadSignatureError
from joserfc.jwk import KeySet

from app.extensions import db
from app.tenancy.context import tenant_context
from blueprints.credentials import keys, ledger, offline
from tests.conftest import tenant_host
from tests.support.credentials import actor_of, rendered_pdf, signed_certificate


def test_the_jwks_is_public_cacheable_and_holds_every_key(app, api, tenant):
    anonymous = api(tenant)
    first = anonymous.get("/.well-known/jwks.json")  # the first key is made on first use, this one too
    assert first.status_code == 200
    assert first.headers["Content-Type"] == "application/jwk-set+json"
    assert first.headers["Cache-Control"] == "public, max-age=300"
    assert first.headers["Access-Control-Allow-Origin"] == "*"
    assert "X-RateLimit-Limit" in first.headers  # counted like any anonymous call, never refused as unauthenticated
    [published] = first.get_json()["keys"]
    assert set(published) == {"kty", "n", "e", "kid", "alg", "use"}
    with tenant_context(tenant, app):
        keys.rotate_key(actor_of(app, tenant))
        assert anonymous.get("/.well-known/jwks.json").get_json() == keys.jwks()
    assert [key["kid"] for key in keys_of(anonymous)] == [published["kid"], keys_of(anonymous)[1]["kid"]]


def keys_of(client):
    return client.get("/.well-known/jwks.json").get_json()["keys"]


def test_the_issuer_profile_and_log_head_are_public(app, api, tenant):
    anonymous = api(tenant)
    profile = anonymous.get("/credentials/issuer")
    assert profile.status_code == 200 and profile.headers["Content-Type"] == "application/ld+json"
    body = json.loads(profile.get_data())
    assert body["id"] == f"http://{tenant_host(tenant)}/credentials/issuer"
    assert body["type"] == ["Profile"] and body["name"] == tenant.name
    assert "email" not in profile.get_data(as_text=True)
    assert anonymous.get("/credentials/log/head").get_json() == {"seq": 0, "hash": "0" * 64}
    with tenant_context(tenant, app):
        ledger.append("issued", "certificate", 1, {"code": "ABCD"})
        db.session.commit()
        head = ledger.head()
    logged = anonymous.get("/credentials/log/head")
    assert logged.get_json() == head and head["seq"] == 1
    assert logged.headers["Cache-Control"] == "no-cache"


def test_nothing_is_published_on_the_platform_domain(api):
    for path in ("/.well-known/jwks.json", "/credentials/issuer", "/credentials/log/head", "/credentials/verifier.py"):
        assert api(None).get(path).status_code == 404, path


def test_a_downloaded_verifier_and_jwks_verify_a_certificate(app, api, tenant, tmp_path):
    """What a verifier does by hand: download both files from the organization, then check a PDF offline."""
    rendered = rendered_pdf()
    token, _jwks = signed_certificate(app, tenant, rendered)
    download = api(tenant).get("/credentials/verifier.py")
    assert download.status_code == 200
    assert download.headers["Content-Disposition"] == 'attachment; filename="tessera-verify.py"'
    assert download.get_data() == open(offline.__file__, "rb").read()  # noqa: SIM115 (read whole)
    (tmp_path / "tessera-verify.py").write_bytes(download.get_data())
    (tmp_path / "jwks.json").write_bytes(api(tenant).get("/.well-known/jwks.json").get_data())
    (tmp_path / "certificate.pdf").write_bytes(offline.embed_credential(rendered, token))
    run = subprocess.run(
        [sys.executable, "-I", "tessera-verify.py", "certificate.pdf", "--jwks", "jwks.json"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "Fire safety" in run.stdout


def test_an_independent_jose_library_verifies_with_the_published_keys(app, api, tenant):
    """joserfc (not PyJWT, not our offline verifier) reads the published JWKS, agrees on every kid (RFC 7638),
    verifies a credential signed before a rotation and one after, and refuses a changed one."""
    rendered = rendered_pdf()
    before, _ = signed_certificate(app, tenant, rendered)
    with tenant_context(tenant, app):
        keys.rotate_key(actor_of(app, tenant))
    after, _ = signed_certificate(app, tenant, rendered)
    published = api(tenant).get("/.well-known/jwks.json").get_json()
    key_set = KeySet.import_key_set(published)
    assert [key.thumbprint() for key in key_set.keys] == [jwk["kid"] for jwk in published["keys"]]
    for token in (before, after):
        decoded = joserfc_jwt.decode(token, key_set, algorithms=["RS256"])
        assert decoded.header["typ"] == "vc+jwt"
        assert decoded.claims["credentialSubject"]["holderName"] == "Zoë Ünal"
    header, body, signature = after.split(".")
    with pytest.raises(BadSignatureError):
        joserfc_jwt.decode(f"{header}.{body[:-4]}AAAA.{signature}", key_set, algorithms=["RS256"])
