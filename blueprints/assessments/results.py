"""A quiz's results for its staff: per learner (attempts, quiz grade by the grading method, passed, what
waits for grading) and per question (how many answered, the mean score), in the reader's reach: a course's
managers see everyone, a branch manager the people of their branches."""

import sqlalchemy as sa

from app.api.listing import FilterBy, ListSpec, Page, run_list_query
from app.extensions import db
from app.security.actor import current_actor
from blueprints.assessments import attempts
from blueprints.assessments.models import AttemptQuestion, AttemptStatus, Question, QuizAttempt
from blueprints.users.models import User  # results filter and sort on people's names

_best = sa.func.max(QuizAttempt.percent)
_last_submitted = sa.func.max(QuizAttempt.submitted_at)
_attempt_count = sa.func.count(QuizAttempt.id)
_awaiting = sa.func.sum(sa.case((QuizAttempt.status == AttemptStatus.SUBMITTED, 1), else_=0))


def _search(_op, value):
    pattern = f"%{str(value).strip()}%"
    return sa.or_(User.email.ilike(pattern), User.first_name.ilike(pattern), User.last_name.ilike(pattern))


LEARNER_RESULTS = ListSpec(
    filters={"user_id": User.id, "email": User.email, "q": FilterBy(User.email, _search)},
    sorts={
        "last_name": User.last_name,
        "email": User.email,
        "best_percent": _best,
        "attempts": _attempt_count,
        "last_submitted_at": _last_submitted,
    },
    default_sort=("last_name",),
    tiebreaker=User.id,
)

QUESTION_RESULTS = ListSpec(
    filters={"kind": Question.kind, "question_id": Question.id},
    sorts={
        "first_position": sa.func.min(AttemptQuestion.position),
        "title": Question.title,
        "question_id": Question.id,
    },
    default_sort=("first_position",),
    tiebreaker=Question.id,
)


def learner_results(quiz_id, query, actor=current_actor):
    """A page of the learners who attempted the quiz, with their quiz grade (by the quiz's grading method)."""
    quiz, people = attempts.quiz_for_results(quiz_id, actor)
    stmt = (
        sa.select(
            User.id.label("user_id"),
            User.email,
            User.first_name,
            User.last_name,
            _attempt_count.label("attempts"),
            _best.label("best_percent"),
            _last_submitted.label("last_submitted_at"),
            _awaiting.label("awaiting_grading"),
        )
        .join(QuizAttempt, QuizAttempt.user_id == User.id)
        .where(QuizAttempt.quiz_id == quiz.id)
        .group_by(User.id, User.email, User.first_name, User.last_name)
    )
    if people is not None:
        stmt = stmt.where(User.id.in_(people))
    page = run_list_query(db.session, stmt, query, LEARNER_RESULTS, rows=True)
    items = []
    for row in page.items:
        grade = attempts.quiz_grade(quiz, row.user_id)
        items.append(
            dict(
                row._mapping,
                name=f"{row.first_name} {row.last_name}".strip() or row.email,
                grade_percent=grade,
                passed=None if grade is None else grade >= quiz.pass_percent - 1e-9,
                in_progress=attempts.open_attempt(quiz.id, row.user_id) is not None,
            )
        )
    return quiz, Page(items, page.page, page.per_page, page.total)


def question_results(quiz_id, query, actor=current_actor):
    """A page of the questions the quiz's submitted attempts held: answered, mean score, awaiting a person."""
    quiz, people = attempts.quiz_for_results(quiz_id, actor)
    stmt = (
        sa.select(
            Question.id.label("question_id"),
            Question.title,
            Question.kind,
            sa.func.min(AttemptQuestion.position).label("first_position"),
            sa.func.count(AttemptQuestion.id).label("attempts"),
            sa.func.count(AttemptQuestion.response).label("answered"),
            sa.func.avg(AttemptQuestion.fraction).label("mean_fraction"),
            sa.func.sum(sa.case((AttemptQuestion.fraction.is_(None), 1), else_=0)).label("awaiting_grading"),
        )
        .join(AttemptQuestion, AttemptQuestion.question_id == Question.id)
        .join(QuizAttempt, QuizAttempt.id == AttemptQuestion.attempt_id)
        .where(QuizAttempt.quiz_id == quiz.id, QuizAttempt.status != AttemptStatus.IN_PROGRESS)
        .group_by(Question.id, Question.title, Question.kind)
    )
    if people is not None:
        stmt = stmt.where(QuizAttempt.user_id.in_(people))
    page = run_list_query(db.session, stmt, query, QUESTION_RESULTS, rows=True)
    items = [
        dict(row._mapping, mean_fraction=None if row.mean_fraction is None else round(float(row.mean_fraction), 4))
        for row in page.items
    ]
    return quiz, Page(items, page.page, page.per_page, page.total)


def attempts_of_learner(quiz_id, user_id, actor=current_actor):
    """One learner's attempts at the quiz, for staff in reach (404 for a learner out of reach)."""
    quiz, people = attempts.quiz_for_results(quiz_id, actor)
    if people is not None and user_id not in set(db.session.scalars(people)):
        return quiz, []
    return quiz, attempts.attempts_of(quiz.id, user_id)
