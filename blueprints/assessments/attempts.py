"""Taking a quiz: start or resume an attempt, autosave its answers, submit it, grade it, and the deadline.

An attempt is fixed when it starts: its slots are resolved to question versions (random draws by tag, never
one question twice), shuffled by the attempt's seed and stored as `AttemptQuestion` rows, one per question,
so that two answers saved at once are two rows written, never one lost. Every write to an attempt holds its
row (`app.tenancy.locks.locked`): a save and a submit take turns, so no answer lands after the grading read.

The timer is the server's: `deadline_at` = min(start + time limit + extra minutes, the quiz's closing time).
A job queued for that moment on the event queue (RQ's scheduler; `flask worker --events` runs it without a
fork) submits the attempt with what was saved; `submit_overdue_attempts()`, swept by `flask attempts sweep`,
submits whatever a lost job left.
"""

import logging
import random
import secrets
import statistics
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache

import sqlalchemy as sa
from redis.exceptions import RedisError
from sqlalchemy.exc import IntegrityError

from app.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from app.events import emit_after_commit
from app.extensions import db
from app.jobs import get_event_queue, run_in_tenant
from app.security.actor import current_actor
from app.tenancy.context import require_tenant, tenant_context
from app.tenancy.locks import locked, row_locks
from app.tenancy.models import utcnow
from app.tenancy.resolution import active_tenants
from blueprints.assessments import bank, grading, quizzes, responses
from blueprints.assessments.models import (
    AttemptQuestion,
    AttemptStatus,
    GradingMethod,
    Question,
    QuestionKind,
    QuestionVersion,
    Quiz,
    QuizAttempt,
    QuizSlot,
)
from blueprints.branches.queries import people_of
from blueprints.learning import queries as enrollments

log = logging.getLogger(__name__)
DEADLINE_JOB_TIMEOUT = 120


# --- Loading, with the rules of who may do what ---------------------------------------------------------


def quiz_to_take(quiz_id, actor=current_actor):
    """A quiz the actor may sit now: `quizzes.get_quiz(..., "take")` (404 for whoever may not see it), and an
    attempt is a learner's: enrolled in the course (its staff preview the quiz in the builder), its
    prerequisites met, the quiz published."""
    quiz = quizzes.get_quiz(quiz_id, "take", actor)
    if not enrollments.is_enrolled(quiz.course_id, actor.id):
        raise PermissionDenied("Only the course's enrolled learners take its assessments.", code="NOT_ENROLLED")
    enrollments.refuse_unmet_prerequisites(quiz.course_id, actor.id)
    if not quiz.published:
        raise PermissionDenied("This assessment is not published yet.", code="QUIZ_NOT_PUBLISHED")
    return quiz


def quiz_for_results(quiz_id, actor=current_actor):
    """A quiz and whose results the actor sees in it: (quiz, None) for everyone's (its course's managers), or
    (quiz, a select of user ids) for a branch manager's people; 403 for the rest who see the course."""
    quiz, branch_ids = quizzes.results_scope(quiz_id, actor)
    return quiz, None if branch_ids is None else people_of(branch_ids)


def quiz_of(attempt):
    return db.session.get(Quiz, attempt.quiz_id)


def attempt_to_submit(quiz_id, actor=current_actor):
    """The learner's open attempt at a quiz, else their last one (submitting it again changes nothing)."""
    quiz = quiz_to_take(quiz_id, actor)
    mine = _attempts_of(quiz.id, actor.id)
    if not mine:
        raise Conflict("You have not started this assessment.", code="NO_OPEN_ATTEMPT")
    return next((a for a in mine if a.status == AttemptStatus.IN_PROGRESS), mine[-1])


def quiz_to_manage(quiz_id, actor=current_actor):
    """A quiz whose course the actor manages (grading, regrading)."""
    return quizzes.get_quiz(quiz_id, "manage", actor)


def lock_attempt(attempt_id):
    """The attempt, its row held until the transaction ends (saves, submits and grades take turns)."""
    attempt = next(iter(locked(sa.select(QuizAttempt).where(QuizAttempt.id == attempt_id))), None)
    if attempt is None:
        raise NotFound("No such attempt.")
    return attempt


