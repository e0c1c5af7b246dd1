"""The organization's signing keys and its issuance log (docs/credentials.md).

Every badge award and certificate is a credential signed with one of the organization's keys; the public
halves are published as a JWKS. The issuance log is a hash chain: each entry carries the hash of the one
before it, so that an edited or deleted row breaks the chain at that row.
"""

import sqlalchemy as sa
from sqlalchemy import orm

from app.tenancy.base import TenantModel
from app.tenancy.models import utcnow


class SigningKey(TenantModel):
    """An RSA key pair. The newest key that is not retired signs; every key ever made stays published, so
    that credentials signed before a rotation keep verifying."""

    __tablename__ = "signing_keys"

    id = sa.Column(sa.Integer, primary_key=True)
    kid = sa.Column(sa.String(64), nullable=False, unique=True)  # the JWK thumbprint (RFC 7638)
    algorithm = sa.Column(sa.String(10), nullable=False, default="RS256")
    public_jwk = sa.Column(sa.JSON, nullable=False)
    private_key_encrypted = sa.Column(sa.Text, nullable=False)  # PKCS#8 PEM, encrypted at rest
    created_at = sa.Column(sa.DateTime, nullable=False, default=utcnow)
    retired_at = sa.Column(sa.DateTime)  # signs no more; still published
    created_by_id = sa.Column(sa.Integer, sa.ForeignKey("users.id", ondelete="SET NULL"))


class LedgerEntry(TenantModel):
    """One line of the organization's issuance log. Append-only: nothing updates or deletes a row."""

    __tablename__ = "ledger_entries"

    id = sa.Column(sa.Integer, primary_key=True)
    seq = sa.Column(sa.Integer, nullable=False, unique=True)  # 1, 2, 3 … with no gap
    action = sa.Column(sa.String(20), nullable=False)  # issued, revoked, reissued, superseded, ...
    subject_type = sa.Column(sa.String(20), nullable=False)  # certificate, badge_award
    subject_id = sa.Column(sa.Integer, nullable=False)
    payload = sa.Column(sa.Text, nullable=False)  # canonical JSON (sorted keys, no spaces): what is hashed
    prev_hash = sa.Column(sa.String(64), nullable=False)  # "0" * 64 for the first entry
    entry_hash = sa.Column(sa.String(64), nullable=False, unique=True)
    actor_user_id = sa.Column(sa.Integer)  # no FK: the log outlives the people in it
    actor_api_key_id = sa.Column(sa.Integer)  # the API key that acted (no FK either: keys are deleted)
    created_at = sa.Column(sa.DateTime, nullable=False, default=utcnow)
    # its personal data, outside the chain (None: it logged none, was erased, or predates the scheme)
    personal_data = orm.relationship("LedgerPersonalData", uselist=False, lazy="selectin", viewonly=True)

    __table_args__ = (sa.Index("ix_ledger_entries_subject", "subject_type", "subject_id"),)


class LedgerPersonalData(TenantModel):
    """The personal data of one log entry (the holder's name as issued), kept *outside* the hash chain.

    The entry's chained payload holds only `personal`: sha256(salt + canonical JSON of this data), so that an
    erasure can delete this row (salt and data) and every hash, and every head verifiers hold, stays the same.
    The random salt keeps the commitment from being guessed back from a list of names."""

    __tablename__ = "ledger_personal_data"

    entry_id = sa.Column(sa.Integer, sa.ForeignKey("ledger_entries.id", ondelete="CASCADE"), primary_key=True)
    user_id = sa.Column(sa.Integer, nullable=False, index=True)  # whom it is about; no FK, as for the log
    salt = sa.Column(sa.String(64), nullable=False)  # 32 random bytes, hex
    data = sa.Column(sa.Text, nullable=False)  # canonical JSON, exactly the bytes committed to
