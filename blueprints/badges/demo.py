"""The badges feature's part of the demo: "Getting started" gives a badge when completed, the organization
gives one for passing the course's quiz (both earned by the demo student, automatically, as they finish the
course), and a hand-given badge shows what a held award looks like (Sasha holds it)."""

import sqlalchemy as sa

from app.extensions import db
from app.security.actor import Actor
from blueprints.assessments.models import Quiz
from blueprints.badges import awards, badges
from blueprints.badges.models import Badge
from blueprints.courses.models import Course
from blueprints.users.services import find_user_by_email, principal_for_user

DEMO_COURSE = "getting-started"
COMPLETED = "Getting started: completed"
QUIZ_PASSED = "Quiz champion"
HELPFUL = "Helpful classmate"


def seed_badges(_password):
    """The demo's badges (idempotent)."""
    course = db.session.scalar(sa.select(Course).where(Course.slug == DEMO_COURSE))
    if course is None or db.session.scalar(sa.select(Badge.id).where(Badge.name == COMPLETED)):
        return
    teacher = Actor(principal_for_user(find_user_by_email("teacher@demo.example").id))
    admin = Actor(principal_for_user(find_user_by_email("admin@demo.example").id))
    badges.create_badge(
        {
            "name": COMPLETED,
            "description": "Finished the tour of Tessera, every lesson and the quiz.",
            "course_id": course.id,
            "status": "active",
            "criteria_strategy": "course_completed",
            "colour": "#0f766e",
            "accent": "#fbbf24",
            "initials": "GS",
        },
        actor=teacher,
    )
    yield f"created badge {COMPLETED} (complete {course.title})"
    quiz = db.session.scalar(sa.select(Quiz).where(Quiz.course_id == course.id).order_by(Quiz.id))
    if quiz is not None:
        badges.create_badge(
            {
                "name": QUIZ_PASSED,
                "description": "Passed the tour's quiz.",
                "status": "active",
                "criteria_strategy": "assessment_passed",
                "criteria": {"quiz_id": quiz.id},
                "colour": "#7c2d12",
                "accent": "#fde68a",
                "valid_months": 24,
            },
            actor=admin,
        )
        yield f"created organization badge {QUIZ_PASSED} (pass {quiz.title})"
    helpful = badges.create_badge(
        {
            "name": HELPFUL,
            "description": "Helped a classmate find their way.",
            "status": "active",
            "criteria_strategy": "manual",
            "colour": "#1d4ed8",
            "accent": "#f59e0b",
        },
        actor=admin,
    )
    sasha = find_user_by_email("student2@demo.example")
    if sasha is not None:
        awards.award_by_hand(helpful.id, sasha.id, "Showed Sam the catalogue.", actor=admin)
        yield f"gave {HELPFUL} to {sasha.email}"
