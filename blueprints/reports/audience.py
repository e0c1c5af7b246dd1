"""Whose rows a report holds: the requester's audience (docs/analytics.md "Who sees what"), as SQL conditions.

- an org admin (or an org-wide API key): everyone;
- a branch manager: the people who are members of a branch they manage, all their enrollments;
- a teacher: the enrollments in the courses they teach and the enrollments of the students of their classes;
- an API key with a branch role: nobody (a key without an org-wide role has no branches).

It is the rule of `blueprints/analytics/audience.py` (part figures), over the source tables (`enrollments`)
rather than the read model: a report is exact on the minute it is made. It is applied in the database (a
report streams its rows, it never loads them to filter them), and at generation time: a schedule's report
follows its owner's reach on the day it runs.
"""

from dataclasses import dataclass

import sqlalchemy as sa

from blueprints.branches.queries import people_of
from blueprints.classes.queries import students_of_classes
from blueprints.courses.queries import courses_taught_by
from blueprints.learning.models import Enrollment


@dataclass(frozen=True)
class ReportAudience:
    everyone: bool
    branch_ids: frozenset = frozenset()  # the people of these branches, all their enrollments
    teacher_id: int | None = None  # the enrollments of the courses this person teaches
    class_ids: frozenset = frozenset()  # the students of these classes, all their enrollments

    @property
    def nobody(self):
        return not self.everyone and not self.branch_ids and self.teacher_id is None and not self.class_ids

    def enrollments(self, user_id, course_id):
        """A condition on (a learner's id, a course's id) columns: the enrollment is in the audience."""
        if self.everyone:
            return sa.true()
        conditions = []
        if self.branch_ids:
            conditions.append(user_id.in_(people_of(self.branch_ids)))
        if self.teacher_id is not None:
            conditions.append(course_id.in_(courses_taught_by(self.teacher_id)))
        if self.class_ids:
            conditions.append(user_id.in_(students_of_classes(self.class_ids)))
        return sa.or_(*conditions) if conditions else sa.false()

    def people(self, user_id):
        """A condition on a person's id column: the person is in the audience (for a teacher: the learners of
        their courses, enrolled now or before, and the students of their classes), as the analytics' own."""
        if self.everyone:
            return sa.true()
        conditions = []
        if self.branch_ids:
            conditions.append(user_id.in_(people_of(self.branch_ids)))
        if self.teacher_id is not None:
            learners = sa.select(Enrollment.user_id).where(Enrollment.course_id.in_(courses_taught_by(self.teacher_id)))
            conditions.append(user_id.in_(learners))
        if self.class_ids:
            conditions.append(user_id.in_(students_of_classes(self.class_ids)))
        return sa.or_(*conditions) if conditions else sa.false()


def report_audience_of(actor):
    """The audience of an actor (a person or an API key, with its scope)."""
    if not actor.is_authenticated:
        return ReportAudience(False)
    scope = actor.scope
    if scope.organization_wide:
        return ReportAudience(True)
    if actor.kind != "user":
        return ReportAudience(False)  # a key without an org-wide role has no branches
    return ReportAudience(False, frozenset(scope.branch_ids or ()), actor.id, frozenset(scope.taught_class_ids or ()))