def _require_owner(attempt, actor):
    if actor is not None and (actor.kind != "user" or attempt.user_id != actor.id):
        raise NotFound("No such attempt.")


def attempt_to_read(attempt_id, actor=current_actor):
    """An attempt and whether the actor reads it as staff: the learner's own, or one in the actor's results
    reach (its course's managers, a branch manager for their people). An overdue one is submitted first."""
    attempt = db.session.get(QuizAttempt, attempt_id)
    if attempt is None:
        raise NotFound("No such attempt.")
    if actor.kind == "user" and attempt.user_id == actor.id:
        settle_if_overdue(attempt)
        return attempt, False
    try:
        _quiz, people = quiz_for_results(attempt.quiz_id, actor)
    except PermissionDenied:
        raise NotFound("No such attempt.") from None
    if people is not None and attempt.user_id not in set(db.session.scalars(people)):
        raise NotFound("No such attempt.")
    settle_if_overdue(attempt)
    return attempt, True


# --- Starting ------------------------------------------------------------------------------------------


def _attempts_of(quiz_id, user_id):
    return db.session.scalars(
        sa.select(QuizAttempt)
        .where(QuizAttempt.quiz_id == quiz_id, QuizAttempt.user_id == user_id)
        .order_by(QuizAttempt.number)
    ).all()


def attempts_of(quiz_id, user_id):
    """A learner's attempts at a quiz, first to last."""
    return _attempts_of(quiz_id, user_id)


def open_attempt(quiz_id, user_id):
    return next((a for a in _attempts_of(quiz_id, user_id) if a.status == AttemptStatus.IN_PROGRESS), None)


def attempts_left(quiz, user_id, made=None, extra_attempts=None):
    """How many more attempts a learner may start (None: unlimited). `made` (their attempts) and
    `extra_attempts` (their accommodation's) when the caller has loaded them already."""
    if quiz.attempts_allowed is None:
        return None
    if extra_attempts is None:
        _extra_minutes, extra_attempts = quizzes.accommodation_of(quiz.id, user_id)
    if made is None:
        made = _attempts_of(quiz.id, user_id)
    return max(0, quiz.attempts_allowed + extra_attempts - len(made))


def refusal_to_start(quiz, user_id, now=None, made=None, extra_attempts=None):
    """Why a learner may not start a new attempt now (a domain error), or None (`made`, `extra_attempts`:
    see `attempts_left`)."""
    now = now or utcnow()
    if quiz.opens_at and now < quiz.opens_at:
        return PermissionDenied(
            "This assessment is not open yet.", {"opens_at": [quiz.opens_at.isoformat()]}, code="QUIZ_NOT_OPEN"
        )
    if quiz.closes_at and now >= quiz.closes_at:
        return PermissionDenied("This assessment is closed.", code="QUIZ_CLOSED")
    if attempts_left(quiz, user_id, made, extra_attempts) == 0:
        return PermissionDenied("You have used every attempt at this assessment.", code="NO_ATTEMPTS_LEFT")
    return None


def question_count(quiz):
    """How many questions an attempt at the quiz gets (fixed ones and draws)."""
    slots = db.session.scalars(sa.select(QuizSlot).where(QuizSlot.quiz_id == quiz.id)).all()
    return sum(1 if slot.question_id else slot.draw_count for slot in slots)


def deadline_of(quiz, started_at, extra_minutes=0):
    ends = []
    if quiz.time_limit_minutes:
        ends.append(started_at + timedelta(minutes=quiz.time_limit_minutes + extra_minutes))
    if quiz.closes_at:
        ends.append(quiz.closes_at)
    return min(ends) if ends else None


def _current_versions(question_ids):
    rows = db.session.execute(
        sa.select(Question, QuestionVersion)
        .join(
            QuestionVersion,
            sa.and_(QuestionVersion.question_id == Question.id, QuestionVersion.number == Question.current_version),
        )
        .where(Question.id.in_(question_ids or [-1]))
    ).all()
    return {question.id: (question, version) for question, version in rows}


