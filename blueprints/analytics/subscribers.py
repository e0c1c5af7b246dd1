"""What keeps the analytics read model current (registered by the feature: see app/features.py).

Each subscriber recomputes the rows its event touched from the source tables (`blueprints/analytics/readmodel.py`),
never adds to them: delivered twice, or after a later change, it writes what the sources say now. What a delivery
changes in the roll-ups per group it writes once, at its end (`group_rollups.group_writes`).
"""

import sqlalchemy as sa

from app.events import subscriber
from app.extensions import db
from blueprints.analytics import group_rollups, readmodel
from blueprints.analytics.models import NO_COURSE
from blueprints.analytics.sql import day_of, days_around
from blueprints.assessments.models import QuizAttempt


def refreshing(*event_names):
    """A subscriber of these events whose changes to the roll-ups per group are summed over the delivery and written
    once, at its end, in key order (`group_rollups.group_writes`): every subscriber that refreshes enrollments or
    memberships. Written per refresh instead, two deliveries could lock a group's rows in opposite orders."""

    def register(function):
        return subscriber(*event_names)(group_rollups.group_writes()(function))

    return register


@refreshing("enrollment.created", "enrollment.resumed", "enrollment.ended")
def refresh_enrollment(event):
    """The enrollment's row and the day it was enrolled (a resumed enrollment keeps its first day)."""
    state = readmodel.refresh_enrollment(event.course_id, event.user_id)
    if state is not None:
        readmodel.refresh_day(day_of(state.enrolled_at), event.user_id, event.course_id)


@refreshing("content.completed", "course.completed", "learning.time_reported")
def refresh_learning(event):
    """The enrollment's row and the day of the event (an item completed, the course completed, time spent)."""
    readmodel.refresh_enrollment(event.course_id, event.user_id)
    for day in days_around(event.occurred_at):
        readmodel.refresh_day(day, event.user_id, event.course_id)


@refreshing("assessment.submitted", "assessment.graded")
def refresh_attempt(event):
    """The enrollment's row (the course of the quiz) and the attempt's submission day: a late manual grade
    changes the day it was submitted."""
    readmodel.refresh_enrollment(event.course_id, event.user_id)
    submitted_at = db.session.scalar(sa.select(QuizAttempt.submitted_at).where(QuizAttempt.id == event.attempt_id))
    days = [day_of(submitted_at)] if submitted_at else days_around(event.occurred_at)
    for day in days:
        readmodel.refresh_day(day, event.user_id, event.course_id)


@subscriber("auth.signed_in")
def refresh_sign_ins(event):
    """The person's sign-ins of the day (the course-0 row)."""
    for day in days_around(event.occurred_at):
        readmodel.refresh_day(day, event.user_id, NO_COURSE)


@refreshing("course.items_changed")
def refresh_course_progress(event):
    """The progress figures of every person with an active enrollment in the course (its item count changed)."""
    readmodel.refresh_course_progress(event.course_id)


@refreshing("memberships.changed")
def refresh_memberships(event):
    """The people's memberships as the roll-ups per branch and per class count them (their share moved to the
    groups they joined, taken back from those they left)."""
    group_rollups.refresh_memberships(event.user_ids)
