"""What the organization publishes for verifiers, on its host and without sign-in: its keys (JWKS), its issuer
profile, the issuance log's head, and the offline verifier as a file to download.

Open to any origin (`Access-Control-Allow-Origin: *`): verifiers run in other sites' pages. The keys and
the profile may be cached for a few minutes (a rotation adds a key; the old ones stay, so a cached set
still verifies everything signed before); the log's head changes with every issuance and is not cached.
"""

from pathlib import Path

from flask import Blueprint, jsonify, make_response

from app.errors import NotFound
from app.tenancy.context import get_current_tenant
from blueprints.credentials import keys, ledger, offline, signing

bp = Blueprint("credentials_public", __name__)

KEYS_MAX_AGE = 300  # seconds a verifier may keep the key set and the profile
VERIFIER_FILE = Path(offline.__file__)


def _organization_only():
    if get_current_tenant() is None:
        raise NotFound("Credentials are published on an organization's own address.")


def _published(body, content_type, cache_control):
    response = make_response(body)
    response.headers["Content-Type"] = content_type
    response.headers["Cache-Control"] = cache_control
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


@bp.get("/.well-known/jwks.json")
def jwks():
    """The organization's public signing keys (every key it ever signed with), as a JWK Set."""
    _organization_only()
    return _published(jsonify(keys.published_jwks()), "application/jwk-set+json", f"public, max-age={KEYS_MAX_AGE}")


@bp.get("/credentials/issuer")
def issuer():
    """The organization as an issuer: an Open Badges 3.0 Profile (id, name, home page, logo)."""
    _organization_only()
    return _published(jsonify(signing.issuer_profile()), "application/ld+json", f"public, max-age={KEYS_MAX_AGE}")


@bp.get("/credentials/log/head")
def log_head():
    """The issuance log's last entry (its number and hash): keep it to notice later that entries went missing."""
    _organization_only()
    return _published(jsonify(ledger.head()), "application/json", "no-cache")


@bp.get("/credentials/verifier.py")
def verifier():
    """The offline verifier: one Python file that needs only `pip install cryptography`."""
    _organization_only()
    response = _published(VERIFIER_FILE.read_bytes(), "text/x-python; charset=utf-8", f"public, max-age={KEYS_MAX_AGE}")
    response.headers["Content-Disposition"] = 'attachment; filename="tessera-verify.py"'
    return response
