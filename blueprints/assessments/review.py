"""What a learner may see of an attempt, and when: the quiz's review options (score, correct answers,
feedback: immediately after submitting, after the quiz closes, or never). Staff see everything.

While an attempt is open the learner gets the question, its options (shuffled by the attempt's seed) and
their own saved answer: never `correct`, `fraction`, `answers`, `answer`, feedback or `grader_info`.
A quiz with no closing time never "closes": `after_close` then shows nothing until the teacher sets one.
"""

from dataclasses import dataclass

from app.errors import DomainError, NotFound
from app.extensions import db
from app.tenancy.models import utcnow
from blueprints.assessments import attempts, grading, quizzes
from blueprints.assessments.models import AttemptStatus, Question, QuestionKind, ReviewWhen
from blueprints.users.models import User  # a staff review names its learner


@dataclass(frozen=True)
class Review:
    score: bool
    answers: bool
    feedback: bool


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


def attempt_image_url(attempt, position):
    """Where the attempt's reader gets a question's image (the API route: its learner's, or staff in results reach)."""
    return f"/api/v1/attempts/{attempt.id}/questions/{position}/image"


def question_view(attempt, quiz, answer, kind, version, review, staff=False):
    """One question of an attempt as its reader may see it."""
    view = {
        "position": answer.position,
        "kind": kind,
        "stem_html": version.stem_html,
        "image_url": attempt_image_url(attempt, answer.position) if version.image_key else None,
        "image_alt": version.image_alt if version.image_key else None,
        "points": answer.points,
        "view": public_view_of(attempt, quiz, answer, kind, version),
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


def public_view_of(attempt, quiz, answer, kind, version):
    """The key-free view of one question of an attempt (options in the attempt's order)."""
    return grading.public_view(kind, version.spec, f"{attempt.seed}:{answer.question_id}", quiz.shuffle_options)


def stem_parts(stem_html):
    """A fill-in-the-blanks stem cut at its `[[id]]` placeholders: [("html", text) | ("blank", id)]."""
    parts, last = [], 0
    for match in grading.BLANK.finditer(stem_html or ""):
        parts.append(("html", stem_html[last : match.start()]))
        parts.append(("blank", match.group(1)))
        last = match.end()
    parts.append(("html", (stem_html or "")[last:]))
    return parts


def _texts(view):
    return {option["id"]: option["text"] for option in view.get("options", []) + view.get("items", [])}


def _matches_in_words(view, response):
    prompts = {prompt["id"]: prompt["text"] for prompt in view.get("prompts", [])}
    matches = response.get("matches") or {}
    return "; ".join(f"{prompts[pid]} → {matches[pid]}" for pid in prompts if pid in matches)


def _blanks_in_words(view, response):
    blanks = response.get("blanks") or {}
    return "; ".join(f"{n}. {blanks[b['id']]}" for n, b in enumerate(view["blanks"], 1) if b["id"] in blanks)


IN_WORDS = {
    QuestionKind.SINGLE: lambda view, response: _texts(view).get(response.get("choice"), ""),
    QuestionKind.MULTIPLE: lambda view, response: ", ".join(
        _texts(view).get(choice, "") for choice in response.get("choices") or []
    ),
    QuestionKind.TRUE_FALSE: lambda _view, response: "True" if response.get("value") else "False",
    QuestionKind.ORDERING: lambda view, response: " → ".join(
        _texts(view).get(item, "") for item in response.get("order") or []
    ),
    QuestionKind.MATCHING: _matches_in_words,
    QuestionKind.BLANKS: _blanks_in_words,
}


def describe(question, response):
    """A response in words, for the review: option texts rather than ids."""
    if not response:
        return ""
    in_words = IN_WORDS.get(question["kind"])
    if in_words:
        return in_words(question["view"], response)
    return str(response.get("text", response.get("value", "")))


def quiz_summary(quiz, actor):
    """What the quiz's page tells a learner: their attempts (each with what its review shows), their grade,
    how many attempts are left, their open attempt, and why they may not start one (or None)."""
    mine = attempts.attempts_of(quiz.id, actor.id) if actor.kind == "user" else []
    for attempt in mine:
        attempts.settle_if_overdue(attempt)
    rows = [(attempt, review_of(attempt, quiz)) for attempt in mine]
    graded = [(a, r) for a, r in rows if a.status == AttemptStatus.GRADED]
    grade = attempts.quiz_grade(quiz, actor.id) if graded and all(r.score for _a, r in graded) else None
    current = next((a for a in mine if a.status == AttemptStatus.IN_PROGRESS), None)
    # The learner's attempts and accommodation are read once, for the refusal and the attempts left alike.
    extra_attempts = 0
    if actor.kind == "user" and quiz.attempts_allowed is not None:
        _extra_minutes, extra_attempts = quizzes.accommodation_of(quiz.id, actor.id)
    refusal = None
    if current is None:
        try:
            attempts.quiz_to_take(quiz.id, actor)
            refusal = attempts.refusal_to_start(quiz, actor.id, made=mine, extra_attempts=extra_attempts)
        except DomainError as error:
            refusal = error
    left = attempts.attempts_left(quiz, actor.id, made=mine, extra_attempts=extra_attempts)
    return {
        "rows": rows,
        "grade": grade,
        "passed": None if grade is None else grade >= quiz.pass_percent - 1e-9,
        "left": left if actor.kind == "user" else None,
        "current": current,
        "refusal": refusal.message if refusal else None,
        "questions": attempts.question_count(quiz),
    }


def learner_name(user_id):
    user = db.session.get(User, user_id)
    return user.full_name if user else "a former learner"


def question_title(question_id):
    question = db.session.get(Question, question_id)
    if question is None:
        raise NotFound("No such question.")
    return question.title
