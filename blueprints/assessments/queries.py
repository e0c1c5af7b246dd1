"""What other features may read of assessments: quizzes' titles and courses, and a learner's results in them."""

import sqlalchemy as sa

from app.extensions import db
from app.security.actor import current_actor
from blueprints.assessments.models import AttemptQuestion, AttemptStatus, Quiz, QuizAttempt
from blueprints.assessments.quizzes import visible_quizzes
from blueprints.courses.models import Course


def quiz_summaries(quiz_ids):
    """{quiz id: (title, course id)} of these quizzes (one query)."""
    rows = db.session.execute(sa.select(Quiz.id, Quiz.title, Quiz.course_id).where(Quiz.id.in_(quiz_ids or [-1])))
    return {row.id: (row.title, row.course_id) for row in rows}


def quiz_ids_seen_by(quiz_ids, actor=current_actor):
    """Which of these quizzes the actor may see (the rule of `quizzes.get_quiz(..., "see")`, in one query)."""
    visible = visible_quizzes(actor).where(Quiz.id.in_(quiz_ids or [-1])).subquery()
    return set(db.session.scalars(sa.select(visible.c.id)))


def passed_quiz_ids(user_id, quiz_ids=None):
    """The quizzes this person has passed (a first passing grade was announced), in one query."""
    stmt = sa.select(QuizAttempt.quiz_id).where(QuizAttempt.user_id == user_id, QuizAttempt.passed_quiz_at.is_not(None))
    if quiz_ids is not None:
        stmt = stmt.where(QuizAttempt.quiz_id.in_(quiz_ids or [-1]))
    return set(db.session.scalars(stmt.distinct()))


def best_percents(user_id, quiz_ids=None):
    """{quiz id: best percent} over this person's graded attempts, in one query."""
    stmt = (
        sa.select(QuizAttempt.quiz_id, sa.func.max(QuizAttempt.percent))
        .where(QuizAttempt.user_id == user_id, QuizAttempt.status == AttemptStatus.GRADED)
        .group_by(QuizAttempt.quiz_id)
    )
    if quiz_ids is not None:
        stmt = stmt.where(QuizAttempt.quiz_id.in_(quiz_ids or [-1]))
    return {quiz_id: best for quiz_id, best in db.session.execute(stmt) if best is not None}


def passed_quizzes_of(user_ids, quiz_ids):
    """{user id: the quizzes among `quiz_ids` they passed} of many people, in one query."""
    found = {}
    rows = db.session.execute(
        sa.select(QuizAttempt.user_id, QuizAttempt.quiz_id)
        .where(
            QuizAttempt.user_id.in_(user_ids or [-1]),
            QuizAttempt.quiz_id.in_(quiz_ids or [-1]),
            QuizAttempt.passed_quiz_at.is_not(None),
        )
        .distinct()
    )
    for user_id, quiz_id in rows:
        found.setdefault(user_id, set()).add(quiz_id)
    return found


def best_percents_of(user_ids, quiz_ids):
    """{user id: {quiz id: best percent}} over many people's graded attempts in these quizzes, in one query."""
    found = {}
    rows = db.session.execute(
        sa.select(QuizAttempt.user_id, QuizAttempt.quiz_id, sa.func.max(QuizAttempt.percent))
        .where(
            QuizAttempt.user_id.in_(user_ids or [-1]),
            QuizAttempt.quiz_id.in_(quiz_ids or [-1]),
            QuizAttempt.status == AttemptStatus.GRADED,
        )
        .group_by(QuizAttempt.user_id, QuizAttempt.quiz_id)
    )
    for user_id, quiz_id, best in rows:
        if best is not None:
            found.setdefault(user_id, {})[quiz_id] = best
    return found


def quiz_choices(actor=current_actor, limit=500):
    """(id, title, course id) of the quizzes the actor may see, by course and title (for pickers)."""
    visible = visible_quizzes(actor).subquery()
    rows = db.session.execute(
        sa.select(visible.c.id, visible.c.title, visible.c.course_id)
        .order_by(visible.c.course_id, visible.c.title, visible.c.id)
        .limit(limit)
    )
    return [(row.id, row.title, row.course_id) for row in rows]


def attempt_figures_by_quiz(visible, submitted_from, submitted_before, course_id=None):
    """Per quiz, the attempts submitted in [submitted_from, submitted_before) that `visible(user_id, course_id)`
    (a condition on the attempt's learner and its quiz's course) lets through: rows of quiz id, title, course
    id and title, attempts, learners, graded, percent sum, passed; one grouped query."""
    stmt = (
        sa.select(
            Quiz.id.label("quiz_id"),
            Quiz.title,
            Quiz.course_id,
            Course.title.label("course_title"),
            sa.func.count(QuizAttempt.id).label("attempts"),
            sa.func.count(sa.distinct(QuizAttempt.user_id)).label("learners"),
            sa.func.count(QuizAttempt.percent).filter(QuizAttempt.status == AttemptStatus.GRADED).label("graded"),
            sa.func.sum(QuizAttempt.percent).filter(QuizAttempt.status == AttemptStatus.GRADED).label("percent_sum"),
            sa.func.count(QuizAttempt.id)
            .filter(QuizAttempt.status == AttemptStatus.GRADED, QuizAttempt.passed.is_(True))
            .label("passed"),
        )
        .join(QuizAttempt, QuizAttempt.quiz_id == Quiz.id)
        .join(Course, Course.id == Quiz.course_id)
        .where(
            QuizAttempt.status.in_((AttemptStatus.SUBMITTED, AttemptStatus.GRADED)),
            QuizAttempt.submitted_at >= submitted_from,
            QuizAttempt.submitted_at < submitted_before,
            visible(QuizAttempt.user_id, Quiz.course_id),
        )
        .group_by(Quiz.id, Quiz.title, Quiz.course_id, Course.title)
        .order_by(Quiz.title, Quiz.id)
    )
    if course_id is not None:
        stmt = stmt.where(Quiz.course_id == course_id)
    return db.session.execute(stmt).all()


def graded_by_a_person(attempt_id):
    """Whether a person graded some answer of this attempt after it was submitted (an essay, a manual
    override): its grade then came later than the learner's submission, and is news to them."""
    graded_later = (
        sa.select(AttemptQuestion.id)
        .join(QuizAttempt, QuizAttempt.id == AttemptQuestion.attempt_id)
        .where(
            AttemptQuestion.attempt_id == attempt_id,
            AttemptQuestion.graded_manually,
            AttemptQuestion.graded_at >= QuizAttempt.submitted_at,
        )
    )
    return bool(db.session.scalar(sa.select(graded_later.exists())))
