"""The organization's signing keys: made on first use (once, even when two ask at once), encrypted at rest,
rotated by org admins only, all published with RFC 7638 thumbprints as their kid."""

import base64
import hashlib
import json
import threading
import time

import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives import serialization

from app.errors import PermissionDenied
from app.extensions import db
from app.tenancy.base import execute_in_tenant
from app.tenancy.context import tenant_context
from blueprints.credentials import keys
from blueprints.credentials.locking import exclusive
from blueprints.credentials.models import SigningKey
from config import Config, DevelopmentConfig, ProductionConfig, TestConfig
from tests.support.credentials import actor_of, in_threads, student_actor


def test_rfc7638_thumbprint_of_the_rfcs_own_example():
    """RFC 7638 section 3.1: the example RSA key's thumbprint."""
    jwk = {
        "kty": "RSA",
        "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjB"
        "ZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9"
        "c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF4"
        "4-csFCur-kEgU8awapJzKnqDKgw",
        "e": "AQAB",
        "alg": "RS256",
        "kid": "2011-04-29",
    }
    assert keys.jwk_thumbprint(jwk) == "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"


def test_first_key_is_made_on_first_use_then_reused(app, tenant):
    with tenant_context(tenant, app):
        assert keys.jwks() == {"keys": []}
        first = keys.active_key()
        db.session.commit()
        assert keys.active_key().kid == first.kid
        published = keys.jwks()
    assert len(published["keys"]) == 1
    jwk = published["keys"][0]
    assert jwk["kid"] == first.kid and jwk["alg"] == "RS256" and jwk["use"] == "sig" and jwk["kty"] == "RSA"
    assert "d" not in jwk and "p" not in jwk  # the public half only
    modulus = int.from_bytes(base64.urlsafe_b64decode(jwk["n"] + "=" * (-len(jwk["n"]) % 4)), "big")
    assert modulus.bit_length() == 3072
    members = json.dumps({"e": jwk["e"], "kty": "RSA", "n": jwk["n"]}, separators=(",", ":")).encode()
    assert jwk["kid"] == base64.urlsafe_b64encode(hashlib.sha256(members).digest()).rstrip(b"=").decode()


def test_private_key_is_encrypted_at_rest_with_the_organizations_own_key(app, tenant, make_tenant):
    other = make_tenant()
    with tenant_context(tenant, app):
        key = keys.active_key()
        db.session.commit()
        stored = key.private_key_encrypted
        private = keys.private_key_of(key)
        assert private.key_size == 3072
        private_pem = private.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode()
        assert keys.public_jwk_of(private) == keys.jwks()["keys"][0]  # the stored private half is this key's
    # no PEM in clear (its header, or any line of its body: a bare "MII" also turns up in random ciphertext)
    pem_lines = private_pem.splitlines()[1:-1]
    assert "PRIVATE KEY" not in stored and not any(line in stored for line in pem_lines)
    with tenant_context(other, app), pytest.raises(keys.UnreadableKey):  # another organization's derived key
        keys.private_key_of(SigningKey(kid=key.kid, private_key_encrypted=stored))
    app.config["CREDENTIAL_KEY"] = "a-different-credential-key-set-by-the-operator"
    try:
        with tenant_context(tenant, app):
            with pytest.raises(keys.UnreadableKey, match="LMS_CREDENTIAL_KEY"):
                keys.private_key_of(db.session.get(SigningKey, key.id))
            # a key made under LMS_CREDENTIAL_KEY reads back under it, and not under SECRET_KEY alone
            rotated = keys.rotate_key(actor_of(app, tenant))
            assert keys.private_key_of(rotated).key_size == 3072
    finally:
        app.config["CREDENTIAL_KEY"] = None
    with tenant_context(tenant, app), pytest.raises(keys.UnreadableKey):
        keys.private_key_of(db.session.get(SigningKey, rotated.id))


