"""What other features may read of courses: who teaches what, which courses exist, their titles and sizes."""

import sqlalchemy as sa

from app.extensions import db
from blueprints.courses.models import ContentItem, Course, course_teachers


def courses_taught_by(user_id):
    """A select of the ids of the courses this person is a teacher of (for `IN` conditions)."""
    return sa.select(course_teachers.c.course_id).where(course_teachers.c.user_id == user_id)


def teaches_any_course(user_id):
    """Whether this person teaches at least one course (one indexed lookup)."""
    return bool(db.session.scalar(sa.select(courses_taught_by(user_id).exists())))


def item_counts():
    """A select of (course_id, item_count): how many content items each course with any has (a subquery to join)."""
    return sa.select(ContentItem.course_id, sa.func.count(ContentItem.id).label("item_count")).group_by(
        ContentItem.course_id
    )


def item_count_of(course_id):
    """How many content items the course `course_id` (a column or a value) has: a scalar subquery, correlated to
    the column's table (one lookup of the items' course index per row)."""
    return sa.select(sa.func.count(ContentItem.id)).where(ContentItem.course_id == course_id).scalar_subquery()


def course_titles(course_ids):
    """{course id: title} of these courses (one query)."""
    rows = db.session.execute(sa.select(Course.id, Course.title).where(Course.id.in_(course_ids or [-1])))
    return dict(rows.all())
