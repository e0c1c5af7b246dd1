"""The badges' revocation list: every Open Badges 3.0 credential names a bit of a W3C Bitstring Status List
(`credentialStatus`, purpose revocation) that the organization publishes as a signed credential at
`/ob/v3/status/revocation`. Revoking an award sets the bit of each credential signed for it, so a verifier
holding only the VC-JWT learns that it is revoked (the hosted 2.0 assertion's 410 is the same answer for 2.0).
"""

import base64
import gzip
from datetime import timedelta

import sqlalchemy as sa

from app.extensions import db
from app.tenancy.models import utcnow
from blueprints.badges.models import BadgeCredentialStatus
from blueprints.credentials import signing

STATUS_LIST_PATH = "/ob/v3/status/revocation"
MIN_BITS = 131_072  # the specification's minimum list length (16 KiB): a short list would tell how few were issued
LIST_VALID_FOR = timedelta(hours=1)  # a verifier refuses an older copy: a replayed list cannot un-revoke for long


def status_list_url():
    return signing.absolute_url(STATUS_LIST_PATH)


def new_entry(award_id):
    """A fresh bit for a credential about to be signed for this award, as its `credentialStatus`."""
    row = BadgeCredentialStatus(award_id=award_id, revoked=False)
    db.session.add(row)
    db.session.flush()
    url = status_list_url()
    return {
        "id": f"{url}#{row.id}",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": str(row.id),
        "statusListCredential": url,
    }


def revoke_entries(award_id):
    """Set the bits of every credential signed for this award (in the caller's transaction)."""
    db.session.execute(
        sa.update(BadgeCredentialStatus).where(BadgeCredentialStatus.award_id == award_id).values(revoked=True)
    )


def encoded_list():
    """`u` + base64url (no padding) of the gzipped bitstring, index 0 the first byte's highest bit."""
    revoked = list(db.session.scalars(sa.select(BadgeCredentialStatus.id).where(BadgeCredentialStatus.revoked)))
    last = db.session.scalar(sa.select(sa.func.max(BadgeCredentialStatus.id))) or 0
    bits = bytearray(max(MIN_BITS, last + 1 + (-(last + 1)) % 8) // 8)
    for index in revoked:
        bits[index // 8] |= 0x80 >> (index % 8)
    packed = gzip.compress(bytes(bits), mtime=0)
    return "u" + base64.urlsafe_b64encode(packed).decode("ascii").rstrip("=")


def status_list_token():
    """The revocation list as a signed BitstringStatusListCredential (VC-JWT), valid for an hour."""
    url = status_list_url()
    now = utcnow().replace(microsecond=0)
    credential = {
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "credentialSubject": {
            "type": "BitstringStatusList",
            "statusPurpose": "revocation",
            "encodedList": encoded_list(),
        },
    }
    return signing.sign(
        credential, subject_id=f"{url}#list", credential_id=url, valid_from=now, valid_until=now + LIST_VALID_FOR
    )
