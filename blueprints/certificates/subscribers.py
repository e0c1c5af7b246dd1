"""What the certificates feature does when events happen (registered by the feature: see app/features.py)."""

import logging

import sqlalchemy as sa

from app.events import subscriber
from app.extensions import db
from blueprints.certificates import issuance
from blueprints.certificates.models import Certificate

log = logging.getLogger(__name__)


@subscriber("course.completed")
def issue_on_completion(event):
    """A learner completed a course: issue its certificate (when the course gives one). Delivered twice, it
    issues nothing more: the learner holds a current one, or one issued since this completion was revoked."""
    if not issuance.credentials_ready():  # signing, the log and the embedding come with the credentials part
        log.warning("Certificates are not issued: the credentials part is not installed.")
        return
    issued_since = db.session.scalar(
        sa.select(Certificate.id).where(
            Certificate.course_id == event.course_id,
            Certificate.user_id == event.user_id,
            Certificate.issued_at >= event.occurred_at.replace(tzinfo=None),
        )
    )
    if issued_since is None:
        issuance.issue_certificate(event.course_id, event.user_id, completed_at=event.occurred_at)
