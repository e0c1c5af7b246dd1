"""What the assessments feature does when events happen (registered by the feature: see app/features.py)."""

from app.events import subscriber
from blueprints.assessments import analysis, attempts


@subscriber("assessment.graded")
def refresh_item_analysis(event):
    """A graded first attempt of a learner moves the quiz's item analysis; it is recomputed at once (the whole
    quiz: delivered twice, it gives the same figures). A learner's later attempts are not in those figures."""
    if analysis.counts_for_stored_figures(event.quiz_id, event.attempt_id):
        analysis.refresh(event.quiz_id)


@subscriber("assessment.timing_changed")
def move_open_deadlines(event):
    """A quiz's time limit or closing time, or a learner's extra minutes, changed: the open attempts concerned get
    their deadline worked out again and a job for it (the old job then does nothing)."""
    attempts.move_deadlines(event.quiz_id, event.user_id)