def _resolve_slots(quiz, rng):
    """[(question id, slot points or None)] for a new attempt: fixed questions, then draws from what is left."""
    slots = db.session.scalars(
        sa.select(QuizSlot).where(QuizSlot.quiz_id == quiz.id).order_by(QuizSlot.position, QuizSlot.id)
    ).all()
    if not slots:
        raise Conflict("This assessment has no questions yet.", code="QUIZ_EMPTY")
    used = {slot.question_id for slot in slots if slot.question_id}
    chosen = []
    for slot in slots:
        if slot.question_id:
            chosen.append((slot.question_id, slot.points))
            continue
        pool = sorted(q.id for q in bank.questions_with_tag(quiz.course_id, slot.draw_tag) if q.id not in used)
        if len(pool) < slot.draw_count:
            raise Conflict(
                f"Only {len(pool)} more questions are tagged “{slot.draw_tag}”; the quiz draws {slot.draw_count}.",
                code="NOT_ENOUGH_QUESTIONS",
            )
        picked = rng.sample(pool, slot.draw_count)
        used.update(picked)
        chosen.extend((question_id, slot.points) for question_id in picked)
    return chosen


def start_attempt(quiz_id, actor=current_actor):
    """Start an attempt at a quiz, or resume the learner's open one (a reload, another device). An open
    attempt past its deadline is submitted first, with what was saved."""
    quiz = quiz_to_take(quiz_id, actor)
    made = _attempts_of(quiz.id, actor.id)  # loaded once: the open one, the count left, the new one's number
    current = next((attempt for attempt in made if attempt.status == AttemptStatus.IN_PROGRESS), None)
    if current is not None and not settle_if_overdue(current):
        return current
    extra_minutes, extra_attempts = quizzes.accommodation_of(quiz.id, actor.id)
    if refusal := refusal_to_start(quiz, actor.id, made=made, extra_attempts=extra_attempts):
        raise refusal
    seed = secrets.randbelow(2**31)
    rng = random.Random(seed)  # noqa: S311 - a replayable draw and order, not a secret
    chosen = _resolve_slots(quiz, rng)
    if quiz.shuffle_questions:
        rng.shuffle(chosen)
    versions = _current_versions([question_id for question_id, _points in chosen])
    now = utcnow()
    attempt = QuizAttempt(
        quiz_id=quiz.id,
        user_id=actor.id,
        number=len(made) + 1,
        status=AttemptStatus.IN_PROGRESS,
        seed=seed,
        started_at=now,
        deadline_at=deadline_of(quiz, now, extra_minutes),
    )
    db.session.add(attempt)
    try:
        db.session.flush()
        for position, (question_id, points) in enumerate(chosen, start=1):
            _question, version = versions[question_id]
            db.session.add(
                AttemptQuestion(
                    attempt_id=attempt.id,
                    position=position,
                    question_id=question_id,
                    version_id=version.id,
                    points=points if points is not None else version.default_points,
                )
            )
        attempt.max_score = sum(
            (points if points is not None else versions[question_id][1].default_points)
            for question_id, points in chosen
        )
        db.session.commit()
    except IntegrityError:  # the same learner started twice at once: the other request's attempt is the one
        db.session.rollback()
        current = open_attempt(quiz.id, actor.id)
        if current is None:
            raise Conflict("Someone else is changing this right now; try again.", code="BUSY") from None
        return current
    schedule_deadline(attempt)
    return attempt


# --- The deadline --------------------------------------------------------------------------------------


