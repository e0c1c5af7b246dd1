"""Standard Webhooks signatures (standardwebhooks.com, "Signature scheme"): the headers `webhook-id`,
`webhook-timestamp` and `webhook-signature`, the last `v1,` + base64(HMAC-SHA256(key, "{id}.{timestamp}.{body}"))
where the key is the base64 part of a `whsec_` secret; during a rotation's overlap both secrets sign and the
header carries both signatures, space-separated (a receiver accepts either)."""

import base64
import hashlib
import hmac
import secrets

SECRET_PREFIX = "whsec_"  # noqa: S105 (the scheme's prefix, not a secret)
SECRET_BYTES = 32


def new_signing_secret():
    """A fresh `whsec_` secret (32 random bytes, base64)."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii")


def _key_of(secret):
    return base64.b64decode(secret.removeprefix(SECRET_PREFIX))


def signature(secret, message_id, timestamp, body):
    """One `v1,` signature of `body` (bytes or str) sent as message `message_id` at `timestamp` (Unix seconds)."""
    if isinstance(body, str):
        body = body.encode("utf-8")
    signed = f"{message_id}.{int(timestamp)}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(_key_of(secret), signed, hashlib.sha256).digest()).decode("ascii")


def signed_headers(secrets_in_use, message_id, timestamp, body):
    """The three Standard Webhooks headers, signed with every secret in `secrets_in_use` (the current one first;
    the previous one too while a rotation overlaps)."""
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(timestamp)),
        "webhook-signature": " ".join(signature(secret, message_id, timestamp, body) for secret in secrets_in_use),
    }
