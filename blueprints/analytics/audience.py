"""Whose figures the caller sees (docs/analytics.md, "Who sees what"), as SQL conditions on the read model.

An `Audience` never lists the ids of the people it holds: it answers conditions (`IN (SELECT ...)` on the
memberships, the courses taught, the classes taught) that the figures' grouped queries put in their WHERE, so
an org admin's dashboard over a hundred thousand learners is the same few statements as a teacher's.
"""

from dataclasses import dataclass

import sqlalchemy as sa

from app.security.actor import current_actor
from blueprints.analytics.models import NO_COURSE, AnalyticsDay, LearnerCourse
from blueprints.branches.queries import people_of
from blueprints.classes.queries import students_of_classes
from blueprints.courses.queries import courses_taught_by, teaches_any_course


@dataclass(frozen=True)
class Audience:
    """The people and enrollments a caller sees.

    - `everyone`: an org admin (or an org-wide key): every enrollment and person;
    - `branch_ids`: the members of these branches, with all their enrollments (a branch manager);
    - `teacher_id`: the enrollments in the courses this person teaches and the enrollments of the students
      of `class_ids` (the classes they teach); its people are the learners of those courses and those students;
    - `learner_id`: one person's own figures (a student's page).
    Several may hold at once (a teacher who also manages a branch sees both); none: nobody.
    """

    everyone: bool = False
    branch_ids: frozenset = frozenset()
    teacher_id: int | None = None
    class_ids: frozenset = frozenset()
    learner_id: int | None = None

    @classmethod
    def learner(cls, user_id):
        """One learner's own figures (a student's page about themselves)."""
        return cls(learner_id=user_id)

    @property
    def nobody(self):
        return not (self.everyone or self.branch_ids or self.teacher_id or self.class_ids or self.learner_id)

    def _people_parts(self, user_id):
        """Conditions on a user id column, one per kind of reach (their OR is the audience's people)."""
        parts = []
        if self.branch_ids:
            parts.append(user_id.in_(people_of(self.branch_ids)))
        if self.class_ids:
            parts.append(user_id.in_(students_of_classes(self.class_ids)))
        if self.learner_id is not None:
            parts.append(user_id == self.learner_id)
        return parts

    def people(self, user_id=LearnerCourse.user_id):
        """A condition on `user_id` (a column holding people's ids): the person is in the audience. For a
        teacher: a learner of one of their courses (enrolled now or before) or a student of their classes."""
        if self.everyone:
            return sa.true()
        parts = self._people_parts(user_id)
        if self.teacher_id is not None:
            learners = sa.select(LearnerCourse.user_id).where(
                LearnerCourse.course_id.in_(courses_taught_by(self.teacher_id))
            )
            parts.append(user_id.in_(learners))
        return sa.or_(*parts) if parts else sa.false()

    def enrollments(self, user_id=LearnerCourse.user_id, course_id=LearnerCourse.course_id):
        """A condition on an enrollment's (learner, course) columns: the audience sees that enrollment.
        `LearnerCourse`'s by default; `AnalyticsDay`'s course rows, or `quiz_attempts` joined to their
        quiz's course, work the same way."""
        if self.everyone:
            return sa.true()
        parts = self._people_parts(user_id)
        if self.teacher_id is not None:
            parts.append(course_id.in_(courses_taught_by(self.teacher_id)))
        return sa.or_(*parts) if parts else sa.false()

    def day_rows(self):
        """A condition on `AnalyticsDay`: a course row of an enrollment the audience sees, or a course-0 row
        (sign-ins) of one of its people."""
        if self.everyone:
            return sa.true()
        if self.teacher_id is None:
            # the people and their enrollments are the same condition on the person: one `IN (SELECT ...)` per
            # kind of reach, that the planner can drive from `ix_analytics_days_user_day`
            parts = self._people_parts(AnalyticsDay.user_id)
            return sa.or_(*parts) if parts else sa.false()
        return sa.or_(
            sa.and_(AnalyticsDay.course_id == NO_COURSE, self.people(AnalyticsDay.user_id)),
            sa.and_(
                AnalyticsDay.course_id != NO_COURSE, self.enrollments(AnalyticsDay.user_id, AnalyticsDay.course_id)
            ),
        )

    def day_rows_by_person(self):
        """`day_rows()` read through the people: for a teacher, the rows of their people (one `IN` over the union
        of who they are, that SQLite drives from `ix_analytics_days_user_day` in person order, so that the figures
        group by person without sorting) that are sign-ins or course rows of a visible enrollment. The same rows as
        `day_rows()` whenever the read model matches its sources: a course row of a taught course belongs to a
        learner of it, unless their enrollment was deleted behind the read model's back (then a rebuild removes
        the row too)."""
        if self.teacher_id is None:
            return self.day_rows()
        return sa.and_(
            AnalyticsDay.user_id.in_(self._people_ids()),
            sa.or_(
                AnalyticsDay.course_id == NO_COURSE,
                self.enrollments(AnalyticsDay.user_id, AnalyticsDay.course_id),
            ),
        )

    def day_row_parts(self):
        """`day_rows()` as disjoint conditions (their OR is `day_rows()`), each one that an index serves: for a
        teacher, the rows of the courses they teach; the other course rows of the people they reach otherwise
        (their classes' students, their branches' members); the sign-ins (course 0) of all their people."""
        if self.teacher_id is None:
            return [self.day_rows()]
        a = AnalyticsDay
        taught = courses_taught_by(self.teacher_id)
        parts = [a.course_id.in_(taught)]
        people_parts = self._people_parts(a.user_id)
        if people_parts:
            parts.append(sa.and_(a.course_id != NO_COURSE, a.course_id.not_in(taught), sa.or_(*people_parts)))
        # one `IN` over the union of who their people are, that the planner drives from `ix_analytics_days_user_day`
        parts.append(sa.and_(a.course_id == NO_COURSE, a.user_id.in_(self._people_ids())))
        return parts

    def _people_ids(self):
        """A select of the ids of the audience's people (not everyone): the union of each kind of reach."""
        parts = self._reached_people_parts()
        if self.teacher_id is not None:
            parts.append(
                sa.select(LearnerCourse.user_id).where(LearnerCourse.course_id.in_(courses_taught_by(self.teacher_id)))
            )
        return parts[0] if len(parts) == 1 else sa.union(*parts)

    def people_reached_otherwise(self):
        """A select of the ids of the people the audience reaches other than through the courses a teacher teaches
        (their classes' students, their branches' members, the learner), or None when there are none."""
        parts = self._reached_people_parts()
        if not parts:
            return None
        return parts[0] if len(parts) == 1 else sa.union(*parts)

    def _reached_people_parts(self):
        parts = []
        if self.branch_ids:
            parts.append(people_of(self.branch_ids))
        if self.class_ids:
            parts.append(students_of_classes(self.class_ids))
        if self.learner_id is not None:
            parts.append(sa.select(sa.literal(self.learner_id)))
        return parts


def audience_of(actor=current_actor):
    """Who `actor` sees in the analytics: built on its scope (the branches it manages, the classes it teaches)
    and the courses it teaches. An API key without an org-wide role sees nobody, like everywhere else."""
    scope = actor.scope
    if scope is None:
        return Audience()
    if scope.organization_wide:
        return Audience(everyone=True)
    # no teacher part for someone who teaches no course: one OR less in every figure's WHERE
    teacher_id = actor.id if actor.kind == "user" and teaches_any_course(actor.id) else None
    return Audience(branch_ids=frozenset(scope.branch_ids), teacher_id=teacher_id, class_ids=scope.taught_class_ids)