def schedule_deadline(attempt):
    """Queue the job that submits the attempt at its deadline. Redis being away loses nothing: the sweep
    (`submit_overdue_attempts`) submits it instead. On the event queue: its worker runs jobs without a fork
    (a short transaction each, like a delivery), and a class's deadlines come all at once. The job carries the
    deadline it was queued for: once the deadline moves, that job does nothing and the new one counts."""
    if attempt.deadline_at is None:
        return None
    try:
        return get_event_queue().enqueue_at(
            attempt.deadline_at.replace(tzinfo=UTC),
            run_in_tenant,
            require_tenant().slug,
            f"{__name__}.submit_when_due",
            attempt.id,
            attempt.deadline_at.isoformat(),
            job_timeout=DEADLINE_JOB_TIMEOUT,
            meta={"tenant": require_tenant().slug},
        )
    except RedisError:
        log.warning("Could not queue the deadline of attempt %s; the sweep will submit it", attempt.id)
        return None


def submit_when_due(attempt_id, deadline=None):
    """The deadline job: submit the attempt if it is still open and due. `deadline` (ISO, naive UTC): the one
    it was queued for; when the attempt's has moved since, its own job is queued and this one does nothing. A
    job run a little early (RQ schedules to the second) is queued again for the same deadline."""
    attempt = db.session.get(QuizAttempt, attempt_id)
    if attempt is None or attempt.status != AttemptStatus.IN_PROGRESS:
        return "nothing to do"
    if is_overdue(attempt):
        submit_attempt(attempt_id, actor=None, auto=True)
        return "submitted"
    if deadline is not None and (attempt.deadline_at is None or attempt.deadline_at.isoformat() != deadline):
        return "deadline moved"
    schedule_deadline(attempt)
    return "not due yet"


def move_deadlines(quiz_id, user_id=None, now=None):
    """Work the deadlines of a quiz's open attempts (everyone's, or one learner's) out again from the quiz's time
    limit and closing time and each learner's extra minutes now, as Moodle does, and queue their jobs. A
    deadline is never put before the moment of the change: an attempt whose new deadline has passed is submitted
    now with what was saved (the learner's answers until now count). Returns how many attempts moved."""
    quiz = db.session.get(Quiz, quiz_id)
    if quiz is None:
        return 0
    now = now or utcnow()
    stmt = sa.select(QuizAttempt).where(QuizAttempt.quiz_id == quiz.id, QuizAttempt.status == AttemptStatus.IN_PROGRESS)
    if user_id is not None:
        stmt = stmt.where(QuizAttempt.user_id == user_id)
    extra = quizzes.extra_minutes_of(quiz.id, user_id)
    moved = []
    for attempt in locked(stmt.order_by(QuizAttempt.id)):
        if is_overdue(attempt, now):
            continue  # over before the change: its deadline job (or the sweep) submits it as it was
        deadline = deadline_of(quiz, attempt.started_at, extra.get(attempt.user_id, 0))
        if deadline is not None and deadline < now:
            deadline = now
        if deadline != attempt.deadline_at:
            attempt.deadline_at = deadline
            moved.append(attempt)
    db.session.flush()
    for attempt in moved:
        if is_overdue(attempt, now):
            submit_attempt(attempt.id, actor=None, auto=True, now=now)
        else:
            schedule_deadline(attempt)
    db.session.commit()
    return len(moved)


def is_overdue(attempt, now=None):
    return (
        attempt.status == AttemptStatus.IN_PROGRESS
        and attempt.deadline_at is not None
        and attempt.deadline_at <= (now or utcnow())
    )


def settle_if_overdue(attempt):
    """Submit an open attempt whose deadline passed (as the job would); True when it did."""
    if not is_overdue(attempt):
        return False
    submit_attempt(attempt.id, actor=None, auto=True)
    db.session.refresh(attempt)
    return True


def submit_overdue_attempts(now=None):
    """Submit every open attempt past its deadline in the current organization; returns how many."""
    now = now or utcnow()
    due = db.session.scalars(
        sa.select(QuizAttempt.id).where(QuizAttempt.status == AttemptStatus.IN_PROGRESS, QuizAttempt.deadline_at <= now)
    ).all()
    for attempt_id in due:
        submit_attempt(attempt_id, actor=None, auto=True, now=now)
    return len(due)


# --- Answers -------------------------------------------------------------------------------------------


