"""What learning does when other features' events happen (registered with the learning feature)."""

from app.events import subscriber
from blueprints.learning import services as learning


@subscriber("class.members_added")
def enroll_new_class_members(event):
    """New students of a class that is enrolled in courses are enrolled in those courses."""
    learning.enroll_new_class_members(event.class_id, event.user_ids, event.role)


@subscriber("assessment.passed")
def complete_passed_assessment(event):
    """Passing the assessment an item links to completes that item (a quiz linked to no item completes nothing)."""
    if event.item_id is not None:
        learning.complete_passed_assessment(event.item_id, event.user_id)
