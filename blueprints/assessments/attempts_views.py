"""The learner's quiz pages (the quiz in the player, the attempt with autosave and the server's timer, the
review) and the staff's pages (a course's results and grading queue, a quiz's results, regrading).

The attempt page is one form: without JavaScript, "Submit answers" posts every answer on the page; with it
(static/js/attempt.js) each answer is saved as it is given, kept in the page while offline and sent when the
connection returns. Both go through `response_from_form`, so the browser and the server read a question's
fields the same way.
"""

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for

from app.api.listing import parse_list_query
from app.errors import DomainError, NotFound
from app.pages import render_page
from app.security.actor import current_actor
from app.security.principal import requires
from blueprints.assessments import attempts, bank, grading_queue, quizzes, results, review
from blueprints.assessments.attempts_api import blp as attempts_api
from blueprints.assessments.attempts_cli import attempts_cli
from blueprints.assessments.models import AttemptStatus, QuestionKind, QuizLayout
from blueprints.courses import access

bp = Blueprint("assessment_attempts", __name__, url_prefix="/courses/<int:course_id>")
RESULTS_PER_PAGE = "50"


def plug(api_blueprints, page_blueprints, commands):
    """The attempts part's API, pages and command, for the feature's `register`."""
    api_blueprints.append(attempts_api)
    page_blueprints.append(bp)
    commands.append(attempts_cli)


# --- reading a question's fields --------------------------------------------------------------------------


def _one(form, name, _view):
    return (form.get(name) or "").strip()


def _keyed(form, name, ids):
    return {key: form.get(f"{name}-{key}") for key in ids if form.get(f"{name}-{key}")}


def _in(key, value):
    return {key: value} if value else {}


FORM_READERS = {
    QuestionKind.SINGLE: lambda form, name, view: _in("choice", _one(form, name, view)),
    QuestionKind.MULTIPLE: lambda form, name, _view: _in("choices", [c for c in form.getlist(name) if c]),
    QuestionKind.TRUE_FALSE: lambda form, name, view: (
        {"value": _one(form, name, view) == "true"} if _one(form, name, view) in ("true", "false") else {}
    ),
    QuestionKind.SHORT: lambda form, name, view: _in("text", form.get(name) if _one(form, name, view) else ""),
    QuestionKind.ESSAY: lambda form, name, view: _in("text", form.get(name) if _one(form, name, view) else ""),
    QuestionKind.NUMERIC: lambda form, name, view: _in("value", _one(form, name, view)),
    QuestionKind.ORDERING: lambda form, name, view: _in(
        "order", _complete([form.get(f"{name}-{rank}") or "" for rank in range(1, len(view["items"]) + 1)])
    ),
    QuestionKind.MATCHING: lambda form, name, view: _in(
        "matches", _keyed(form, name, [p["id"] for p in view["prompts"]])
    ),
    QuestionKind.BLANKS: lambda form, name, view: _in("blanks", _keyed(form, name, [b["id"] for b in view["blanks"]])),
}


def _complete(order):
    return order if all(order) else []


def response_from_form(kind, view, form, position):
    """The response a question's form fields say (`a<position>`, `a<position>-<id or rank>`); `{}` for none."""
    return FORM_READERS[kind](form, f"a{position}", view)


def _attempt_in_course(course_id, attempt_id):
    attempt, staff = attempts.attempt_to_read(attempt_id)
    quiz = attempts.quiz_of(attempt)
    if quiz.course_id != course_id:
        raise NotFound("No such attempt.")
    return attempt, quiz, staff


def _quiz_in_course(course_id, quiz_id, need):
    quiz = quizzes.get_quiz(quiz_id, need)
    if quiz.course_id != course_id:
        raise NotFound("No such assessment.")
    return quiz


def _form_answers(attempt, quiz, form):
    """{position: response} of the questions the form carries (`q` lists their positions)."""
    positions = {int(p) for p in form.getlist("q") if p.isdigit()}
    answers = {}
    for answer, kind, version in attempts.attempt_questions(attempt.id):
        if answer.position in positions:
            view = review.public_view_of(attempt, quiz, answer, kind, version)
            answers[answer.position] = response_from_form(kind, view, form, answer.position)
    return answers


# --- the learner's pages ---------------------------------------------------------------------------------