def _refuse_closed(attempt, now=None):
    if attempt.status != AttemptStatus.IN_PROGRESS:
        raise Conflict("This attempt is submitted: answers can no longer change.", code="ATTEMPT_CLOSED")
    if is_overdue(attempt, now):
        raise Conflict("Time is up: answers can no longer change.", code="ATTEMPT_CLOSED")


def refuse_unenrolled(attempt):
    """A learner who is no longer enrolled in the quiz's course changes nothing in their attempt (403
    NOT_ENROLLED). The attempt stays as it was saved: its deadline job still submits it (staff see it in the
    results), and an attempt without a deadline resumes if the learner is enrolled again."""
    enrolled = db.session.scalar(
        sa.select(Quiz.id).where(
            Quiz.id == attempt.quiz_id, Quiz.course_id.in_(enrollments.enrolled_course_ids(attempt.user_id))
        )
    )
    if enrolled is None:
        db.session.rollback()
        raise _not_enrolled()


def _not_enrolled():
    return PermissionDenied(
        "You are no longer enrolled in this course, so this attempt can no longer change.", code="NOT_ENROLLED"
    )


def question_at(attempt_id, position):
    row = db.session.execute(
        sa.select(AttemptQuestion, Question.kind, QuestionVersion)
        .join(Question, Question.id == AttemptQuestion.question_id)
        .join(QuestionVersion, QuestionVersion.id == AttemptQuestion.version_id)
        .where(AttemptQuestion.attempt_id == attempt_id, AttemptQuestion.position == position)
    ).first()
    if row is None:
        raise NotFound("This attempt has no question at that position.")
    return row


def question_image(attempt, position):
    """The version of an attempt's question at `position` that has an image (404 when it has none): call with an
    attempt the actor may read (`attempt_to_read`)."""
    _answer, _kind, version = question_at(attempt.id, position)
    if not version.image_key:
        raise NotFound("This question has no image.")
    return version


@dataclass(frozen=True)
class SavedAnswer:
    """What an autosave answers: the answer as stored, and the time left on the server's timer."""

    position: int
    response: dict | None
    saved_at: datetime
    seconds_left: int | None


@cache
def _autosave_statements():
    """The autosave's two statements, built once: the attempt's row held (on PostgreSQL `FOR NO KEY UPDATE OF`
    it alone) and read together with the question at the position, its quiz's course and option shuffling, and
    whether the learner is still enrolled; then the answer's update."""
    enrolled = Quiz.course_id.in_(enrollments.enrolled_course_ids(QuizAttempt.user_id))
    read = (
        sa.select(
            QuizAttempt.user_id,
            QuizAttempt.status,
            QuizAttempt.deadline_at,
            QuizAttempt.seed,
            AttemptQuestion.id.label("answer_id"),
            AttemptQuestion.question_id,
            Question.kind,
            QuestionVersion.spec,
            Quiz.course_id,
            Quiz.shuffle_options,
            enrolled.label("enrolled"),
        )
        .select_from(QuizAttempt)
        .join(Quiz, Quiz.id == QuizAttempt.quiz_id)
        .join(
            AttemptQuestion,
            sa.and_(AttemptQuestion.attempt_id == QuizAttempt.id, AttemptQuestion.position == sa.bindparam("position")),
        )
        .join(Question, Question.id == AttemptQuestion.question_id)
        .join(QuestionVersion, QuestionVersion.id == AttemptQuestion.version_id)
        .where(QuizAttempt.id == sa.bindparam("attempt_id"))
        .with_for_update(key_share=True, of=QuizAttempt)
    )
    write = (
        sa.update(AttemptQuestion)
        .where(AttemptQuestion.id == sa.bindparam("answer_id"))
        .values(response=sa.bindparam("given"), saved_at=sa.bindparam("now"))
        .execution_options(synchronize_session=False)
    )
    return read, write


