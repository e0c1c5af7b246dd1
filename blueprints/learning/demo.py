"""The learning feature's part of the demo: the Algebra 1 class takes the demo course."""

import sqlalchemy as sa

from app.extensions import db
from blueprints.classes.models import SchoolClass
from blueprints.courses.models import Course, course_classes
from blueprints.learning.services import enroll_class

DEMO_COURSE_CLASS = ("getting-started", "Algebra 1")


def seed_enrollments(_password):
    slug, class_name = DEMO_COURSE_CLASS
    course = db.session.scalar(sa.select(Course).where(Course.slug == slug))
    class_id = db.session.scalar(sa.select(SchoolClass.id).where(SchoolClass.name == class_name))
    linked = db.session.execute(
        sa.select(course_classes).where(course_classes.c.course_id == course.id, course_classes.c.class_id == class_id)
    ).first()
    if not linked:
        created = enroll_class(course, class_id)
        yield f"enrolled {class_name} in {course.title} ({created} students)"
