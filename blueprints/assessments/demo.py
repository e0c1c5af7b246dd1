"""The assessments feature's part of the demo: "Getting started" ends with a real, published quiz of six questions
of several kinds, made by its teacher through the bank and the quiz services; passing it completes its item."""

import sqlalchemy as sa

from app.extensions import db
from app.security.actor import Actor
from blueprints.assessments import bank, quizzes
from blueprints.assessments.models import Quiz
from blueprints.courses.models import Course
from blueprints.users.services import find_user_by_email, principal_for_user

DEMO_COURSE = "getting-started"
DEMO_QUIZ = "Check what you learned"
DEMO_TAG = "tour"

QUESTIONS = [
    (
        "single_choice",
        "Where are your courses?",
        "<p>Where do you find the courses you are enrolled in?</p>",
        {
            "options": [
                {"id": "a", "text": "My learning", "correct": True, "feedback": "Yes: due soonest first."},
                {"id": "b", "text": "Settings", "correct": False, "feedback": "Settings are the organization's."},
                {"id": "c", "text": "The API documentation", "correct": False, "feedback": ""},
            ]
        },
        "",
    ),
    (
        "multiple_choice",
        "What resumes where you left off?",
        "<p>Which of these pick up where you stopped? Choose all that apply.</p>",
        {
            "options": [
                {"id": "a", "text": "A lesson you were reading", "correct": True, "feedback": ""},
                {"id": "b", "text": "A quiz attempt you started", "correct": True, "feedback": ""},
                {"id": "c", "text": "A course you left yourself, once you join again", "correct": True, "feedback": ""},
                {"id": "d", "text": "A deleted course", "correct": False, "feedback": "Deleted is gone."},
            ],
            "scoring": "partial",
        },
        "",
    ),
    (
        "true_false",
        "Marking an assessment complete",
        "<p>You can mark an assessment complete yourself, like a lesson.</p>",
        {"answer": False, "feedback_true": "", "feedback_false": "Right: passing it completes it."},
        "",
    ),
    (
        "short_answer",
        "The page of all courses",
        "<p>What is the page that lists the courses you may join yourself called?</p>",
        {"answers": [{"text": "catalogue", "match": "case_insensitive", "fraction": 1.0, "feedback": ""}]},
        "<p>The catalogue is in the menu for learners.</p>",
    ),
    (
        "numeric",
        "Lessons in this course",
        "<p>How many lessons came before this quiz in <em>Getting started</em>?</p>",
        {"answers": [{"value": 4, "tolerance": 0, "tolerance_kind": "absolute", "fraction": 1.0, "feedback": ""}]},
        "",
    ),
    (
        "ordering",
        "Order of a quiz",
        "<p>Put the steps of taking a quiz in order.</p>",
        {
            "items": [
                {"id": "a", "text": "Start the attempt"},
                {"id": "b", "text": "Answer (each answer is saved as you go)"},
                {"id": "c", "text": "Submit"},
                {"id": "d", "text": "See your result"},
            ],
            "scoring": "partial",
        },
        "",
    ),
]


def seed_quiz(_password):
    """The demo course's quiz (idempotent): six bank questions tagged "tour", four fixed and two drawn at random."""
    course = db.session.scalar(sa.select(Course).where(Course.slug == DEMO_COURSE))
    if course is None or db.session.scalar(sa.select(Quiz.id).where(Quiz.course_id == course.id)):
        return
    teacher = Actor(principal_for_user(find_user_by_email("teacher@demo.example").id))
    question_ids = [
        bank.create_question(
            course.id, kind, title, stem, spec, tags=(DEMO_TAG,), general_feedback_html=feedback, actor=teacher
        ).id
        for kind, title, stem, spec, feedback in QUESTIONS
    ]
    quiz = quizzes.create_quiz(
        course.id,
        title=DEMO_QUIZ,
        description="<p>Six short questions on the tour. Pass with 60 % to complete the course's last step.</p>",
        module_title="Check yourself",
        time_limit_minutes=10,
        attempts_allowed=3,
        pass_percent=60,
        shuffle_options=True,
        review_answers="immediately",
        actor=teacher,
    )
    fixed = [{"question_id": question_id} for question_id in question_ids[:4]]
    quizzes.set_slots(quiz.id, [*fixed, {"draw_tag": DEMO_TAG, "draw_count": 2, "points": 1.0}], actor=teacher)
    quizzes.update_quiz(quiz.id, published=True, actor=teacher)
    yield f"created quiz {DEMO_QUIZ} in {course.title} ({len(question_ids)} questions)"