def save_answer(attempt_id, position, response=None, actor=current_actor, *, course_id=None, read_response=None):
    """Store the learner's answer to one question of their open attempt (the same answer twice: no change).
    `{}` clears it. 409 ATTEMPT_CLOSED once submitted or past the deadline; 403 NOT_ENROLLED once the learner
    left the course; 422 for a shape the question does not take. The page gives `course_id` (the attempt must
    be of a quiz of that course) and `read_response(kind, view)`, which reads its form's fields for the
    question's key-free view. One read (the attempt held until the commit) and one write."""
    read, write = _autosave_statements()
    with row_locks():
        row = db.session.execute(read, {"attempt_id": attempt_id, "position": position}).first()
    if row is None or (course_id is not None and row.course_id != course_id):
        db.session.rollback()
        if row is None:  # say which: no such attempt (or not theirs), or no such position in it
            _require_owner(lock_attempt(attempt_id), actor)
            db.session.rollback()
            raise NotFound("This attempt has no question at that position.")
        raise NotFound("No such attempt.")
    try:
        _require_owner(row, actor)
        now = utcnow()
        _refuse_closed(row, now)
        if not row.enrolled:
            raise _not_enrolled()
        if read_response is not None:
            view = grading.public_view(row.kind, row.spec, f"{row.seed}:{row.question_id}", row.shuffle_options)
            response = read_response(row.kind, view)
        if errors := responses.check_response(row.kind, row.spec, response):
            raise ValidationFailed("This answer does not fit the question.", errors)
    except Exception:
        db.session.rollback()
        raise
    db.session.execute(write, {"answer_id": row.answer_id, "given": response or None, "now": now})
    db.session.commit()
    left = None if row.deadline_at is None else max(0, int((row.deadline_at - now).total_seconds()))
    return SavedAnswer(position, response or None, now, left)


def save_answers(attempt, answers, actor):
    """Several answers {position: response} at once (the brief's submit with answers): all or none."""
    for position, response in answers.items():
        answer, kind, version = question_at(attempt.id, position)
        if errors := responses.check_response(kind, version.spec, response):
            db.session.rollback()
            raise ValidationFailed(
                "An answer does not fit its question.",
                {f"answers.{position}.{name.removeprefix('response.')}": messages for name, messages in errors.items()},
            )
        answer.response = response or None
        answer.saved_at = utcnow()


# --- Submitting and grading ----------------------------------------------------------------------------


def submit_attempt(attempt_id, actor=current_actor, auto=False, answers=None, now=None):
    """Submit an attempt: it is graded at once (essays wait for a person). Submitting again changes nothing
    and returns the same result. `answers` ({position: response}) are saved first, while time allows.
    `actor` None: the system (the deadline job)."""
    attempt = lock_attempt(attempt_id)
    _require_owner(attempt, actor)
    if attempt.status != AttemptStatus.IN_PROGRESS:
        db.session.rollback()
        return attempt
    if actor is not None:
        refuse_unenrolled(attempt)  # the deadline path (no actor) still submits what was saved
    now = now or utcnow()
    if answers:
        _refuse_closed(attempt, now)
        save_answers(attempt, answers, actor)
    overdue = is_overdue(attempt, now)
    attempt.submitted_at = min(now, attempt.deadline_at) if overdue else now
    attempt.auto_submitted = bool(auto or overdue)
    quiz = db.session.get(Quiz, attempt.quiz_id)
    emit_after_commit(
        db.session,
        "assessment.submitted",
        quiz_id=quiz.id,
        attempt_id=attempt.id,
        course_id=quiz.course_id,
        user_id=attempt.user_id,
        auto_submitted=attempt.auto_submitted,
    )
    grade_attempt(attempt, quiz)
    db.session.commit()
    return attempt


def attempt_questions(attempt_id):
    """[(AttemptQuestion, kind, QuestionVersion)] of an attempt in its order."""
    return db.session.execute(
        sa.select(AttemptQuestion, Question.kind, QuestionVersion)
        .join(Question, Question.id == AttemptQuestion.question_id)
        .join(QuestionVersion, QuestionVersion.id == AttemptQuestion.version_id)
        .where(AttemptQuestion.attempt_id == attempt_id)
        .order_by(AttemptQuestion.position)
    ).all()


