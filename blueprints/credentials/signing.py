"""Signed credentials: VC-JWTs (W3C VC data model 2.0, JOSE RS256) with the organization's keys.

`sign(credential, ...)` adds the issuer, the dates and the JWT claims (`iss`, `jti`, `sub`, `nbf`, `iat`,
`exp`) to a credential and signs it with the active key; `verify(token)` checks it against the organization's
published keys (or a given JWK Set) and returns its claims, or raises `InvalidCredential` with a reason a
person can read. URLs are built from the tenant's slug and `LMS_URL_SCHEME`/`LMS_BASE_DOMAIN`, never from
the request: a job signs the same issuer id as a page, whatever host it was reached on.
"""

from datetime import UTC, datetime

import jwt
from flask import current_app

from app.tenancy.context import require_tenant
from blueprints.credentials import keys
from blueprints.credentials.offline import InvalidCredential

__all__ = ["InvalidCredential", "absolute_url", "issuer_id", "issuer_profile", "sign", "verify"]

VC_CONTEXT = "https://www.w3.org/ns/credentials/v2"
OB3_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
JOSE_TYPE = "vc+jwt"
ISSUER_PATH = "/credentials/issuer"


# --- where the organization lives ------------------------------------------------------------------


def absolute_url(path):
    """`path` on the current organization's host (for QR codes, links in credentials and e-mails)."""
    config = current_app.config
    return f"{config['LMS_URL_SCHEME']}://{require_tenant().slug}.{config['LMS_BASE_DOMAIN']}{path}"


def issuer_id():
    """The organization's issuer id: the URL of its issuer profile."""
    return absolute_url(ISSUER_PATH)


def issuer_profile():
    """The Open Badges 3.0 `Profile` of the organization (public: name, home page, logo)."""
    tenant = require_tenant()
    settings = tenant.settings or {}
    profile = {
        "@context": [VC_CONTEXT, OB3_CONTEXT],
        "id": issuer_id(),
        "type": ["Profile"],
        "name": settings.get("display_name") or tenant.name,
        "url": absolute_url("/"),
    }
    if settings.get("logo"):
        profile["image"] = {"id": absolute_url(f"/branding/logo?v={settings.get('logo_version', '')}"), "type": "Image"}
    return profile


# --- dates -----------------------------------------------------------------------------------------


def _utc(moment):
    """A datetime in UTC; naive ones (the database's) are UTC already."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _iso(moment):
    return _utc(moment).strftime("%Y-%m-%dT%H:%M:%SZ")


def _readable(timestamp):
    return datetime.fromtimestamp(timestamp, UTC).strftime("%d %B %Y, %H:%M UTC")


# --- signing ---------------------------------------------------------------------------------------


def _with_contexts(contexts):
    contexts = [contexts] if isinstance(contexts, str | dict) else list(contexts or [])
    return [VC_CONTEXT, *(context for context in contexts if context != VC_CONTEXT)]


def sign(credential, *, subject_id, credential_id, valid_from, valid_until=None):
    """The credential as a VC-JWT signed with the organization's active key.

    Adds `@context` (VC 2.0 first), `id`, `issuer` (the issuer id; or, when the credential holds an issuer
    object such as `issuer_profile()`, that object with the id), `validFrom`/`validUntil` and
    `credentialSubject.id` to the credential, and the JWT's `iss`, `jti`, `sub`, `nbf`, `iat`, `exp` (only
    when it expires).
    """
    key = keys.active_key()
    issuer = issuer_id()
    claims = dict(credential)
    claims["@context"] = _with_contexts(claims.get("@context"))
    claims.setdefault("type", ["VerifiableCredential"])
    claims["id"] = credential_id
    # A string by default; an object (Open Badges 3.0 wants a Profile) is kept, with this organization's id
    claims["issuer"] = {**claims["issuer"], "id": issuer} if isinstance(claims.get("issuer"), dict) else issuer
    claims["validFrom"] = _iso(valid_from)
    if valid_until is not None:
        claims["validUntil"] = _iso(valid_until)
    claims["credentialSubject"] = {**dict(claims.get("credentialSubject") or {}), "id": subject_id}
    claims |= {
        "iss": issuer,
        "jti": credential_id,
        "sub": subject_id,
        "nbf": int(_utc(valid_from).timestamp()),
        "iat": int(datetime.now(UTC).timestamp()),
    }
    if valid_until is not None:
        claims["exp"] = int(_utc(valid_until).timestamp())
    return jwt.encode(
        claims, keys.private_key_of(key), algorithm=keys.ALGORITHM, headers={"typ": JOSE_TYPE, "kid": key.kid}
    )


# --- verifying -------------------------------------------------------------------------------------


def _public_key(jwks, kid):
    for jwk in (jwks or {}).get("keys", []):
        if isinstance(jwk, dict) and jwk.get("kid") == kid:
            try:
                return jwt.PyJWK(jwk, algorithm=keys.ALGORITHM).key
            except (jwt.PyJWKError, jwt.InvalidKeyError, ValueError, TypeError, KeyError):
                raise InvalidCredential("The organization's published key for it cannot be read.") from None
    raise InvalidCredential("It was signed with a key this organization does not publish.")


def verify(token, jwks=None):
    """The claims of a valid credential, checked against `jwks` (None: this organization's published keys).

    Refused (`InvalidCredential`): not a JWT, an algorithm other than RS256 (`none`, HS256, ...), a key not in
    the set, a bad signature, not valid yet, expired; with the organization's own keys, another issuer too.
    """
    if isinstance(token, bytes):
        token = token.decode("ascii", "replace")
    token = (token or "").strip()
    own = jwks is None
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError:
        raise InvalidCredential("This is not a signed credential (a VC-JWT).") from None
    algorithm = header.get("alg")
    if algorithm != keys.ALGORITHM:
        raise InvalidCredential(f"It is signed with {algorithm!s}, not RS256: Tessera credentials never are.")
    public_key = _public_key(keys.jwks() if own else jwks, header.get("kid"))
    try:
        claims = jwt.decode(
            token,
            public_key,
            algorithms=[keys.ALGORITHM],
            options={"require": ["iss", "jti", "sub", "nbf"], "verify_exp": False, "verify_nbf": False},
        )
    except jwt.InvalidSignatureError:
        raise InvalidCredential(
            "The signature does not match: the credential was changed after it was signed."
        ) from None
    except jwt.MissingRequiredClaimError as error:
        raise InvalidCredential(f"It lacks the {error.claim!r} claim every credential carries.") from None
    except jwt.PyJWTError:
        raise InvalidCredential("This is not a well-formed signed credential.") from None
    now = datetime.now(UTC).timestamp()
    if not isinstance(claims["nbf"], int | float) or not isinstance(claims.get("exp", 0), int | float):
        raise InvalidCredential("Its dates are not readable.")
    if claims["nbf"] > now:
        raise InvalidCredential(f"It is not valid yet: it becomes valid on {_readable(claims['nbf'])}.")
    if "exp" in claims and claims["exp"] <= now:
        raise InvalidCredential(f"It expired on {_readable(claims['exp'])}.")
    if own and claims["iss"] != issuer_id():
        raise InvalidCredential("It was issued by another organization.")
    return claims
