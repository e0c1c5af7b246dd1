"""The organization's signing keys: RSA 3072 key pairs (RS256), the newest unretired one signs, all are published.

A key's `kid` is its RFC 7638 JWK thumbprint. The private half is stored as PKCS#8 PEM encrypted with Fernet,
under a key derived (HKDF-SHA256) from `LMS_CREDENTIAL_KEY`, or `SECRET_KEY` when that is unset, and the
organization's slug: one organization's rows are unreadable with another's key, and a copied database is
unreadable without the secret.

Generating a 3072-bit key costs 100-350 ms. TestConfig's `SIGNING_KEY_PROFILE = "testing"` hands out keys
from a small per-process pool instead (real 3072-bit keys, made once per test process); "production", the
default and the only profile outside tests, generates every key afresh.
"""

import base64
import hashlib
import itertools
import json
import threading
from functools import lru_cache

import sqlalchemy as sa
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app

from app.api.listing import ListSpec, run_list_query
from app.errors import PermissionDenied
from app.extensions import db
from app.security.actor import current_actor
from app.security.actor_ids import actor_ids
from app.security.permissions import denial_message
from app.tenancy.context import require_tenant
from app.tenancy.models import utcnow
from blueprints.credentials.locking import exclusive
from blueprints.credentials.models import SigningKey

KEY_BITS = 3072
PUBLIC_EXPONENT = 65537
ALGORITHM = "RS256"
MANAGE_PERMISSION = "settings.manage"  # org admins: the keys are the organization's, like its settings
TEST_POOL_SIZE = 6
KEY_LIST = ListSpec(
    filters={"kid": SigningKey.kid, "created_at": SigningKey.created_at, "retired_at": SigningKey.retired_at},
    sorts={"id": SigningKey.id, "created_at": SigningKey.created_at, "retired_at": SigningKey.retired_at},
    default_sort=("-id",),
    fields=frozenset({"kid", "algorithm", "active", "created_at", "retired_at", "created_by_id", "public_jwk"}),
    tiebreaker=SigningKey.id,
)


class UnreadableKey(RuntimeError):
    """A stored private key could not be decrypted: the credential key or SECRET_KEY changed since."""


# --- the JWK and its thumbprint --------------------------------------------------------------------


