"""What waits for a person: essays to grade (per quiz and per course), and regrading after a question's fix.

Grading an essay re-totals its attempt; its last essay graded, the attempt is graded (`assessment.graded`,
and `assessment.passed` when the learner's quiz grade first reaches the pass mark). A regrade shows first
whose grade would change (old -> new), then applies; attempts keep the version they were given unless the
teacher chooses to regrade with the question's current version.
"""

from dataclasses import dataclass

import sqlalchemy as sa

from app.errors import Conflict, NotFound, ValidationFailed
from app.extensions import db
from app.security.actor import current_actor
from app.tenancy.models import utcnow
from blueprints.assessments import attempts, grading
from blueprints.assessments.models import (
    AttemptQuestion,
    AttemptStatus,
    Question,
    QuestionKind,
    QuestionVersion,
    Quiz,
    QuizAttempt,
)
from blueprints.courses import access
from blueprints.users.models import User  # the queue and the regrade preview name the learners

MAX_COMMENT = 5000


@dataclass(frozen=True)
class Pending:
    attempt_id: int
    position: int
    quiz_id: int
    quiz_title: str
    user_id: int
    learner: str
    submitted_at: object
    points: float
    stem_html: str
    response: dict | None
    grader_info: str


def _pending_query():
    return (
        sa.select(AttemptQuestion, QuizAttempt, Quiz, User, QuestionVersion)
        .join(QuizAttempt, QuizAttempt.id == AttemptQuestion.attempt_id)
        .join(Quiz, Quiz.id == QuizAttempt.quiz_id)
        .join(User, User.id == QuizAttempt.user_id)
        .join(QuestionVersion, QuestionVersion.id == AttemptQuestion.version_id)
        .where(AttemptQuestion.fraction.is_(None), QuizAttempt.status == AttemptStatus.SUBMITTED)
        .order_by(QuizAttempt.submitted_at, AttemptQuestion.attempt_id, AttemptQuestion.position)
    )


def _pending(rows):
    return [
        Pending(
            attempt_id=attempt.id,
            position=answer.position,
            quiz_id=quiz.id,
            quiz_title=quiz.title,
            user_id=user.id,
            learner=user.full_name,
            submitted_at=attempt.submitted_at,
            points=answer.points,
            stem_html=version.stem_html,
            response=answer.response,
            grader_info=version.spec.get("grader_info", ""),
        )
        for answer, attempt, quiz, user, version in rows
    ]


def pending_for_quiz(quiz_id, actor=current_actor):
    """Answers of a quiz waiting for a person, oldest submission first (its course's managers)."""
    quiz = attempts.quiz_to_manage(quiz_id, actor)
    return _pending(db.session.execute(_pending_query().where(Quiz.id == quiz.id)).all())


def pending_for_course(course_id, actor=current_actor):
    """Answers of every quiz of a course waiting for a person."""
    course = access.course_for(course_id, "manage", actor)
    return _pending(db.session.execute(_pending_query().where(Quiz.course_id == course.id)).all())


def grade_answer(attempt_id, position, score, comment="", actor=current_actor):
    """A person's score (0..the question's points) and comment for one answer; the attempt is re-totalled."""
    attempt = db.session.get(QuizAttempt, attempt_id)
    if attempt is None:
        raise NotFound("No such attempt.")
    quiz = attempts.quiz_to_manage(attempt.quiz_id, actor)
    attempt = attempts.lock_attempt(attempt_id)
    if attempt.status == AttemptStatus.IN_PROGRESS:
        raise Conflict("This attempt is not submitted yet.", code="ATTEMPT_OPEN")
    answer, _kind, _version = attempts.question_at(attempt.id, position)
    errors = {}
    if score is None or not 0 <= score <= answer.points:
        errors["score"] = [f"Between 0 and {answer.points:g}."]
    if len(comment or "") > MAX_COMMENT:
        errors["comment"] = [f"At most {MAX_COMMENT} characters."]
    if errors:
        db.session.rollback()
        raise ValidationFailed("This grade cannot be saved.", errors)
    answer.score = round(float(score), 6)
    answer.fraction = answer.score / answer.points if answer.points else 0.0
    answer.grader_comment = (comment or "").strip()
    answer.graded_manually = True
    answer.graded_by_id = actor.id if actor.kind == "user" else None
    answer.graded_at = utcnow()
    db.session.flush()
    attempts.grade_attempt(attempt, quiz)
    db.session.commit()
    return attempt


