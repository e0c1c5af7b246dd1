"""Quizzes to take, made straight from the models (until the bank and quiz parts' services are in main), and
one question of every kind with its key, so tests can look for the key's texts in what a learner gets."""

from datetime import timedelta

import sqlalchemy as sa

from app.extensions import db
from app.security.actor import Actor
from app.tenancy.context import tenant_context
from app.tenancy.models import utcnow
from blueprints.assessments import bank, quizzes
from blueprints.assessments.attempts import save_answer, start_attempt, submit_attempt
from blueprints.assessments.models import Question, QuestionVersion, Quiz, QuizSlot, question_tags
from blueprints.users.services import principal_for_user
from tests.support.courses import make_course

# One question of each kind. Every key text is distinctive ("Kx..."), so a test can assert none of them
# reaches a page or a response before review.
EVERY_KIND = {
    "single_choice": {
        "stem": "<p>Which planet is red?</p>",
        "spec": {
            "options": [
                {"id": "a", "text": "Mars", "correct": True, "feedback": "Kfeedback-mars"},
                {"id": "b", "text": "Venus", "correct": False, "feedback": "Kfeedback-venus"},
            ]
        },
        "right": {"choice": "a"},
        "wrong": {"choice": "b"},
    },
    "multiple_choice": {
        "stem": "<p>Which are prime?</p>",
        "spec": {
            "options": [
                {"id": "a", "text": "2", "correct": True},
                {"id": "b", "text": "3", "correct": True},
                {"id": "c", "text": "4", "correct": False, "feedback": "Kfeedback-four"},
            ],
            "scoring": "partial",
        },
        "right": {"choices": ["a", "b"]},
        "wrong": {"choices": ["c"]},
    },
    "true_false": {
        "stem": "<p>The sky is green.</p>",
        "spec": {"answer": False, "feedback_true": "Kfeedback-true", "feedback_false": "Kfeedback-false"},
        "right": {"value": False},
        "wrong": {"value": True},
    },
    "short_answer": {
        "stem": "<p>Capital of France?</p>",
        "spec": {"answers": [{"text": "Kparis", "match": "case_insensitive", "fraction": 1.0}]},
        "right": {"text": "KPARIS"},
        "wrong": {"text": "Lyon"},
    },
    "numeric": {
        "stem": "<p>Pi to two places?</p>",
        "spec": {"answers": [{"value": 3.14159, "tolerance": 0.005, "tolerance_kind": "absolute", "fraction": 1.0}]},
        "right": {"value": "3,14"},
        "wrong": {"value": "3"},
    },
    "ordering": {
        "stem": "<p>Smallest first.</p>",
        "spec": {
            "items": [{"id": "x", "text": "one"}, {"id": "y", "text": "two"}, {"id": "z", "text": "three"}],
            "scoring": "partial",
        },
        "right": {"order": ["x", "y", "z"]},
        "wrong": {"order": ["y", "z", "x"]},
    },
    "matching": {
        "stem": "<p>Match the capitals.</p>",
        "spec": {
            "pairs": [
                {"id": "p1", "prompt": "Italy", "answer": "Rome"},
                {"id": "p2", "prompt": "Spain", "answer": "Madrid"},
            ],
            "distractors": ["Oslo"],
            "scoring": "partial",
        },
        "right": {"matches": {"p1": "Rome", "p2": "Madrid"}},
        "wrong": {"matches": {"p1": "Oslo", "p2": "Rome"}},
    },
    "fill_blanks": {
        "stem": "<p>Water boils at [[t]] degrees and freezes at [[f]].</p>",
        "spec": {
            "blanks": [
                {"id": "t", "answers": [{"text": "K100", "match": "exact", "fraction": 1.0}]},
                {"id": "f", "answers": [{"text": "K0", "match": "exact", "fraction": 1.0}]},
            ]
        },
        "right": {"blanks": {"t": "K100", "f": "K0"}},
        "wrong": {"blanks": {"t": "90", "f": "5"}},
    },
    "essay": {
        "stem": "<p>Why is the sky blue?</p>",
        "spec": {"min_words": None, "max_words": 200, "grader_info": "Kgrader-rayleigh"},
        "right": {"text": "Rayleigh scattering of sunlight."},
        "wrong": {"text": "Paint."},
    },
}
# What the learner must never see before review (texts of the keys above that are not option texts).
KEY_TEXTS = (
    "Kfeedback-mars",
    "Kfeedback-venus",
    "Kfeedback-four",
    "Kfeedback-true",
    "Kfeedback-false",
    "Kparis",
    "3.14159",
    "K100",
    "K0",
    "Kgrader-rayleigh",
    "Kgeneral",
    '"correct"',
    '"fraction"',
    'Madrid": ',
)


def add_question(kind, course_id=None, title=None, tags=(), spec=None, stem=None, points=1.0):
    """A question with one version, made in the current tenant (call inside tenant_context)."""
    sample = EVERY_KIND[kind]
    question = Question(course_id=course_id, kind=kind, title=title or f"{kind} question", current_version=1)
    db.session.add(question)
    db.session.flush()
    db.session.add(
        QuestionVersion(
            question_id=question.id,
            number=1,
            stem_html=stem or sample["stem"],
            general_feedback_html="<p>Kgeneral</p>",
            default_points=points,
            spec=spec or sample["spec"],
        )
    )
    for tag in tags:
        db.session.execute(sa.insert(question_tags).values(question_id=question.id, tag=tag))
    return question