@bp.get("/items/<int:item_id>/quiz")
@requires("courses.read")
def item_quiz(course_id, item_id):
    """The assessment of a course item, as the player shows it: start or resume, your attempts, your grade."""
    course, item = access.course_item_for(course_id, item_id, "lessons")
    quiz = quizzes.quiz_for_item(item.id)
    if quiz is None:
        return render_page("assessments/attempt_quiz.html", partial="assessments/_attempt_quiz.html", quiz=None)
    return _quiz_home(course.id, quiz.id)


@bp.get("/quizzes/<int:quiz_id>/take")
@requires("courses.read")
def quiz_home(course_id, quiz_id):
    """An assessment's page for its learners: what it asks, your attempts and grade, start or resume."""
    return _quiz_home(course_id, quiz_id)


def _quiz_home(course_id, quiz_id):
    quiz = _quiz_in_course(course_id, quiz_id, "see")
    summary = review.quiz_summary(quiz, current_actor)
    return render_page(
        "assessments/attempt_quiz.html", partial="assessments/_attempt_quiz.html", quiz=quiz, summary=summary
    )


@bp.post("/quizzes/<int:quiz_id>/start")
@requires("courses.learn")
def start(course_id, quiz_id):
    """Start an attempt (or resume yours) and open it."""
    _quiz_in_course(course_id, quiz_id, "take")
    attempt = attempts.start_attempt(quiz_id)
    return redirect(url_for(".attempt", course_id=course_id, attempt_id=attempt.id))


@bp.get("/attempts/<int:attempt_id>")
@requires("courses.read")
def attempt(course_id, attempt_id):
    """An attempt: the questions while it is open (answers save as you give them), the review once submitted."""
    attempt, quiz, staff = _attempt_in_course(course_id, attempt_id)
    if attempt.status == AttemptStatus.IN_PROGRESS and not staff:
        attempts.refuse_unenrolled(attempt)  # 403 with the reason, rather than a form whose saves are refused
    view = review.attempt_view(attempt, quiz, staff=staff)
    if attempt.status == AttemptStatus.IN_PROGRESS and not staff:
        questions = view["questions"]
        page = _page_number(quiz, len(questions))
        shown = questions if quiz.layout != QuizLayout.ONE_PER_PAGE else questions[page - 1 : page]
        return render_template(
            "assessments/attempt_take.html",
            quiz=quiz,
            attempt=view,
            course_id=course_id,
            shown=shown,
            page=page,
            pages=1 if quiz.layout != QuizLayout.ONE_PER_PAGE else len(questions),
            answered=sum(1 for q in questions if q["response"]),
        )
    return render_template(
        "assessments/attempt_review.html",
        quiz=quiz,
        attempt=view,
        course_id=course_id,
        staff=staff,
        learner=review.learner_name(attempt.user_id) if staff else None,
        can_grade=staff and access_manages(quiz),
    )


def _page_number(quiz, count):
    try:
        page = int(request.args.get("page", "1"))
    except ValueError:
        page = 1
    return min(max(page, 1), max(count, 1))


def access_manages(quiz):
    try:
        quizzes.get_quiz(quiz.id, "manage")
    except DomainError:
        return False
    return True


@bp.get("/attempts/<int:attempt_id>/questions/<int:position>/image")
@requires("courses.read")
def attempt_image(course_id, attempt_id, position):
    """The image under a question's stem, for whoever reads the attempt (its learner, staff in results reach)."""
    attempt, _quiz, _staff = _attempt_in_course(course_id, attempt_id)
    return bank.image_response(attempts.question_image(attempt, position))


@bp.post("/attempts/<int:attempt_id>/answers/<int:position>")
@requires("courses.learn")
def save(course_id, attempt_id, position):
    """Autosave one answer (the page's script posts the question's fields); JSON for the script."""
    try:
        saved = attempts.save_answer(
            attempt_id,
            position,
            course_id=course_id,
            read_response=lambda kind, view: response_from_form(kind, view, request.form, position),
        )
    except DomainError as error:
        body = {"saved": False, "code": error.code, "message": error.message, "details": error.details}
        return jsonify(body), error.status
    return jsonify(saved=True, saved_at=saved.saved_at.isoformat() + "Z", seconds_left=saved.seconds_left)


