"""The question bank's pages: a course's bank (`/courses/<id>/questions`), the organization bank
(`/questions`), the editor of each kind with a live preview (the learner's view, re-rendered as the teacher
types, and "try an answer" graded), and a question's versions.

Every route of a question exists twice: under its course (`/courses/<id>/questions/<qid>`) and, for the
organization bank, under `/questions/<qid>`; a question reached under the wrong one is not found there.
"""

from flask import Blueprint, abort, flash, redirect, request, url_for
from werkzeug.datastructures import MultiDict

from app.api.listing import parse_list_query
from app.errors import Conflict, NotFound, ValidationFailed
from app.pages import is_htmx, render_page
from app.security.actor import current_actor
from app.security.principal import requires
from blueprints.assessments import bank, bank_forms
from blueprints.assessments.grading import public_view
from blueprints.assessments.models import QuestionKind
from blueprints.courses import access

bp = Blueprint("assessment_bank", __name__)
STAFF = bank.STAFF_PERMISSION
PAGE_SIZE = 20
COURSE = "/courses/<int:course_id>/questions"
ORGANIZATION = "/questions"


def _routes(path, **options):
    """The route under a course's bank and under the organization bank."""

    def register(view):
        bp.add_url_rule(f"{ORGANIZATION}{path}", view_func=view, defaults={"course_id": None}, **options)
        bp.add_url_rule(f"{COURSE}{path}", view_func=view, **options)
        return view

    return register


def _bank_of(course_id):
    """The course whose bank the page shows (checked: its managers only), or None for the organization bank."""
    if course_id is None:
        if not bank.is_staff(current_actor):
            raise NotFound("No such page.")
        return None
    return access.course_for(course_id, "manage")


def _question_in(course_id, question_id, need="see"):
    """A question reached under `course_id`'s bank (None: the organization bank's), as the actor may."""
    question = bank.get_question(question_id, need)
    if question.course_id != course_id:
        raise NotFound("No such question in this bank.")
    return question


def _bank_url(endpoint, course_id, **values):
    return url_for(endpoint, course_id=course_id, **values)


def _list_query(args):
    mapped = MultiDict({"page": args.get("page", "1"), "per_page": str(PAGE_SIZE)})
    if args.get("q"):
        mapped["filter[q]"] = args["q"][:200]
    if args.get("kind") in QuestionKind.ALL:
        mapped["filter[kind]"] = args["kind"]
    if args.get("tag"):
        mapped["filter[tag]"] = args["tag"][:60]
    if args.get("archived") == "y":
        mapped["filter[archived]"] = "true"
    return parse_list_query(mapped, bank.QUESTION_LIST)


