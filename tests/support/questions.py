"""Questions for tests: a valid question of every kind, and rows made straight from the models."""

import copy
from contextlib import contextmanager

from app.extensions import db
from app.security.actor import Actor
from app.tenancy.context import tenant_context
from app.tenancy.models import utcnow
from blueprints.assessments import bank
from blueprints.assessments.models import Question, QuestionVersion, question_tags
from blueprints.users.services import find_user_by_email, principal_for_user

SAMPLES = {
    "single_choice": (
        "<p>Capital of France?</p>",
        {
            "options": [
                {"id": "a", "text": "Paris", "correct": True, "feedback": "Yes."},
                {"id": "b", "text": "Lyon", "correct": False, "feedback": "No, that is a city."},
                {"id": "c", "text": "Nice", "correct": False},
            ]
        },
    ),
    "multiple_choice": (
        "<p>Which are primes?</p>",
        {
            "options": [
                {"id": "a", "text": "2", "correct": True},
                {"id": "b", "text": "3", "correct": True},
                {"id": "c", "text": "4", "correct": False},
            ],
            "scoring": "partial",
        },
    ),
    "true_false": ("<p>Water boils at 100 °C at sea level.</p>", {"answer": True, "feedback_false": "It does."}),
    "short_answer": (
        "<p>Name the largest planet.</p>",
        {
            "answers": [
                {"text": "Jupiter", "match": "case_insensitive", "fraction": 1.0, "feedback": "Right."},
                {"text": "J[uo]piter", "match": "regex", "fraction": 0.5},
            ]
        },
    ),
    "numeric": (
        "<p>Value of pi to two decimals?</p>",
        {"answers": [{"value": 3.14, "tolerance": 0.01, "tolerance_kind": "absolute", "fraction": 1.0}]},
    ),
    "ordering": (
        "<p>Order by size, smallest first.</p>",
        {
            "items": [{"id": "a", "text": "Mouse"}, {"id": "b", "text": "Dog"}, {"id": "c", "text": "Horse"}],
            "scoring": "partial",
        },
    ),
    "matching": (
        "<p>Match the capitals.</p>",
        {
            "pairs": [
                {"id": "p1", "prompt": "France", "answer": "Paris"},
                {"id": "p2", "prompt": "Italy", "answer": "Rome"},
            ],
            "distractors": ["Madrid"],
            "scoring": "partial",
        },
    ),
    "fill_blanks": (
        "<p>The [[1]] is red and the [[2]] is blue.</p>",
        {
            "blanks": [
                {"id": "1", "answers": [{"text": "rose", "match": "case_insensitive", "fraction": 1.0}]},
                {"id": "2", "answers": [{"text": "sky", "match": "exact", "fraction": 1.0}]},
            ]
        },
    ),
    "essay": ("<p>Explain photosynthesis.</p>", {"min_words": 20, "max_words": 300, "grader_info": "Mention light."}),
}


def sample(kind):
    """(stem_html, spec) of a valid question of `kind`, a fresh copy each time."""
    stem, spec = SAMPLES[kind]
    return stem, copy.deepcopy(spec)


def question_row(course_id, kind="single_choice", title="A question", tags=(), author_id=None, **version):
    """A question and its first version straight into the current tenant's database (no checks)."""
    stem, spec = sample(kind)
    question = Question(course_id=course_id, kind=kind, title=title, current_version=1, created_by_id=author_id)
    db.session.add(question)
    db.session.flush()
    db.session.add(
        QuestionVersion(
            question_id=question.id,
            number=1,
            stem_html=version.get("stem_html", stem),
            spec=version.get("spec", spec),
            default_points=version.get("default_points", 1.0),
            author_id=author_id,
        )
    )
    for tag in tags:
        db.session.execute(question_tags.insert().values(question_id=question.id, tag=tag))
    db.session.commit()
    return question.id


def archived_question_row(course_id, **options):
    """An archived question (to restore), straight into the database."""
    question_id = question_row(course_id, **options)
    db.session.get(Question, question_id).archived_at = utcnow()
    db.session.commit()
    return question_id


@contextmanager
def acting_as(app, tenant, email):
    """The block runs in `tenant` with the person of `email` as the actor services are given."""
    with tenant_context(tenant, app):
        yield Actor(principal_for_user(find_user_by_email(email).id))


def create(actor, course_id, kind="single_choice", title="A question", **options):
    """A valid question of `kind` made through the bank's service."""
    stem, spec = sample(kind)
    return bank.create_question(course_id, kind, title, stem, spec, actor=actor, **options)
