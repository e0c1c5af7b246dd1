"""What other features may read of learning: who is enrolled where, how far they got, what they still need."""

import sqlalchemy as sa

from app.errors import PermissionDenied
from app.extensions import db
from blueprints.courses.models import Course, course_prerequisites
from blueprints.courses.queries import item_counts
from blueprints.learning.models import Enrollment, ItemProgress, ItemTime


def is_enrolled(course_id, user_id):
    """Whether this person takes the course now (an unenrollment keeps the row, not the access)."""
    return (
        db.session.scalar(
            sa.select(Enrollment.id).where(
                Enrollment.course_id == course_id, Enrollment.user_id == user_id, Enrollment.status == "active"
            )
        )
        is not None
    )


def enrolled_course_ids(user_id):
    """A select of the ids of the courses this person takes now (for `IN` conditions)."""
    return sa.select(Enrollment.course_id).where(Enrollment.user_id == user_id, Enrollment.status == "active")


def was_ever_taken(course_id):
    """Whether anyone ever enrolled in the course, unenrolled people included (their history is kept)."""
    return db.session.scalar(sa.select(sa.func.count(Enrollment.id)).where(Enrollment.course_id == course_id)) > 0


def enrollment_tallies(course_ids, people=None):
    """{course id: (active enrollments, completed ones)}, in one query; `people`: only these user ids (a
    select, e.g. the people of some branches)."""
    stmt = (
        sa.select(Enrollment.course_id, sa.func.count(), sa.func.count(Enrollment.completed_at))
        .where(Enrollment.course_id.in_(course_ids or [-1]), Enrollment.status == "active")
        .group_by(Enrollment.course_id)
    )
    if people is not None:
        stmt = stmt.where(Enrollment.user_id.in_(people))
    return {course_id: (enrolled, completed) for course_id, enrolled, completed in db.session.execute(stmt)}


def enrollments_with_records_of(item_ids):
    """How many enrollments hold a completion of, or time spent on, any of these items (one query)."""
    touched = sa.union(
        sa.select(ItemProgress.enrollment_id).where(ItemProgress.item_id.in_(item_ids)),
        sa.select(ItemTime.enrollment_id).where(ItemTime.item_id.in_(item_ids)),
    ).subquery()
    return db.session.scalar(sa.select(sa.func.count()).select_from(touched)) or 0


def missing_prerequisites(course_id, user_id):
    """Titles of the prerequisite courses this person has not completed."""
    completed = sa.select(Enrollment.course_id).where(
        Enrollment.user_id == user_id, Enrollment.completed_at.is_not(None)
    )
    return db.session.scalars(
        sa.select(Course.title)
        .join(course_prerequisites, course_prerequisites.c.prerequisite_id == Course.id)
        .where(course_prerequisites.c.course_id == course_id, Course.id.not_in(completed))
        .order_by(Course.title)
    ).all()


def refuse_unmet_prerequisites(course_id, user_id):
    """A learner who has not completed the course's prerequisites may not open its lessons yet (403)."""
    if missing := missing_prerequisites(course_id, user_id):
        raise PermissionDenied(
            f"Complete {', '.join(missing)} first.", {"prerequisites": missing}, code="PREREQUISITES_NOT_MET"
        )


def completed_course_ids(user_id, course_ids=None):
    """The ids of the courses this person has completed (among `course_ids` when given), in one query."""
    stmt = sa.select(Enrollment.course_id).where(Enrollment.user_id == user_id, Enrollment.completed_at.is_not(None))
    if course_ids is not None:
        stmt = stmt.where(Enrollment.course_id.in_(course_ids or [-1]))
    return set(db.session.scalars(stmt))


def completed_courses_of(user_ids, course_ids):
    """{user id: ids of the courses among `course_ids` they completed} of many people, in one query."""
    found = {}
    rows = db.session.execute(
        sa.select(Enrollment.user_id, Enrollment.course_id).where(
            Enrollment.user_id.in_(user_ids or [-1]),
            Enrollment.course_id.in_(course_ids or [-1]),
            Enrollment.completed_at.is_not(None),
        )
    )
    for user_id, course_id in rows:
        found.setdefault(user_id, set()).add(course_id)
    return found


def enrolled_people(course_id):
    """A select of the ids of the people who took this course (enrolled now, or completed it and left), for
    `IN` conditions."""
    return sa.select(Enrollment.user_id).where(
        Enrollment.course_id == course_id, sa.or_(Enrollment.status == "active", Enrollment.completed_at.is_not(None))
    )


def completed_at(course_id, user_id):
    """When this person completed the course (their enrollment's completion), or None."""
    return db.session.scalar(
        sa.select(Enrollment.completed_at).where(Enrollment.course_id == course_id, Enrollment.user_id == user_id)
    )


def learners_of(course_ids):
    """A select of the ids of the people enrolled now in these courses (ids, or a select of ids), for `IN`
    conditions: whom an announcement to a course reaches."""
    ids = course_ids if isinstance(course_ids, sa.Select) else list(course_ids) or [-1]
    return sa.select(Enrollment.user_id).where(Enrollment.course_id.in_(ids), Enrollment.status == "active")


def due_at_of(course_id, user_id):
    """When this person's enrollment in the course is due (None: no due date, or not enrolled)."""
    return db.session.scalar(
        sa.select(Enrollment.due_at).where(Enrollment.course_id == course_id, Enrollment.user_id == user_id)
    )


def open_enrollments_due(after, before):
    """The active, unfinished enrollments due in [after, before), in one query: rows of (id, user_id, course_id,
    course_title, due_at, percent done of the course's items), soonest first (issue 15's reminders)."""
    items = item_counts().subquery()
    done = (
        sa.select(ItemProgress.enrollment_id, sa.func.count(ItemProgress.id).label("done"))
        .join(Enrollment, Enrollment.id == ItemProgress.enrollment_id)
        .where(Enrollment.due_at >= after, Enrollment.due_at < before, Enrollment.completed_at.is_(None))
        .group_by(ItemProgress.enrollment_id)
        .subquery()
    )
    total = sa.func.coalesce(items.c.item_count, 0)
    percent = sa.case((total > 0, sa.func.coalesce(done.c.done, 0) * 100 / total), else_=0)
    return db.session.execute(
        sa.select(
            Enrollment.id,
            Enrollment.user_id,
            Enrollment.course_id,
            Course.title.label("course_title"),
            Enrollment.due_at,
            percent.label("percent_done"),
        )
        .join(Course, Course.id == Enrollment.course_id)
        .outerjoin(items, items.c.course_id == Enrollment.course_id)
        .outerjoin(done, done.c.enrollment_id == Enrollment.id)
        .where(
            Enrollment.status == "active",
            Enrollment.completed_at.is_(None),
            Enrollment.due_at >= after,
            Enrollment.due_at < before,
        )
        .order_by(Enrollment.due_at, Enrollment.id)
    ).all()