def test_rotation_retires_the_signing_key_and_keeps_every_key_published(app, tenant):
    admin = actor_of(app, tenant)
    with tenant_context(tenant, app):
        first = keys.active_key().kid
        db.session.commit()
        second = keys.rotate_key(admin)
        assert second.kid != first
        assert second.created_by_id == admin.id
        assert keys.active_key().kid == second.kid
        retired = db.session.scalars(sa.select(SigningKey).where(SigningKey.kid == first)).one()
        assert retired.retired_at is not None and second.retired_at is None
        assert [jwk["kid"] for jwk in keys.jwks()["keys"]] == [first, second.kid]


def test_only_org_admins_rotate(app, tenant):
    student = student_actor(app, tenant)
    with tenant_context(tenant, app):
        keys.active_key()
        db.session.commit()
        with pytest.raises(PermissionDenied, match="org admins"):
            keys.rotate_key(student)
        assert len(keys.jwks()["keys"]) == 1


def _waiting_for_the_keys_lock(app, tenant, count):
    """Wait until `count` transactions wait for the keys' lock (PostgreSQL), or a moment (SQLite: no view)."""
    with tenant_context(tenant, app):
        if db.session.get_bind(SigningKey).dialect.name != "postgresql":
            time.sleep(0.5)
            return
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            waiting = execute_in_tenant(
                sa.text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")
            ).scalar()
            db.session.rollback()
            if waiting >= count:
                return
            time.sleep(0.02)
        raise AssertionError("the two threads never waited for the keys' lock")


def test_two_processes_making_the_first_key_at_once_make_one(app, tenant):
    """Both threads find no key and ask to make one while a third transaction holds the lock: the first to get
    it makes the key; the second, once let in, finds that key and makes none."""
    held = threading.Event()
    release = threading.Event()

    def hold_the_lock():
        with tenant_context(tenant, app):
            with exclusive("keys"):
                held.set()
                release.wait(30)
            db.session.rollback()

    holder = threading.Thread(target=hold_the_lock)
    holder.start()
    assert held.wait(10)

    def first_key(_n):
        key = keys.active_key()
        db.session.commit()
        return key.kid

    results = []
    racing = threading.Thread(target=lambda: results.extend(in_threads(app, tenant, first_key, 2)))
    racing.start()
    _waiting_for_the_keys_lock(app, tenant, 2)
    release.set()
    holder.join(30)
    racing.join(60)
    assert len(results) == 2 and results[0] == results[1]
    with tenant_context(tenant, app):
        assert db.session.scalar(sa.select(sa.func.count()).select_from(SigningKey)) == 1


def test_the_testing_key_pool_is_for_tests_only_and_production_generates_fresh_keys(app, tenant):
    assert TestConfig.SIGNING_KEY_PROFILE == "testing"
    assert Config.SIGNING_KEY_PROFILE == DevelopmentConfig.SIGNING_KEY_PROFILE == "production"
    assert ProductionConfig.SIGNING_KEY_PROFILE == "production"
    admin = actor_of(app, tenant)
    app.config["SIGNING_KEY_PROFILE"] = "production"
    try:
        with tenant_context(tenant, app):
            made = {keys.rotate_key(admin).kid for _ in range(2)}
            pooled = {keys.public_jwk_of(key)["kid"] for key in keys._test_pool}
        assert len(made) == 2 and not made & pooled
        app.config["SIGNING_KEY_PROFILE"] = "testing"
        app.testing = False
        with tenant_context(tenant, app), pytest.raises(RuntimeError, match="tests only"):
            keys.rotate_key(admin)
    finally:
        app.testing = True
        app.config["SIGNING_KEY_PROFILE"] = "testing"


def test_two_organizations_get_different_keys(app, make_tenant):
    first, second = make_tenant(), make_tenant()
    kids = []
    for tenant in (first, second):
        with tenant_context(tenant, app):
            kids.append(keys.active_key().kid)
            db.session.commit()
    assert kids[0] != kids[1]