@bp.post("/attempts/<int:attempt_id>/submit")
@requires("courses.learn")
def submit(course_id, attempt_id):
    """Submit your attempt with the answers on the page (what was saved counts too); then its review."""
    attempt, quiz, _staff = _attempt_in_course(course_id, attempt_id)
    answers = _form_answers(attempt, quiz, request.form) if attempt.status == AttemptStatus.IN_PROGRESS else {}
    if answers and attempts.is_overdue(attempt):
        answers = {}  # time is up: what was saved counts, nothing later
    attempts.submit_attempt(attempt.id, answers=answers)
    flash("Your answers are submitted.")
    return redirect(url_for(".attempt", course_id=course_id, attempt_id=attempt.id))


# --- the staff's pages ---------------------------------------------------------------------------------


@bp.get("/results")
@requires("courses.manage")
def course_results(course_id):
    """A course's assessments with their results, and the answers waiting for a person."""
    course = access.course_for(course_id, "manage")
    return render_template(
        "assessments/results_course.html",
        course=course,
        quizzes=results.quizzes_overview(course.id),
        pending=grading_queue.pending_for_course(course.id),
    )


@bp.get("/quizzes/<int:quiz_id>/results")
@requires("courses.read")
def quiz_results(course_id, quiz_id):
    """A quiz's results per learner and per question, in your reach."""
    quiz = _quiz_in_course(course_id, quiz_id, "see")
    args = request.args.copy()
    args.setdefault("per_page", RESULTS_PER_PAGE)
    _quiz, learners = results.learner_results(quiz.id, parse_list_query(args, results.LEARNER_RESULTS))
    _quiz, questions = results.question_results(
        quiz.id, parse_list_query({"per_page": "100"}, results.QUESTION_RESULTS)
    )
    return render_template(
        "assessments/results_quiz.html",
        quiz=quiz,
        course_id=course_id,
        learners=learners,
        questions=questions.items,
        manages=access_manages(quiz),
        q=request.args.get("filter[q]", ""),
    )


@bp.post("/attempts/<int:attempt_id>/answers/<int:position>/grade")
@requires("courses.manage")
def grade(course_id, attempt_id, position):
    """Grade one answer (score and comment); back to where you came from."""
    attempt, _quiz, _staff = _attempt_in_course(course_id, attempt_id)
    try:
        score = float(request.form.get("score", ""))
    except ValueError:
        score = None
    grading_queue.grade_answer(attempt.id, position, score, request.form.get("comment", ""))
    flash(f"Graded question {position} of attempt {attempt.number}.")
    back = request.form.get("back")
    if back == "queue":
        return redirect(url_for(".course_results", course_id=course_id) + "#grading")
    return redirect(url_for(".attempt", course_id=course_id, attempt_id=attempt.id))


@bp.get("/quizzes/<int:quiz_id>/regrade")
@requires("courses.manage")
def regrade_preview(course_id, quiz_id):
    """Whose grade a regrade of one question would change, old -> new, before anything is written."""
    quiz = _quiz_in_course(course_id, quiz_id, "manage")
    question_id = request.args.get("question_id", type=int)
    current = request.args.get("use_current_version") == "1"
    if question_id is None:
        raise NotFound("Choose a question to regrade.")
    changes = grading_queue.regrade_preview(quiz.id, question_id, current)
    return render_template(
        "assessments/results_regrade.html",
        quiz=quiz,
        course_id=course_id,
        question=review.question_title(question_id),
        question_id=question_id,
        use_current_version=current,
        changes=changes,
    )


@bp.post("/quizzes/<int:quiz_id>/regrade")
@requires("courses.manage")
def regrade(course_id, quiz_id):
    """Apply a regrade of one question."""
    quiz = _quiz_in_course(course_id, quiz_id, "manage")
    question_id = request.form.get("question_id", type=int)
    if question_id is None:
        raise NotFound("Choose a question to regrade.")
    changes = grading_queue.regrade(quiz.id, question_id, request.form.get("use_current_version") == "1")
    flash(f"Regraded: {len(changes)} attempts changed.")
    return redirect(url_for(".quiz_results", course_id=course_id, quiz_id=quiz.id))


bp.add_app_template_global(review.describe, "attempt_answer_in_words")
bp.add_app_template_global(review.stem_parts, "attempt_stem_parts")