def add_quiz(course_id, question_ids=(), draws=(), item_id=None, **settings):
    """A published quiz with fixed questions (1 point each unless the question says) and draws (tag, count)."""
    quiz = Quiz(course_id=course_id, title=settings.pop("title", "Check-up"), item_id=item_id, published=True)
    for name, value in settings.items():
        setattr(quiz, name, value)
    db.session.add(quiz)
    db.session.flush()
    position = 0
    for question_id in question_ids:
        position += 1
        db.session.add(QuizSlot(quiz_id=quiz.id, position=position, question_id=question_id))
    for tag, count in draws:
        position += 1
        db.session.add(QuizSlot(quiz_id=quiz.id, position=position, draw_tag=tag, draw_count=count))
    db.session.flush()
    return quiz


def quiz_of_every_kind(app, tenant, course_id, **settings):
    """A quiz with one question of each kind, in the kinds' order; returns (quiz id, {kind: question id})."""
    with tenant_context(tenant, app):
        questions = {kind: add_question(kind, course_id).id for kind in EVERY_KIND}
        quiz = add_quiz(course_id, list(questions.values()), **settings)
        db.session.commit()
        return quiz.id, questions


def make_quiz(app, tenant, course_id, kinds=("single_choice", "true_false"), **settings):
    """A quiz of these kinds, committed; returns its id."""
    with tenant_context(tenant, app):
        ids = [add_question(kind, course_id).id for kind in kinds]
        quiz = add_quiz(course_id, ids, **settings)
        db.session.commit()
        return quiz.id


def set_quiz(app, tenant, quiz_id, **settings):
    with tenant_context(tenant, app):
        quiz = db.session.get(Quiz, quiz_id)
        for name, value in settings.items():
            setattr(quiz, name, value)
        db.session.commit()


def past(**delta):
    return utcnow() - timedelta(**delta)


def future(**delta):
    return utcnow() + timedelta(**delta)


def answers_for(attempt, which="right"):
    """{position: response} for each question of an attempt (its JSON), right or wrong, by the question's kind
    and stem (the attempt shows no key, so the test finds the sample by its stem)."""
    by_stem = {sample["stem"]: sample for sample in EVERY_KIND.values()}
    return {q["position"]: by_stem[q["stem_html"]][which] for q in attempt["questions"]}


def enrolled_course(school, students=None, items=1):
    """A published course of the school's teacher with these students (default: all three) enrolled."""
    course_id, item_ids = make_course(school["teacher"], items=items)
    enrolled = school["teacher"].post(
        f"/api/v1/courses/{course_id}/enrollments", json={"user_ids": students or school["students"]}
    )
    assert enrolled.status_code in (200, 201), enrolled.get_json()
    return course_id, item_ids


def demo_attempt_ids(course_id, student_id):
    """A quiz of the demo course (the first one, or one made here of every kind) and the demo student's open
    attempt at it: the crawler's `quiz_id` and `attempt_id`. Inside the demo tenant."""
    quiz = db.session.scalar(sa.select(Quiz).where(Quiz.course_id == course_id, Quiz.published).order_by(Quiz.id))
    if quiz is None:
        quiz = add_quiz(course_id, [add_question(kind, course_id).id for kind in EVERY_KIND], time_limit_minutes=60)
        db.session.commit()
    attempt = start_attempt(quiz.id, actor=Actor(principal_for_user(student_id)))
    return {"quiz_id": quiz.id, "attempt_id": attempt.id}


ESSAY_SPEC = {"min_words": None, "max_words": 200, "grader_info": "Mention scattering."}
CHOICE_SPEC = EVERY_KIND["single_choice"]["spec"]
# The same question with its key turned round: a regrade with the current version changes every grade.
CHOICE_SPEC_FIXED = {"options": [{**option, "correct": not option["correct"]} for option in CHOICE_SPEC["options"]]}


def seed_attempts(acting_admin, courses, learners):
    """The escalation matrix's attempts (inside the tenant), per course key ("c1" -> suffix "1", "c_org" ->
    "_org"): a published exam `exam<suffix>` of an essay (position 1) and a single-choice question
    (`exam<suffix>_choice`, position 2); its learner (`learners[key]`) has a submitted attempt
    `essay<suffix>` (the essay awaiting a grade, the choice answered "a") and an open one `open<suffix>`. The
    choice question then gets a second version with its key turned round, so a regrade with the current
    version changes the submitted attempt. Returns the ids."""
    admin, ids = Actor(acting_admin), {}
    for key, course in courses.items():
        suffix = key[1:]
        essay = bank.create_question(
            course.id, "essay", f"Essay of {course.title}", "<p>Why is the sky blue?</p>", ESSAY_SPEC, actor=admin
        )
        choice = bank.create_question(
            course.id,
            "single_choice",
            f"Choice of {course.title}",
            "<p>Which planet is red?</p>",
            CHOICE_SPEC,
            actor=admin,
        )
        exam = quizzes.create_quiz(course.id, title=f"Exam of {course.title}", actor=admin)
        quizzes.set_slots(exam.id, [{"question_id": essay.id}, {"question_id": choice.id}], actor=admin)
        quizzes.update_quiz(exam.id, published=True, actor=admin)
        learner = Actor(principal_for_user(learners[key]))
        submitted = start_attempt(exam.id, actor=learner)
        save_answer(submitted.id, 1, {"text": "Light scatters."}, actor=learner)
        submit_attempt(submitted.id, actor=learner, answers={2: {"choice": "a"}})
        opened = start_attempt(exam.id, actor=learner)
        bank.update_question(choice.id, spec=CHOICE_SPEC_FIXED, change_note="key fixed", actor=admin)
        ids.update(
            {
                f"exam{suffix}": exam.id,
                f"exam{suffix}_choice": choice.id,
                f"essay{suffix}": submitted.id,
                f"open{suffix}": opened.id,
            }
        )
    return ids
