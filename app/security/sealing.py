"""Secrets an organization keeps with us, sealed at rest: Fernet under a key derived (HKDF-SHA256) from
`LMS_CREDENTIAL_KEY` (or `SECRET_KEY` when unset), the organization's slug and a purpose. One organization's
rows are unreadable with another's key, one purpose's with another's, and a copied database without the secret.

    sealed = seal({"signing_secret": "whsec_..."}, purpose="integrations")
    unseal(sealed, purpose="integrations")  # -> the dict again; UnreadableSecret if the key changed

Used for the integrations' secrets (blueprints/integrations). Changing the key makes what was sealed unreadable:
the owner sets the secret again."""

import base64
import json
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app

from app.tenancy.context import require_tenant


class UnreadableSecret(RuntimeError):
    """A sealed value could not be opened: the credential key or SECRET_KEY changed since it was sealed."""


@lru_cache(maxsize=256)
def _fernet(secret, slug, purpose):
    derived = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=f"tessera {purpose}".encode(), info=f"organization:{slug}".encode()
    ).derive(secret.encode("utf-8"))
    return Fernet(base64.urlsafe_b64encode(derived))


def _fernet_of(purpose, slug):
    config = current_app.config
    return _fernet(config.get("CREDENTIAL_KEY") or config["SECRET_KEY"], slug or require_tenant().slug, purpose)


def seal(value, *, purpose, slug=None):
    """`value` (anything JSON can hold) sealed for the current organization (or `slug`) and `purpose`."""
    return _fernet_of(purpose, slug).encrypt(json.dumps(value, separators=(",", ":")).encode()).decode("ascii")


def unseal(sealed, *, purpose, slug=None):
    try:
        return json.loads(_fernet_of(purpose, slug).decrypt(sealed.encode("ascii")))
    except InvalidToken as error:
        raise UnreadableSecret(f"A sealed {purpose} secret cannot be opened with the current key") from error
