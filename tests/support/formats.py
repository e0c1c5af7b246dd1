"""Question rows for the GIFT/Aiken tests, written straight from the models (the bank's services are another
part's), and sample files."""

import sqlalchemy as sa

from app.extensions import db
from app.tenancy.context import tenant_context
from blueprints.assessments.models import Question, QuestionKind, QuestionVersion, question_tags

GOOD_AND_BAD_GIFT = """// Week 1 quiz, as exported from Moodle
$CATEGORY: $course$/top/Geography

::Capital::What is the capital of France?{=Paris#Yes ~London ~Berlin}

::Rivers::Which rivers flow through Paris?{~%100%Seine ~Loire
~Rhine}

The sun is a star.{T}

::Broken weights::Pick two{~%50%a ~%40%b ~c}

Open brace never closed {=x

Pi to two decimals?{#3.14:0.005}
"""

AIKEN = """Which planet is red?
A. Venus
B. Mars
ANSWER: B

Which planet is largest?
A) Jupiter
B) Mercury
ANSWER: A
"""


def add_question(
    app, tenant, course_id, kind, spec, *, title="A question", stem="Stem?", tags=(), archived=False, points=1.0
):
    """A question with one version, as the bank would store it; returns its id."""
    with tenant_context(tenant, app):
        question = Question(course_id=course_id, kind=kind, title=title, current_version=1)
        if archived:
            question.archived_at = sa.func.now()
        db.session.add(question)
        db.session.flush()
        db.session.add(
            QuestionVersion(question_id=question.id, number=1, stem_html=stem, spec=spec, default_points=points)
        )
        for tag in tags:
            db.session.execute(sa.insert(question_tags).values(question_id=question.id, tag=tag))
        db.session.commit()
        return question.id


def single_choice(right="Paris", wrong=("London",)):
    options = [{"id": "r", "text": right, "correct": True, "feedback": ""}]
    options += [{"id": f"w{n}", "text": text, "correct": False, "feedback": ""} for n, text in enumerate(wrong)]
    return QuestionKind.SINGLE, {"options": options}


def question_count(app, tenant):
    with tenant_context(tenant, app):
        return db.session.scalar(sa.select(sa.func.count()).select_from(Question))


def questions_in(app, tenant, course_id):
    """(title, tags, change note of version 1) of a bank's questions, oldest first (None: the organization's)."""
    with tenant_context(tenant, app):
        owner = Question.course_id.is_(None) if course_id is None else Question.course_id == course_id
        rows = db.session.execute(
            sa.select(Question.id, Question.title, QuestionVersion.change_note)
            .join(QuestionVersion, QuestionVersion.question_id == Question.id)
            .where(owner, QuestionVersion.number == 1)
            .order_by(Question.id)
        ).all()
        tags = {}
        for question_id, tag in db.session.execute(sa.select(question_tags.c.question_id, question_tags.c.tag)):
            tags.setdefault(question_id, []).append(tag)
        return [(row.id, row.title, sorted(tags.get(row.id, [])), row.change_note) for row in rows]
