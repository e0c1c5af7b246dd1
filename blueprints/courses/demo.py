"""The courses feature's part of the demo: a published course with text, a video and a cover."""

import io
from pathlib import Path

import sqlalchemy as sa
from flask import current_app
from PIL import Image
from werkzeug.datastructures import FileStorage

from app.extensions import db
from blueprints.courses.content import add_item, new_version
from blueprints.courses.covers import set_cover
from blueprints.courses.media import upload
from blueprints.courses.models import Course, CourseStatus, course_teachers
from blueprints.users.services import find_user_by_email, principal_for_user

DEMO_LESSONS = [
    (
        "text",
        "Welcome",
        "<p>Welcome to Demo Academy. This short course shows how lessons, progress and resuming work.</p>",
    ),
    (
        "text",
        "Finding your way",
        "<p>Your courses are under <strong>My learning</strong>; the catalogue lists the rest.</p>",
    ),
    ("video", "A short video", ""),  # the file below; watching 90 % of it completes the lesson
    ("text", "Finishing", "<p>Mark this lesson complete to finish the course.</p>"),
]
DEMO_VIDEO = ("assets", "demo-lesson.webm")  # under the app package, where the tests find it too


def seed_course(_password):
    """A published course taught by the demo teacher (the learning part enrolls a class)."""
    if db.session.scalar(sa.select(Course.id).where(Course.slug == "getting-started")):
        return
    teacher = find_user_by_email("teacher@demo.example")
    acting = principal_for_user(teacher.id)
    course = Course(
        title="Getting started",
        slug="getting-started",
        summary="A tour of Tessera in four short lessons.",
        status=CourseStatus.PUBLISHED,
        created_by_id=teacher.id,
        estimated_minutes=10,
        due_days=14,
    )
    db.session.add(course)
    db.session.flush()
    db.session.execute(sa.insert(course_teachers).values(course_id=course.id, user_id=teacher.id))
    db.session.commit()
    module_id, items = None, {}
    for kind, title, body in DEMO_LESSONS:
        where = {"module_id": module_id} if module_id else {"module_title": "Start here"}
        item = items[title] = add_item(course, {"kind": kind, "title": title, "body": body, **where}, acting)
        module_id = item.module_id
        if kind == "video":
            video = Path(current_app.root_path, *DEMO_VIDEO)
            with video.open("rb") as stream:
                upload(item, FileStorage(stream, filename=video.name), acting)
    # A revision the teacher has not published yet: the course page marks it "draft", the item page compares it.
    new_version(
        items["Finding your way"],
        "<p>Your courses are under <strong>My learning</strong>, due soonest first; the <em>catalogue</em> "
        "lists the courses you may join yourself.</p>",
        "Clearer wording",
        acting,
        publish=False,
    )
    set_cover(course, _demo_cover())
    yield "created course Getting started"


def seed_open_course(_password):
    """A short published course anyone may join (and leave) from the catalogue."""
    if db.session.scalar(sa.select(Course.id).where(Course.slug == "study-skills")):
        return
    teacher = find_user_by_email("teacher@demo.example")
    course = Course(
        title="Study skills",
        slug="study-skills",
        summary="Two short lessons on learning well. Join it from the catalogue; leave it when you like.",
        status=CourseStatus.PUBLISHED,
        self_enrollment=True,
        created_by_id=teacher.id,
        estimated_minutes=5,
    )
    db.session.add(course)
    db.session.flush()
    db.session.execute(sa.insert(course_teachers).values(course_id=course.id, user_id=teacher.id))
    db.session.commit()
    acting, module_id = principal_for_user(teacher.id), None
    for title, body in (
        ("Plan your week", "<p>Block two short sessions a day rather than one long one.</p>"),
        ("Test yourself", "<p>Recalling what you read beats reading it again. Finish this to end the course.</p>"),
    ):
        where = {"module_id": module_id} if module_id else {"module_title": "Habits"}
        module_id = add_item(course, {"kind": "text", "title": title, "body": body, **where}, acting).module_id
    yield "created course Study skills"


def _demo_cover():
    """A calm two-colour gradient, drawn here rather than shipped as a binary."""
    ramp = Image.linear_gradient("L").rotate(90).resize((1600, 900))
    picture = Image.composite(Image.new("RGB", ramp.size, "#1d4ed8"), Image.new("RGB", ramp.size, "#0f766e"), ramp)
    out = io.BytesIO()
    picture.save(out, "PNG")
    out.seek(0)
    return out
