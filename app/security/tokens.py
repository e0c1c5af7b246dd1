"""Short-lived JWT access tokens, bound to one tenant by their `tid` claim."""

import functools
import hashlib
import secrets
import time
import uuid
from datetime import UTC, datetime, timedelta

import jwt
from flask import current_app

ALGORITHM = "HS256"
PLATFORM_TID = 0  # `tid` of tokens issued on the platform domain (tenant ids start at 1)


class InvalidToken(Exception):
    pass


def _key():
    return current_app.config.get("JWT_SECRET_KEY") or current_app.config["SECRET_KEY"]


def issue_access_token(subject, tenant_id, roles, session_id):
    """A signed access token of one sign-in (`sid`) and its lifetime in seconds."""
    lifetime = timedelta(minutes=current_app.config["JWT_ACCESS_TOKEN_MINUTES"])
    now = datetime.now(UTC)
    claims = {
        "sub": str(subject),
        "tid": tenant_id if tenant_id is not None else PLATFORM_TID,
        "roles": list(roles),
        "jti": uuid.uuid4().hex,
        "sid": session_id,  # checked on every request: closing the sign-in ends the token at once
        "iat": now,
        "exp": now + lifetime,
        "typ": "access",
    }
    return jwt.encode(claims, _key(), algorithm=ALGORITHM), int(lifetime.total_seconds())


@functools.lru_cache(maxsize=4096)
def _signed_claims(token, key):
    """The claims of a token whose signature `key` verifies; expiry is checked by the caller, on every use.

    Kept per process (the last 4 096 tokens): verifying the same token's signature on each of its requests was a
    tenth of a small API read's CPU. A token is immutable and its signature verifies or not once and for all; a
    refused one is not kept (the cache holds only what raised nothing)."""
    return jwt.decode(
        token,
        key,
        algorithms=[ALGORITHM],  # never trust the token's own `alg` (no `none`, no confusion)
        options={"require": ["exp", "iat", "sub", "tid", "jti", "sid"], "verify_exp": False},
    )


def decode_access_token(token, tenant_id):
    """The claims of a valid access token issued for `tenant_id` (None: the platform)."""
    try:
        claims = _signed_claims(token, _key())
    except jwt.PyJWTError as error:
        raise InvalidToken(str(error)) from None
    expires = claims["exp"]
    if not isinstance(expires, int | float) or isinstance(expires, bool):
        raise InvalidToken("Expiration Time claim (exp) must be an integer.")
    if expires <= time.time():
        raise InvalidToken("Signature has expired")
    expected = tenant_id if tenant_id is not None else PLATFORM_TID
    if claims.get("typ") != "access" or claims.get("tid") != expected:
        raise InvalidToken("Token was not issued for this organization.")
    if not isinstance(claims.get("sid"), str) or not claims["sid"]:
        raise InvalidToken("Token names no sign-in.")
    return claims


def new_session_id():
    """The id of a sign-in: random, named by signed cookies and tokens only (so not a secret on its own)."""
    return secrets.token_hex(16)


def new_opaque_token(nbytes=32):
    """A random bearer secret for refresh and reset tokens (shown once, stored only as a digest)."""
    return secrets.token_urlsafe(nbytes)


def token_digest(token):
    """SHA-256 of a high-entropy token: enough to store it (no password stretching needed)."""
    return hashlib.sha256((token or "").encode()).hexdigest()
