"""Fetching a OneRoster zip from an integration's `settings.source_url` (with `source_token` from its sealed
secrets as a bearer token), through the SSRF guard of `outbound.py`: the host is resolved and checked, the
request goes to the checked address (Host header and TLS SNI keep the name), redirects are not followed."""

import httpx
from flask import current_app

from app.errors import ValidationFailed
from app.security.sealing import unseal
from blueprints.integrations.outbound import (
    BlockedAddress,
    UnresolvableHost,
    pinned_request,
    private_addresses_allowed,
)

FETCH_TIMEOUT_SECONDS = 60


class _Capped:
    """The answer's body as a stream (`read`), refusing more than `limit` bytes."""

    def __init__(self, chunks, limit):
        self.chunks, self.limit, self.size, self.buffer = chunks, limit, 0, b""

    def read(self, size=-1):
        while size < 0 or len(self.buffer) < size:
            chunk = next(self.chunks, None)
            if chunk is None:
                break
            self.size += len(chunk)
            if self.size > self.limit:
                raise _refused(f"The file at the source URL is larger than the {self.limit >> 20} MB limit.")
            self.buffer += chunk
        if size < 0:
            data, self.buffer = self.buffer, b""
        else:
            data, self.buffer = self.buffer[:size], self.buffer[size:]
        return data


def _refused(message):
    return ValidationFailed(message, {"source_url": [message]}, code="SOURCE_UNAVAILABLE")


def fetch_source(integration, store):
    """GET the integration's source URL and hand the body, streamed, to `store(stream)`; returns what `store`
    returns. ValidationFailed (field `source_url`) when there is no URL, the guard refuses it, or no 200 comes."""
    url = (integration.settings or {}).get("source_url")
    if not url:
        raise _refused("Upload a OneRoster zip, or set the integration's source URL.")
    secrets = unseal(integration.secrets_sealed, purpose="integrations") if integration.secrets_sealed else {}
    token = (secrets or {}).get("source_token")
    try:
        pinned, host_header, sni = pinned_request(url, private_addresses_allowed())
    except (BlockedAddress, UnresolvableHost) as error:
        raise _refused(str(error)) from None
    headers = {"Host": host_header, "User-Agent": "Tessera-Roster/1", "Accept": "application/zip"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    extensions = {"sni_hostname": sni} if sni else {}
    limit = current_app.config["IMPORT_MAX_BYTES"]
    try:
        with (
            httpx.Client(timeout=FETCH_TIMEOUT_SECONDS, follow_redirects=False, trust_env=False) as client,
            client.stream("GET", pinned, headers=headers, extensions=extensions) as answer,
        ):
            if answer.status_code != 200:
                raise _refused(f"The source URL answered {answer.status_code}, not 200 with a zip.")
            return store(_Capped(answer.iter_bytes(1 << 16), limit))
    except httpx.HTTPError as error:
        raise _refused(f"The source URL could not be fetched: {type(error).__name__}.") from None
