"""The demo organization's part: its first signing key, so that the Credentials page and the JWKS show one
(badges and certificates add the log's entries as they issue)."""

from app.extensions import db
from blueprints.credentials import keys


def seed_signing_key(_password):
    if keys.jwks()["keys"]:
        return  # seeded before: the demo seed says only what it changed
    key = keys.active_key()
    db.session.commit()
    yield f"signing key {key.kid} (Settings > Credentials, /.well-known/jwks.json)"
