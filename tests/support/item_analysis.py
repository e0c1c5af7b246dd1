"""Quizzes with graded attempts for the item analysis tests, made straight from the models.

The statistics read what attempts leave behind (QuizAttempt, AttemptQuestion); building those rows directly
keeps these tests about the figures, independent of how the player gets there.
"""

import uuid
from dataclasses import dataclass, field

from app.extensions import db
from app.tenancy.context import tenant_context
from blueprints.assessments.models import (
    AttemptQuestion,
    AttemptStatus,
    Question,
    QuestionKind,
    QuestionVersion,
    Quiz,
    QuizAttempt,
    QuizSlot,
)
from blueprints.courses.models import Course
from tests.conftest import make_user

SINGLE_ABC = {
    "options": [
        {"id": "a", "text": "Paris", "correct": True},
        {"id": "b", "text": "Lyon", "correct": False},
        {"id": "c", "text": "Nice", "correct": False},
    ]
}
TRUE_FALSE_FALSE = {"answer": False}
NUMERIC_TWO = {"answers": [{"value": 2.0, "tolerance": 0.0, "tolerance_kind": "absolute", "fraction": 1.0}]}
MULTIPLE_ABCD = {
    "options": [
        {"id": "a", "text": "2", "correct": True},
        {"id": "b", "text": "3", "correct": True},
        {"id": "c", "text": "4", "correct": False},
        {"id": "d", "text": "9", "correct": False},
    ],
    "scoring": "partial",
}


@dataclass
class QuizRows:
    course_id: int
    quiz_id: int
    questions: list[int]  # question ids in slot order
    versions: dict[int, list[int]] = field(default_factory=dict)  # question id -> version ids, oldest first
    points: dict[int, float] = field(default_factory=dict)


def make_course(title="Item analysis"):
    course = Course(title=title, slug=f"course-{uuid.uuid4().hex[:10]}", status="published")
    db.session.add(course)
    db.session.flush()
    return course.id


def make_quiz(app, tenant, questions, course_id=None, title="Capitals"):
    """A quiz with a fixed slot per question: `questions` is [(title, kind, spec, points)]."""
    with tenant_context(tenant, app):
        course_id = course_id or make_course()
        quiz = Quiz(course_id=course_id, title=title, published=True)
        db.session.add(quiz)
        db.session.flush()
        rows = QuizRows(course_id=course_id, quiz_id=quiz.id, questions=[])
        for position, (question_title, kind, spec, points) in enumerate(questions):
            question_id = add_question(course_id, question_title, kind, spec, points)
            db.session.add(QuizSlot(quiz_id=quiz.id, position=position, question_id=question_id, points=points))
            rows.questions.append(question_id)
            rows.versions[question_id] = [_version_ids(question_id)[-1]]
            rows.points[question_id] = points
        db.session.commit()
        return rows


def add_question(course_id, title, kind, spec, points=1.0):
    question = Question(course_id=course_id, kind=kind, title=title, current_version=1)
    db.session.add(question)
    db.session.flush()
    db.session.add(
        QuestionVersion(
            question_id=question.id, number=1, stem_html=f"<p>{title}</p>", spec=spec, default_points=points
        )
    )
    db.session.flush()
    return question.id


def add_version(app, tenant, rows, question_id, spec):
    """A new version of the question (what an edit in the bank leaves), now the current one."""
    with tenant_context(tenant, app):
        question = db.session.get(Question, question_id)
        question.current_version += 1
        version = QuestionVersion(
            question_id=question_id, number=question.current_version, stem_html="<p>Edited</p>", spec=spec
        )
        db.session.add(version)
        db.session.commit()
        rows.versions[question_id].append(version.id)
        return version.id


def _version_ids(question_id):
    return [
        version.id
        for version in db.session.query(QuestionVersion)
        .filter_by(question_id=question_id)
        .order_by(QuestionVersion.number)
    ]


def make_learners(app, tenant, count):
    return [
        make_user(app, tenant, "student", email=f"learner-{uuid.uuid4().hex[:8]}@example.org") for _ in range(count)
    ]


def add_attempt(app, tenant, rows, user_id, answers, number=1, status=AttemptStatus.GRADED, versions=None):
    """An attempt of `user_id` with `answers`: per question of the quiz, (response, fraction) or None for a question
    it did not get (a random draw). `versions` picks a version id per question (default: its first one)."""
    with tenant_context(tenant, app):
        attempt = QuizAttempt(
            quiz_id=rows.quiz_id, user_id=user_id, number=number, status=status, seed=user_id * 100 + number
        )
        db.session.add(attempt)
        db.session.flush()
        score = max_score = 0.0
        position = 0
        for question_id, answer in zip(rows.questions, answers, strict=True):
            if answer is None:
                continue
            response, fraction = answer
            points = rows.points[question_id]
            graded = status == AttemptStatus.GRADED
            db.session.add(
                AttemptQuestion(
                    attempt_id=attempt.id,
                    position=position,
                    question_id=question_id,
                    version_id=(versions or {}).get(question_id, rows.versions[question_id][0]),
                    points=points,
                    response=response,
                    fraction=fraction if graded else None,
                    score=fraction * points if graded else None,
                )
            )
            position += 1
            score += fraction * points
            max_score += points
        if status == AttemptStatus.GRADED:
            attempt.score, attempt.max_score, attempt.percent = score, max_score, 100 * score / max_score
            attempt.passed = attempt.percent >= 50
        db.session.commit()
        return attempt.id


HAND_WORKED = [  # tests/assessments/test_statistics.py works these figures out by hand
    ({"choice": "a"}, 1.0, {"value": True}, 0.0, {"value": "2"}, 1.0),
    ({"choice": "a"}, 1.0, {"value": True}, 0.0, {"value": "2"}, 1.0),
    ({"choice": "b"}, 0.0, {"value": False}, 1.0, {"value": "1"}, 0.5),
    ({"choice": "c"}, 0.0, {"value": False}, 1.0, {"value": "7"}, 0.0),
    ({"choice": "a"}, 1.0, {"value": False}, 1.0, {"value": "2.0"}, 1.0),
]


def hand_worked_quiz(app, tenant):
    """The five learners and three questions of the statistics unit tests, as stored attempts."""
    rows = make_quiz(
        app,
        tenant,
        [
            ("Capital of France", QuestionKind.SINGLE, SINGLE_ABC, 1.0),
            ("The Moon is a planet", QuestionKind.TRUE_FALSE, TRUE_FALSE_FALSE, 1.0),
            ("One plus one", QuestionKind.NUMERIC, NUMERIC_TWO, 2.0),
        ],
    )
    learners = make_learners(app, tenant, len(HAND_WORKED))
    attempts = [
        add_attempt(app, tenant, rows, learner, [(r1, f1), (r2, f2), (r3, f3)])
        for learner, (r1, f1, r2, f2, r3, f3) in zip(learners, HAND_WORKED, strict=True)
    ]
    return rows, learners, attempts
