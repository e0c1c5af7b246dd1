"""What a learner may see of an attempt, and when: the quiz's review options (score, correct answers,
feedback: immediately after submitting, after the quiz closes, or never). Staff see everything.

While an attempt is open the learner gets the question, its options (shuffled by the attempt's seed) and
their own saved answer: never `correct`, `fraction`, `answers`, `answer`, feedback or `grader_info`.
A quiz with no closing time never "closes": `after_close` then shows nothing until the teacher sets one.
"""

from dataclasses import dataclass

from app.tenancy.models import utcnow
from blueprints.assessments import attempts, grading
from blueprints.assessments.models import AttemptStatus, QuestionKind, ReviewWhen


@dataclass(frozen=True)
class Review:
    score: bool
    answers: bool
    feedback: bool

    @property
    def anything(self):
        return self.score or self.answers or self.feedback


EVERYTHING = Review(score=True, answers=True, feedback=True)
NOTHING = Review(score=False, answers=False, feedback=False)


def _shown(when, quiz, now):
    if when == ReviewWhen.IMMEDIATELY:
        return True
    return when == ReviewWhen.AFTER_CLOSE and quiz.closes_at is not None and now >= quiz.closes_at


def review_of(attempt, quiz, staff=False, now=None):
    """What of this attempt its reader sees now."""
    if staff:
        return EVERYTHING
    if attempt.status == AttemptStatus.IN_PROGRESS:
        return NOTHING
    now = now or utcnow()
    return Review(
        score=_shown(quiz.review_score, quiz, now),
        answers=_shown(quiz.review_answers, quiz, now),
        feedback=_shown(quiz.review_feedback, quiz, now),
    )


def next_review_at(quiz, review):
    """When a learner will see more of a submitted attempt (the closing time), or None."""
    waiting = (quiz.review_score, quiz.review_answers, quiz.review_feedback)
    if (
        ReviewWhen.AFTER_CLOSE in waiting
        and quiz.closes_at
        and not (review.score and review.answers and review.feedback)
    ):
        return quiz.closes_at
    return None


def question_view(attempt, quiz, answer, kind, version, review, staff=False):
    """One question of an attempt as its reader may see it."""
    view = {
        "position": answer.position,
        "kind": kind,
        "stem_html": version.stem_html,
        "image_key": version.image_key,
        "points": answer.points,
        "view": grading.public_view(kind, version.spec, f"{attempt.seed}:{answer.question_id}", quiz.shuffle_options),
        "response": answer.response,
        "saved_at": answer.saved_at,
    }
    if review.score:
        view.update(fraction=answer.fraction, score=answer.score, awaiting_grading=answer.fraction is None)
    if review.feedback:
        said = [] if kind == QuestionKind.ESSAY else grading.grade(kind, version.spec, answer.response).feedback
        view.update(
            feedback=said, general_feedback_html=version.general_feedback_html, grader_comment=answer.grader_comment
        )
    if review.answers:
        view["correct_response"] = grading.correct_response(kind, version.spec)
    if staff:
        view.update(question_id=answer.question_id, version_id=answer.version_id, spec=version.spec)
    return view


def seconds_left(attempt, now=None):
    if attempt.status != AttemptStatus.IN_PROGRESS or attempt.deadline_at is None:
        return None
    return max(0, int((attempt.deadline_at - (now or utcnow())).total_seconds()))


def attempt_view(attempt, quiz, staff=False, now=None):
    """An attempt with its questions, for the API and the pages: what the review rules let its reader see."""
    now = now or utcnow()
    review = review_of(attempt, quiz, staff, now)
    graded = attempt.status == AttemptStatus.GRADED
    return {
        "id": attempt.id,
        "quiz_id": attempt.quiz_id,
        "user_id": attempt.user_id,
        "number": attempt.number,
        "status": attempt.status,
        "started_at": attempt.started_at,
        "deadline_at": attempt.deadline_at,
        "seconds_left": seconds_left(attempt, now),
        "submitted_at": attempt.submitted_at,
        "auto_submitted": attempt.auto_submitted,
        "max_score": attempt.max_score,
        "score": attempt.score if review.score and graded else None,
        "percent": attempt.percent if review.score and graded else None,
        "passed": attempt.passed if review.score and graded else None,
        "review": {"score": review.score, "answers": review.answers, "feedback": review.feedback},
        "review_more_at": None if staff else next_review_at(quiz, review),
        "questions": [
            question_view(attempt, quiz, answer, kind, version, review, staff)
            for answer, kind, version in attempts.attempt_questions(attempt.id)
        ],
    }
