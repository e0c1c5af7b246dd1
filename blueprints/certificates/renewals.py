"""Completing a course again renews its expired certificate (issuance's own subscriber gives the first one)."""

from app.events import subscriber
from blueprints.certificates import lifecycle


@subscriber("course.completed")
def renew_expired_certificate(event):
    """Idempotent: a second delivery finds the renewed certificate current and does nothing."""
    lifecycle.renew_on_completion(event.course_id, event.user_id, event.occurred_at.replace(tzinfo=None))