@_routes("")
@requires(STAFF)
def index(course_id):
    """The questions of a course's bank (or of the organization's): search, kinds, tags, archived ones."""
    course = _bank_of(course_id)
    query = _list_query(request.args)
    page, views = bank.list_questions(query, course_id=course_id, organization=course is None)
    context = {
        "course": course,
        "course_id": course_id,
        "page": page,
        "questions": views,
        "args": request.args,
        "kinds": bank_forms.KIND_NAMES,
        "last_page": max(1, -(-page.total // PAGE_SIZE)),
    }
    return render_page("assessments/bank/index.html", partial="assessments/bank/_results.html", **context)


def _kind_from(args):
    kind = args.get("kind", "")
    return kind if kind in QuestionKind.ALL else None


def _editor(course, course_id, draft, *, question=None, errors=None, preview=None, status=200):
    if question is None:
        form_url = url_for("assessment_bank.new", course_id=course_id, kind=draft.kind)
    else:
        form_url = url_for("assessment_bank.edit", course_id=course_id, question_id=question.id)
        if preview is None and not errors:
            preview = _preview_of(draft, MultiDict())
    context = {
        "form_url": form_url,
        "course": course,
        "course_id": course_id,
        "question": question,
        "draft": draft,
        "errors": errors or {},
        "preview": preview,
        "kinds": bank_forms.KIND_NAMES,
        "match_names": bank_forms.MATCH_NAMES,
        "percent_text": bank_forms.percent_text,
        "rows": bank_forms.ROWS.get(draft.kind),
        "stem_with_blanks": bank_forms.stem_with_blanks,
    }
    if is_htmx() and request.form.get("op"):
        return render_page("assessments/bank/editor.html", partial="assessments/bank/_spec_fields.html", **context)
    return render_page("assessments/bank/editor.html", **context), status


def _preview_of(draft, form):
    """The learner's view of a draft and the grade of the answer tried in it; the draft's problems instead
    while it is no valid question yet."""
    points = draft.default_points if isinstance(draft.default_points, float) else 1.0
    try:
        shown = bank.preview(draft.kind, draft.stem_html, draft.spec, default_points=points, title=draft.title)
        response = bank_forms.response_from_form(draft.kind, form, shown.view)
        if response is not None:
            shown = bank.preview(
                draft.kind, draft.stem_html, draft.spec, default_points=points, title=draft.title, response=response
            )
    except ValidationFailed as error:
        return {"problems": _errors(error)}
    return {"shown": shown, "response": response or {}}


def _save_new(course_id, draft):
    image = request.files.get("image")
    return bank.create_question(
        course_id,
        draft.kind,
        draft.title,
        draft.stem_html,
        draft.spec,
        tags=draft.tags,
        general_feedback_html=draft.general_feedback_html,
        default_points=draft.default_points,
        image=image.stream if image and image.filename else None,
        image_alt=draft.image_alt,
    )


@_routes("/new", methods=["GET", "POST"])
@requires(STAFF)
def new(course_id):
    """A new question: pick a kind, fill in its text and answer key, watch the learner's view as you type."""
    course = _bank_of(course_id)
    kind = _kind_from(request.values)
    if kind is None:
        return render_page("assessments/bank/new.html", course=course, course_id=course_id, kinds=bank_forms.KIND_NAMES)
    if request.method == "GET":
        draft = bank_forms.Draft(kind=kind, spec=bank_forms.empty_spec(kind))
        return _editor(course, course_id, draft)
    draft = bank_forms.draft_from_form(kind, request.form)
    op = request.form.get("op", "")
    if op == "preview" or bank_forms.apply_row_op(draft, op):
        return _editor(course, course_id, draft, preview=_preview_of(draft, request.form))
    try:
        question = _save_new(course_id, draft)
    except (ValidationFailed, Conflict) as error:  # a refusal (403, 404) is its own page
        return _editor(course, course_id, draft, errors=_errors(error), status=422)
    flash("Question saved.")
    return redirect(_bank_url("assessment_bank.edit", course_id, question_id=question.id))


def _errors(error):
    """A refusal's messages by field; credits are typed in percent on the page, not as fractions."""
    if not error.details:
        return {"_form": [error.message]}
    return {field: [_in_percent(message) for message in messages] for field, messages in error.details.items()}


def _in_percent(message):
    return message.replace("A fraction of the points between 0 and 1.", "A credit from 0 to 100 %.").replace(
        "(fraction 1)", "(100 %)"
    )


@_routes("/<int:question_id>", methods=["GET", "POST"])
@requires(STAFF)
def edit(course_id, question_id):
    """Edit a question: its title and tags in place; its text and answer key as a new version."""
    course = _bank_of(course_id)
    question = _question_in(course_id, question_id)
    view = bank.question_view(question)
    if request.method == "GET":
        return _editor(course, course_id, bank_forms.draft_of(view), question=view)
    draft = bank_forms.draft_from_form(question.kind, request.form)
    op = request.form.get("op", "")
    if op == "preview" or bank_forms.apply_row_op(draft, op):
        return _editor(course, course_id, draft, question=view, preview=_preview_of(draft, request.form))
    draft.spec = bank_forms.kept_spec(question.kind, view.version.spec, draft.spec)
    image = request.files.get("image")
    try:
        bank.update_question(
            question.id,
            title=draft.title,
            tags=draft.tags,
            change_note=draft.change_note,
            image=image.stream if image and image.filename else None,
            remove_image=request.form.get("remove_image") == "y",
            **draft.content(),
        )
    except (ValidationFailed, Conflict) as error:  # a refusal (403, 404) is its own page
        return _editor(course, course_id, draft, question=view, errors=_errors(error), status=422)
    flash("Question saved.")
    return redirect(_bank_url("assessment_bank.edit", course_id, question_id=question.id))


@_routes("/preview", methods=["POST"])
@requires(STAFF)
def preview(course_id):
    """The live preview (HTMX): the learner's view of what the editor holds now, and a tried answer's grade."""
    _bank_of(course_id)
    kind = _kind_from(request.form)
    if kind is None:
        abort(400)
    draft = bank_forms.draft_from_form(kind, request.form)
    return render_page(
        "assessments/bank/_preview.html",
        partial="assessments/bank/_preview.html",
        draft=draft,
        preview=_preview_of(draft, request.form),
        course_id=course_id,
        stem_with_blanks=bank_forms.stem_with_blanks,
    )


@_routes("/<int:question_id>/versions")
@requires(STAFF)
def versions(course_id, question_id):
    """Every version of a question, and the content of the one chosen (with its answer key)."""
    course = _bank_of(course_id)
    question = _question_in(course_id, question_id)
    _, all_versions = bank.versions_of(question.id)
    wanted = request.args.get("number", "")
    number = int(wanted) if wanted.isascii() and wanted.isdigit() and len(wanted) < 6 else question.current_version
    shown = bank.version_of(question, number)
    return render_page(
        "assessments/bank/versions.html",
        course=course,
        course_id=course_id,
        question=bank.question_view(question),
        versions=all_versions,
        shown=shown,
        view=public_view(question.kind, shown.spec, bank.PREVIEW_SEED, shuffle_options=False),
        kinds=bank_forms.KIND_NAMES,
    )


def _act(course_id, question_id, action, done):
    _bank_of(course_id)
    question = _question_in(course_id, question_id)
    action(question.id)
    flash(done)
    if action is bank.share_question:
        return redirect(url_for("assessment_bank.edit", course_id=None, question_id=question.id))
    return redirect(_bank_url("assessment_bank.edit", course_id, question_id=question.id))


@_routes("/<int:question_id>/archive", methods=["POST"])
@requires(STAFF)
def archive(course_id, question_id):
    """Archive a question: out of the bank and of new draws; quizzes that use it keep it."""
    return _act(course_id, question_id, bank.archive_question, "Question archived.")


@_routes("/<int:question_id>/restore", methods=["POST"])
@requires(STAFF)
def restore(course_id, question_id):
    """Bring an archived question back."""
    return _act(course_id, question_id, bank.restore_question, "Question restored.")


@_routes("/<int:question_id>/share", methods=["POST"])
@requires(STAFF)
def share(course_id, question_id):
    """Move a course's question into the organization bank, for every teacher to draw from."""
    return _act(course_id, question_id, bank.share_question, "Shared: the question is in the organization bank now.")


@_routes("/<int:question_id>/image")
@requires(STAFF)
def image(course_id, question_id):
    """A version's stem image (the current one's unless `?version=`)."""
    _question_in(course_id, question_id)
    wanted = request.args.get("version", "")
    number = int(wanted) if wanted.isascii() and wanted.isdigit() and len(wanted) < 6 else None
    return bank.serve_image(question_id, number)