@dataclass(frozen=True)
class RegradeChange:
    attempt_id: int
    user_id: int
    learner: str
    number: int
    old_score: float | None
    new_score: float | None
    max_score: float
    old_passed: bool | None
    new_passed: bool | None

    @property
    def old_percent(self):
        return None if self.old_score is None or not self.max_score else 100.0 * self.old_score / self.max_score

    @property
    def new_percent(self):
        return None if self.new_score is None or not self.max_score else 100.0 * self.new_score / self.max_score


def _regrade_rows(quiz, question_id):
    return db.session.execute(
        sa.select(AttemptQuestion, QuizAttempt, User, Question.kind)
        .join(QuizAttempt, QuizAttempt.id == AttemptQuestion.attempt_id)
        .join(User, User.id == QuizAttempt.user_id)
        .join(Question, Question.id == AttemptQuestion.question_id)
        .where(
            QuizAttempt.quiz_id == quiz.id,
            AttemptQuestion.question_id == question_id,
            QuizAttempt.status != AttemptStatus.IN_PROGRESS,
        )
        .order_by(QuizAttempt.id)
    ).all()


def _target_version(answer, question_id, use_current_version):
    if not use_current_version:
        return db.session.get(QuestionVersion, answer.version_id)
    return db.session.scalar(
        sa.select(QuestionVersion)
        .join(Question, Question.id == QuestionVersion.question_id)
        .where(Question.id == question_id, QuestionVersion.number == Question.current_version)
    )


def _plan(quiz, question_id, use_current_version):
    plan = []
    for answer, attempt, user, kind in _regrade_rows(quiz, question_id):
        if kind == QuestionKind.ESSAY or answer.graded_manually:
            continue  # a person's grade stands
        version = _target_version(answer, question_id, use_current_version)
        fraction = grading.grade(kind, version.spec, answer.response).fraction
        new_answer_score = round(fraction * answer.points, 6)
        new_score = None if attempt.score is None else round(attempt.score - (answer.score or 0) + new_answer_score, 6)
        new_passed = None
        if new_score is not None:
            percent = 100.0 * new_score / attempt.max_score if attempt.max_score else 0.0
            new_passed = percent >= quiz.pass_percent - 1e-9
        plan.append(
            (
                answer,
                version,
                attempt,
                RegradeChange(
                    attempt_id=attempt.id,
                    user_id=user.id,
                    learner=user.full_name,
                    number=attempt.number,
                    old_score=attempt.score,
                    new_score=new_score,
                    max_score=attempt.max_score,
                    old_passed=attempt.passed,
                    new_passed=new_passed,
                ),
                new_answer_score != (answer.score or 0) or version.id != answer.version_id,
            )
        )
    return plan


def _question_of_quiz(quiz, question_id):
    used = db.session.scalar(
        sa.select(AttemptQuestion.id)
        .join(QuizAttempt, QuizAttempt.id == AttemptQuestion.attempt_id)
        .where(QuizAttempt.quiz_id == quiz.id, AttemptQuestion.question_id == question_id)
        .limit(1)
    )
    if used is None:
        raise NotFound("No attempt at this assessment has that question.")


def regrade_preview(quiz_id, question_id, use_current_version=False, actor=current_actor):
    """Whose attempts a regrade of one question would change: [RegradeChange] (old -> new), nothing written."""
    quiz = attempts.quiz_to_manage(quiz_id, actor)
    _question_of_quiz(quiz, question_id)
    return [change for _a, _v, _t, change, changed in _plan(quiz, question_id, use_current_version) if changed]


def regrade(quiz_id, question_id, use_current_version=False, actor=current_actor):
    """Regrade one question in every submitted attempt of a quiz (with the version each attempt had, or the
    question's current one); returns the changes, as the preview showed them."""
    quiz = attempts.quiz_to_manage(quiz_id, actor)
    _question_of_quiz(quiz, question_id)
    changes = []
    for answer, version, attempt, change, changed in _plan(quiz, question_id, use_current_version):
        if not changed:
            continue
        attempts.lock_attempt(attempt.id)
        answer.version_id = version.id
        db.session.flush()
        attempts.grade_attempt(attempt, quiz)
        changes.append(change)
    db.session.commit()
    return changes
