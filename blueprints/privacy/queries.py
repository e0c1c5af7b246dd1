"""What other features may read of the privacy feature."""

import sqlalchemy as sa

from app.extensions import db
from blueprints.privacy.models import PersonErasure

ERASED_HOLDER = "Holder's data erased at their request"


REASON_WITHHELD = "Withheld: the holder's data was erased at their request."


def withheld_if_erased(user_id, reason):
    """A revocation's reason, or the withheld sentence when its holder was erased: free text about them written
    after their erasure would stay for good (the erasure runs once)."""
    return REASON_WITHHELD if is_erased(user_id) else reason


def is_erased(user_id):
    """Whether this person was erased at their request (certificates say so instead of a name)."""
    return db.session.scalar(sa.select(PersonErasure.id).where(PersonErasure.user_id == user_id)) is not None
