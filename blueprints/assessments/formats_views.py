"""The question import page (a file or pasted text: dry run, report by line, then confirm) and the export
downloads, for a course's bank (`/courses/<id>/questions/...`) and the organization bank (`/questions/...`).
The bank's own pages link here (`assessment_formats.import_questions`, `assessment_formats.export_questions`).
"""

from flask import Blueprint, Response, render_template, request

from app.errors import DomainError, NotFound, ValidationFailed
from app.forms import apply_domain_error
from app.security.actor import current_actor
from app.security.principal import requires
from blueprints.assessments import bank, question_import
from blueprints.assessments.formats_forms import CheckForm, ConfirmForm
from blueprints.assessments.models import QuestionKind
from blueprints.courses import access

bp = Blueprint("assessment_formats", __name__)
STAFF = bank.STAFF_PERMISSION
KIND_NAMES = {
    QuestionKind.SINGLE: "Single choice",
    QuestionKind.MULTIPLE: "Multiple choice",
    QuestionKind.TRUE_FALSE: "True/false",
    QuestionKind.SHORT: "Short answer",
    QuestionKind.NUMERIC: "Numeric",
    QuestionKind.ORDERING: "Ordering",
    QuestionKind.MATCHING: "Matching",
    QuestionKind.BLANKS: "Fill in the blanks",
    QuestionKind.ESSAY: "Essay",
}


def _routes(path, **options):
    """The route under a course's bank and under the organization bank (as the bank's pages do)."""

    def register(view):
        bp.add_url_rule(f"/courses/<int:course_id>/questions{path}", view_func=view, **options)
        bp.add_url_rule(f"/questions{path}", view_func=view, defaults={"course_id": None}, **options)
        return view

    return register


def _bank_of(course_id):
    """The course whose bank this is (its managers only), or None for the organization bank (staff)."""
    if course_id is None:
        if not bank.is_staff(current_actor):
            raise NotFound("No such page.")
        return None
    return access.course_for(course_id, "manage")


def _page(course, form, status=200, **context):
    context.setdefault("confirm", None)
    context.setdefault("report", None)
    context.setdefault("imported", None)
    page = render_template(
        "assessments/import.html", course=course, form=form, kinds=KIND_NAMES, limits=_limits(), **context
    )
    return page, status


def _limits():
    max_bytes, max_questions = question_import.limits()
    return {"size": question_import.size_text(max_bytes), "questions": max_questions}


@_routes("/import", methods=["GET", "POST"])
@requires(STAFF)
def import_questions(course_id):
    """Check a GIFT or Aiken file against this bank: what would be imported, and each bad question by line."""
    course = _bank_of(course_id)
    form = CheckForm()
    if not form.validate_on_submit():
        return _page(course, form, 422 if form.is_submitted() else 200)
    try:
        text = _text_of(form)
        report = question_import.check_file(text, form.format.data, course_id)
        token = question_import.hold_checked(text, form.format.data, course_id)
    except DomainError as error:
        apply_domain_error(form, error)
        return _page(course, form, error.status)
    confirm = ConfirmForm(formdata=None, token=token)
    return _page(course, form, report=report, confirm=confirm)


def _text_of(form):
    upload = form.file.data
    pasted = (form.text.data or "").strip()
    if upload and getattr(upload, "filename", ""):
        if pasted:
            raise ValidationFailed(
                "Choose a file or paste questions, not both.", {"file": ["Choose a file or paste questions, not both."]}
            )
        return question_import.read_upload(upload.stream)
    if not pasted:
        message = "Choose a file or paste questions."
        raise ValidationFailed(message, {"file": [message]})
    return question_import.check_text(form.text.data)


@_routes("/import/confirm", methods=["POST"])
@requires(STAFF)
def confirm_import(course_id):
    """Import the checked file's questions into this bank (all of them, or only the valid ones)."""
    course = _bank_of(course_id)
    confirm = ConfirmForm()
    form = CheckForm(formdata=None)
    if not confirm.validate_on_submit():
        form.form_errors.append("Check the file again.")
        return _page(course, form, 422)
    try:
        text, file_format = question_import.take_checked(confirm.token.data, course_id)
    except DomainError as error:
        apply_domain_error(form, error)
        return _page(course, form, error.status)
    try:
        report = question_import.import_file(text, file_format, course_id, only_valid=confirm.only_valid.data)
    except DomainError as error:
        token = question_import.hold_checked(text, file_format, course_id)  # still there to confirm
        report = question_import.check_file(text, file_format, course_id)
        retry = ConfirmForm(formdata=None, token=token)
        retry.only_valid.errors = [error.message]
        return _page(course, form, error.status, report=report, confirm=retry)
    return _page(course, CheckForm(formdata=None), 200, imported=report)


@_routes("/export", methods=["GET"])
@requires(STAFF)
def export_questions(course_id):
    """Download this bank as a GIFT or Aiken text file (`?format=gift|aiken`)."""
    _bank_of(course_id)
    file_format = request.args.get("format", "gift")
    if file_format not in question_import.FORMATS:
        raise NotFound("No such export format.")
    export = question_import.export_questions(file_format, course_id=course_id)
    return Response(
        export.text,
        mimetype="text/plain",
        headers={"Content-Disposition": f'attachment; filename="{export.filename}"', "Cache-Control": "no-store"},
    )
