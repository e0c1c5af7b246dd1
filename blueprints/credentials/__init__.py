"""Signed credentials: the organization's signing keys (JWKS), VC-JWT signing and the issuance log."""
