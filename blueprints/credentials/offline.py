"""Verify a Tessera credential offline: a certificate PDF, a VC-JWT file or a JSON {"credential": token}.

Imports only the standard library and `cryptography`, so that it runs as one downloaded file
(`GET /credentials/verifier.py`):

    python offline.py certificate.pdf --jwks jwks.json [--log-head HASH]
"""


class InvalidCredential(Exception):
    """The credential does not verify; `reason` says why in a sentence a person understands."""

    def __init__(self, reason):
        super().__init__(reason)
        self.reason = reason