def _b64url_uint(number):
    raw = number.to_bytes((number.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def jwk_thumbprint(jwk):
    """RFC 7638: SHA-256 of the required members (e, kty, n) as JSON, sorted and without spaces, base64url."""
    required = {"e": jwk["e"], "kty": jwk["kty"], "n": jwk["n"]}
    digest = hashlib.sha256(json.dumps(required, sort_keys=True, separators=(",", ":")).encode("utf-8")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def public_jwk_of(private_key):
    numbers = private_key.public_key().public_numbers()
    jwk = {"kty": "RSA", "n": _b64url_uint(numbers.n), "e": _b64url_uint(numbers.e)}
    return {**jwk, "kid": jwk_thumbprint(jwk), "alg": ALGORITHM, "use": "sig"}


# --- encryption at rest ----------------------------------------------------------------------------


def _fernet(slug):
    config = current_app.config
    secret = config.get("CREDENTIAL_KEY") or config["SECRET_KEY"]
    derived = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=b"tessera signing keys", info=f"organization:{slug}".encode()
    ).derive(secret.encode("utf-8"))
    return Fernet(base64.urlsafe_b64encode(derived))


def _encrypt(private_key, slug):
    pem = private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return _fernet(slug).encrypt(pem).decode("ascii")


@lru_cache(maxsize=64)
def _load_private_pem(pem):
    """Parsing checks the key (milliseconds at 3072 bits): a batch of signatures pays it once per key."""
    return serialization.load_pem_private_key(pem, password=None)


def private_key_of(signing_key):
    """The decrypted private key of this organization's `signing_key`."""
    try:
        pem = _fernet(require_tenant().slug).decrypt(signing_key.private_key_encrypted.encode("ascii"))
    except InvalidToken:
        raise UnreadableKey(
            f"The private signing key {signing_key.kid} cannot be decrypted: LMS_CREDENTIAL_KEY or SECRET_KEY "
            "is not the one it was stored with."
        ) from None
    return _load_private_pem(pem)


# --- making keys -----------------------------------------------------------------------------------


def _profile():
    profile = current_app.config.get("SIGNING_KEY_PROFILE", "production")
    if profile != "production" and not current_app.testing:
        raise RuntimeError(f"The {profile!r} signing key profile is for tests only (TESTING=True).")
    return profile


_test_pool = []
_test_pool_lock = threading.Lock()
_test_pool_turns = itertools.count()


def _pooled_test_key(taken_kids):
    """The next pool key this organization does not hold yet (tests only). Keys are dealt out in turn across
    organizations, so that two organizations made one after the other get different keys."""
    with _test_pool_lock:
        for _ in range(TEST_POOL_SIZE):
            index = next(_test_pool_turns) % TEST_POOL_SIZE
            while len(_test_pool) <= index:
                _test_pool.append(rsa.generate_private_key(public_exponent=PUBLIC_EXPONENT, key_size=KEY_BITS))
            if public_jwk_of(_test_pool[index])["kid"] not in taken_kids:
                return _test_pool[index]
    return rsa.generate_private_key(public_exponent=PUBLIC_EXPONENT, key_size=KEY_BITS)


def _new_private_key():
    if _profile() == "testing":
        return _pooled_test_key(set(db.session.scalars(sa.select(SigningKey.kid))))
    return rsa.generate_private_key(public_exponent=PUBLIC_EXPONENT, key_size=KEY_BITS)


def _make_key(created_by_id=None):
    private_key = _new_private_key()
    jwk = public_jwk_of(private_key)
    key = SigningKey(
        kid=jwk["kid"],
        algorithm=ALGORITHM,
        public_jwk=jwk,
        private_key_encrypted=_encrypt(private_key, require_tenant().slug),
        created_at=utcnow(),
        created_by_id=created_by_id,
    )
    db.session.add(key)
    db.session.flush()
    return key


def _signing_key():
    stmt = sa.select(SigningKey).where(SigningKey.retired_at.is_(None)).order_by(SigningKey.id.desc()).limit(1)
    return db.session.scalars(stmt).first()


# --- the service -----------------------------------------------------------------------------------


def active_key():
    """The key that signs now; the organization's first key is made here when it has none.

    Written in the caller's transaction (it commits with the credential it signs). Two processes asking at
    once for an organization with no key get the same one: the second waits for the first's commit.
    """
    key = _signing_key()
    if key is not None:
        return key
    with exclusive("keys"):
        return _signing_key() or _make_key()


def require_manager(actor=current_actor):
    """Org admins manage the keys and read the log (the organization's settings permission)."""
    if not actor.is_authenticated or not actor.can(MANAGE_PERMISSION):
        raise PermissionDenied(denial_message(MANAGE_PERMISSION), {"permission": [MANAGE_PERMISSION]})


def rotate_key(actor=current_actor):
    """A new signing key; the ones before it sign no more but stay published (org admins). Commits."""
    require_manager(actor)
    return rotate(created_by_id=actor_ids(actor.principal).user_id)


def rotate(created_by_id=None):
    """The rotation itself, for whoever is trusted already (`rotate_key` for people, the CLI for operators)."""
    with exclusive("keys"):
        now = utcnow()
        for key in db.session.scalars(sa.select(SigningKey).where(SigningKey.retired_at.is_(None))):
            key.retired_at = now
        key = _make_key(created_by_id=created_by_id)
    db.session.commit()
    return key


def list_keys(query):
    """A page of the organization's keys (the list helper), newest first by default."""
    return run_list_query(db.session, sa.select(SigningKey), query, KEY_LIST)


def all_keys():
    """Every key the organization ever had, newest first."""
    return db.session.scalars(sa.select(SigningKey).order_by(SigningKey.id.desc())).all()


def jwks():
    """The published JWK Set: the public half of every key, retired ones included (oldest first)."""
    keys = db.session.scalars(sa.select(SigningKey).order_by(SigningKey.id)).all()
    return {"keys": [dict(key.public_jwk) for key in keys]}


def published_jwks():
    """The JWK Set as served: never empty, for the first key is made (and committed) when there is none."""
    published = jwks()
    if not published["keys"]:
        active_key()
        db.session.commit()
        published = jwks()
    return published
