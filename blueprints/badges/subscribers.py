"""What the badges feature does when events happen (registered by the feature: see app/features.py)."""

from app.events import subscriber
from blueprints.badges import awards


@subscriber("course.completed", "assessment.passed", "assessment.graded")
def award_met_badges(event):
    """A learner completed a course, passed or was graded in an assessment: the badges whose criteria react to
    that event and are now met are awarded, all in this delivery. Delivered twice, the second finds them held
    and awards nothing."""
    awards.award_met_badges(event)
