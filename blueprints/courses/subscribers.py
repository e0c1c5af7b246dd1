"""What courses and learning do when other features' events happen (registered by the app factory)."""

from app.events import subscriber
from blueprints.courses import learning


@subscriber("class.members_added")
def enroll_new_class_members(event):
    """New students of a class that is enrolled in courses are enrolled in those courses."""
    learning.enroll_new_class_members(event.class_id, event.user_ids, event.role)


@subscriber("assessment.passed")
def complete_passed_assessment(event):
    """Passing the assessment an item links to completes that item."""
    learning.complete_passed_assessment(event.item_id, event.user_id)