def grade_attempt(attempt, quiz=None):
    """Grade what a machine can grade (a person's grade stands), total the attempt, and announce it: an
    attempt whose last question is graded emits `assessment.graded` (again when its score changes), and
    the first time the learner's quiz grade reaches the pass mark, `assessment.passed`. In the caller's
    transaction."""
    quiz = quiz or db.session.get(Quiz, attempt.quiz_id)
    now = utcnow()
    rows = attempt_questions(attempt.id)
    for answer, kind, version in rows:
        if answer.graded_manually:
            continue  # a person graded it
        if kind == QuestionKind.ESSAY and grading.is_answered(answer.response):
            answer.fraction = answer.score = None  # waits for a person
            continue
        fraction = grading.grade(kind, version.spec, answer.response).fraction
        answer.fraction = 0.0 if fraction is None else fraction  # None: an essay left empty, nothing to read
        answer.score = round(answer.fraction * answer.points, 6)
        answer.graded_at = now
    before = (attempt.status, attempt.score)
    attempt.max_score = sum(answer.points for answer, _kind, _version in rows)
    if any(answer.fraction is None for answer, _kind, _version in rows):
        attempt.status = AttemptStatus.SUBMITTED
        attempt.score = attempt.percent = attempt.passed = None
        return False
    attempt.status = AttemptStatus.GRADED
    attempt.score = round(sum(answer.score for answer, _kind, _version in rows), 6)
    attempt.percent = round(100.0 * attempt.score / attempt.max_score, 4) if attempt.max_score else 0.0
    attempt.passed = attempt.percent >= quiz.pass_percent - 1e-9
    if before == (attempt.status, attempt.score):
        return False
    emit_after_commit(
        db.session,
        "assessment.graded",
        quiz_id=quiz.id,
        attempt_id=attempt.id,
        course_id=quiz.course_id,
        user_id=attempt.user_id,
        score=attempt.score,
        max_score=attempt.max_score,
        percent=attempt.percent,
        passed=attempt.passed,
    )
    _announce_first_pass(attempt, quiz)
    return True


def quiz_grade(quiz, user_id):
    """A learner's grade in a quiz (percent) by its grading method over their graded attempts; None before any."""
    percents = db.session.scalars(
        sa.select(QuizAttempt.percent)
        .where(
            QuizAttempt.quiz_id == quiz.id,
            QuizAttempt.user_id == user_id,
            QuizAttempt.status == AttemptStatus.GRADED,
        )
        .order_by(QuizAttempt.number)
    ).all()
    if not percents:
        return None
    if quiz.grading_method == GradingMethod.LAST:
        return percents[-1]
    if quiz.grading_method == GradingMethod.AVERAGE:
        return round(statistics.fmean(percents), 4)
    return max(percents)


def _announce_first_pass(attempt, quiz):
    already = db.session.scalar(
        sa.select(QuizAttempt.id).where(
            QuizAttempt.quiz_id == quiz.id,
            QuizAttempt.user_id == attempt.user_id,
            QuizAttempt.passed_quiz_at.is_not(None),
        )
    )
    if already is not None:
        return
    db.session.flush()
    grade = quiz_grade(quiz, attempt.user_id)
    if grade is None or grade < quiz.pass_percent - 1e-9:
        return
    attempt.passed_quiz_at = utcnow()
    emit_after_commit(
        db.session,
        "assessment.passed",
        item_id=quiz.item_id,
        user_id=attempt.user_id,
        score=attempt.score,
        quiz_id=quiz.id,
        attempt_id=attempt.id,
        course_id=quiz.course_id,
        percent=grade,
    )


def sweep_overdue(app):
    """`submit_overdue_attempts()` in every active organization; returns how many attempts it submitted."""
    with app.app_context():
        tenants = active_tenants()
    submitted = 0
    for tenant in tenants:
        try:
            with tenant_context(tenant, app):
                submitted += submit_overdue_attempts()
        except Exception:  # one organization's trouble must not stop the others' deadlines
            log.exception("Submitting the overdue attempts of %s failed", tenant.slug)
    return submitted
