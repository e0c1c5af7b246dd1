"""The quiz builder (teachers and course managers): a course's quizzes, a quiz's settings, its questions from the
banks (a search picker, random draws by tag), their order and points, accommodations, publishing, deleting."""

from datetime import UTC
from zoneinfo import ZoneInfo

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    DecimalField,
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from app.api.listing import parse_list_query
from app.errors import DomainError, NotFound, ValidationFailed
from app.forms import apply_domain_error
from app.pages import is_htmx
from app.security.principal import requires
from app.tenancy.context import get_current_tenant
from blueprints.assessments import quizzes
from blueprints.assessments.models import GradingMethod, QuizLayout, ReviewWhen
from blueprints.courses import access
from blueprints.courses import services as courses
from blueprints.learning import roster
from blueprints.users.queries import names_of

bp = Blueprint("assessment_quizzes", __name__, url_prefix="/courses/<int:course_id>/quizzes")

GRADING = [
    SelectChoice(GradingMethod.HIGHEST, "Highest attempt"),
    SelectChoice(GradingMethod.LAST, "Last attempt"),
    SelectChoice(GradingMethod.AVERAGE, "Average of attempts"),
]
LAYOUTS = [
    SelectChoice(QuizLayout.ALL_ON_ONE, "All questions on one page"),
    SelectChoice(QuizLayout.ONE_PER_PAGE, "One question per page"),
]
WHEN = [
    SelectChoice(ReviewWhen.IMMEDIATELY, "Right after submitting"),
    SelectChoice(ReviewWhen.AFTER_CLOSE, "After the quiz closes"),
    SelectChoice(ReviewWhen.NEVER, "Never"),
]
NEW_MODULE, NO_ITEM = -1, 0


class NewQuizForm(FlaskForm):
    title = StringField("Title", validators=[DataRequired(), Length(max=200)])
    module_id = SelectField(
        "Place in the outline", coerce=int, description="Learners find the quiz there; passing it completes that item."
    )
    module_title = StringField("New module's name", validators=[Optional(), Length(max=200)])


class SettingsForm(FlaskForm):
    title = StringField("Title", validators=[DataRequired(), Length(max=200)])
    description = TextAreaField("Instructions", render_kw={"data-rich-text": True, "rows": 4})
    time_limit_minutes = IntegerField(
        "Time limit (minutes)",
        validators=[Optional(), NumberRange(min=1, max=quizzes.MAX_TIME_LIMIT_MINUTES)],
        description="Empty: untimed. An open attempt is submitted at its deadline.",
    )
    opens_at = DateTimeLocalField("Opens", validators=[Optional()])
    closes_at = DateTimeLocalField("Closes", validators=[Optional()])
    attempts_allowed = IntegerField(
        "Attempts allowed",
        validators=[Optional(), NumberRange(min=1, max=quizzes.MAX_ATTEMPTS)],
        description="Empty: unlimited.",
    )
    grading_method = SelectField("Grade", choices=GRADING)
    pass_percent = DecimalField(
        "Pass mark (%)", places=None, validators=[DataRequired(message="From 0 to 100."), NumberRange(min=0, max=100)]
    )
    shuffle_questions = BooleanField("Shuffle the questions for each attempt")
    shuffle_options = BooleanField("Shuffle the options of choice questions")
    layout = SelectField("Layout", choices=LAYOUTS)
    review_score = SelectField("Learners see their score", choices=WHEN)
    review_answers = SelectField("…the correct answers", choices=WHEN)
    review_feedback = SelectField("…the feedback", choices=WHEN)
    published = BooleanField("Published: enrolled learners may take it")


class AccommodationForm(FlaskForm):
    user_id = SelectField("Learner", coerce=int, validators=[DataRequired(message="Choose a learner.")])
    extra_minutes = IntegerField(
        "Extra minutes", default=0, validators=[Optional(), NumberRange(min=0, max=quizzes.MAX_EXTRA_MINUTES)]
    )
    extra_attempts = IntegerField(
        "Extra attempts", default=0, validators=[Optional(), NumberRange(min=0, max=quizzes.MAX_EXTRA_ATTEMPTS)]
    )


def _zone():
    """The organization's time zone: windows are typed and shown in it, stored in UTC."""
    tenant = get_current_tenant()
    try:
        return ZoneInfo((tenant.settings or {}).get("time_zone") or "UTC")
    except (KeyError, ValueError):
        return ZoneInfo("UTC")


def _local(moment):
    return moment.replace(tzinfo=UTC).astimezone(_zone()).replace(tzinfo=None) if moment else None


def _utc(local):
    return local.replace(tzinfo=_zone()).astimezone(UTC).replace(tzinfo=None) if local else None


def _placements(course):
    """Where a new quiz may go: a module of the course (its item at the end), a new module, or no item yet."""
    modules = courses.outline(course)
    return [
        *[(m["id"], f"At the end of “{m['title']}”") for m in modules],
        (NEW_MODULE, "In a new module (name it below)"),
        (NO_ITEM, "Nowhere yet (link it later)"),
    ]


@bp.route("", methods=["GET", "POST"])
@requires("courses.manage")
def index(course_id):
    """A course's quizzes, and a new one."""
    course = access.course_for(course_id, "manage")
    form = NewQuizForm()
    form.module_id.choices = _placements(course)
    if form.validate_on_submit():
        place = {}
        if form.module_id.data == NEW_MODULE:
            place = {"module_title": form.module_title.data or ""}
        elif form.module_id.data != NO_ITEM:
            place = {"module_id": form.module_id.data}
        try:
            quiz = quizzes.create_quiz(course.id, title=form.title.data, **place)
            flash("Quiz created: add its questions, then publish it.")
            return redirect(url_for(".builder", course_id=course.id, quiz_id=quiz.id))
        except DomainError as error:
            apply_domain_error(form, error)
            if "module_id" in error.details:
                form.module_title.errors = [*form.module_title.errors, *error.details["module_id"]]
    return render_template(
        "assessments/quiz_index.html", course=course, quizzes=quizzes.quizzes_of_course(course.id), form=form
    )


def _quiz_in(course_id, quiz_id):
    """The course (managed by the actor) and one of its quizzes; a quiz of another course is not found here."""
    course = access.course_for(course_id, "manage")
    quiz = quizzes.get_quiz(quiz_id, "manage")
    if quiz.course_id != course.id:
        raise NotFound("No such assessment.")
    return course, quiz


def _settings_form(quiz, formdata=None):
    data = {
        name: getattr(quiz, name)
        for name in (
            "title",
            "time_limit_minutes",
            "attempts_allowed",
            "grading_method",
            "pass_percent",
            "shuffle_questions",
            "shuffle_options",
            "layout",
            "review_score",
            "review_answers",
            "review_feedback",
            "published",
        )
    }
    data.update(description=quiz.description_html, opens_at=_local(quiz.opens_at), closes_at=_local(quiz.closes_at))
    return SettingsForm(formdata=formdata, data=data)


def _learner_choices(course):
    """The course's enrolled learners (first 100 by name): whom an accommodation may be for."""
    query = parse_list_query(MultiDict({"per_page": "100", "filter[status]": "active"}), roster.PROGRESS_LIST)
    rows = roster.course_progress(course, query).items
    return [(0, "Choose a learner")] + [
        (row["id"], f"{row['first_name']} {row['last_name']} ({row['email']})".strip()) for row in rows
    ]


def _builder(course, quiz, settings_form=None, accommodation_form=None, slots_error=None, status=200):
    accommodation_form = accommodation_form or AccommodationForm(formdata=None)
    accommodation_form.user_id.choices = _learner_choices(course)
    accommodations = quizzes.accommodations_of(quiz)
    return (
        render_template(
            "assessments/quiz_builder.html",
            course=course,
            settings_form=settings_form or _settings_form(quiz),
            accommodation_form=accommodation_form,
            accommodations=accommodations,
            names=names_of([a.user_id for a in accommodations]),
            zone=_zone().key,
            **_slots_context(quiz, slots_error),
        ),
        status,
    )


def _slots_context(quiz, slots_error=None):
    return {
        "quiz": quiz,
        "slots": quizzes.slots_of(quiz),
        "tags": quizzes.tag_counts(quiz.course_id),
        "slots_error": slots_error,
        "attempts": quizzes.attempt_count(quiz.id),
    }


@bp.route("/<int:quiz_id>", methods=["GET", "POST"])
@requires("courses.manage")
def builder(course_id, quiz_id):
    """Build a quiz: its settings, questions and accommodations."""
    course, quiz = _quiz_in(course_id, quiz_id)
    if request.method == "GET":
        return _builder(course, quiz)
    form = _settings_form(quiz, request.form)
    if form.validate_on_submit():
        try:
            quizzes.update_quiz(
                quiz.id,
                title=form.title.data,
                description=form.description.data or "",
                time_limit_minutes=form.time_limit_minutes.data,
                opens_at=_utc(form.opens_at.data),
                closes_at=_utc(form.closes_at.data),
                attempts_allowed=form.attempts_allowed.data,
                grading_method=form.grading_method.data,
                pass_percent=float(form.pass_percent.data),
                shuffle_questions=form.shuffle_questions.data,
                shuffle_options=form.shuffle_options.data,
                layout=form.layout.data,
                review_score=form.review_score.data,
                review_answers=form.review_answers.data,
                review_feedback=form.review_feedback.data,
                published=form.published.data,
            )
            flash("Settings saved." + (" The quiz is published." if form.published.data else ""))
            return redirect(url_for(".builder", course_id=course.id, quiz_id=quiz.id))
        except DomainError as error:
            apply_domain_error(form, error)
    return _builder(course, quiz, settings_form=form, status=422)


def _number(name, low, high, required=True):
    """A whole number from the form, or a ValidationFailed naming it."""
    raw = (request.form.get(name) or "").strip()
    if not raw and not required:
        return None
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise ValidationFailed(f"Give {name.replace('_', ' ')} from {low} to {high}.", {name: [f"{low} to {high}."]})
    return int(raw)


def _points():
    raw = (request.form.get("points") or "").strip().replace(",", ".")
    if not raw:
        return None
    try:
        return float(raw)
    except ValueError:
        raise ValidationFailed("Points are a number, like 2 or 0.5.", {"points": ["A number."]}) from None


def _changed_slots(quiz):
    """The quiz's slots with the form's change applied (`action`: add_question, add_draw, up, down, points,
    remove; `number`: the slot's place, 1 = first)."""
    slots = quizzes.slot_specs(quiz)
    action = request.form.get("action", "")
    if action == "add_question":
        return [*slots, {"question_id": _number("question_id", 1, 2**31 - 1), "points": _points()}]
    if action == "add_draw":
        tag = (request.form.get("draw_tag") or "").strip()
        return [
            *slots,
            {"draw_tag": tag, "draw_count": _number("draw_count", 1, quizzes.MAX_DRAW), "points": _points()},
        ]
    index = _number("number", 1, max(len(slots), 1)) - 1
    if action in ("up", "down"):
        other = index - 1 if action == "up" else index + 1
        if 0 <= other < len(slots):
            slots[index], slots[other] = slots[other], slots[index]
        return slots
    if action == "points":
        slots[index]["points"] = _points()
        return slots
    if action == "remove":
        return slots[:index] + slots[index + 1 :]
    raise ValidationFailed("Unknown change.", {"action": ["add_question, add_draw, up, down, points or remove."]})


@bp.post("/<int:quiz_id>/slots")
@requires("courses.manage")
def slots(course_id, quiz_id):
    """Add a question or a draw, reorder, set points, remove: the questions list again (or the page)."""
    course, quiz = _quiz_in(course_id, quiz_id)
    try:
        quizzes.set_slots(quiz.id, _changed_slots(quiz))
    except DomainError as error:
        message = " ".join(m for messages in error.details.values() for m in messages) or error.message
        if is_htmx():
            return render_template("assessments/_quiz_slots.html", course=course, **_slots_context(quiz, message)), 422
        return _builder(course, quiz, slots_error=message, status=422)
    if is_htmx():
        fragment = render_template("assessments/_quiz_slots.html", course=course, **_slots_context(quiz))
        if request.form.get("action") == "add_question":  # the picker's results again, without the one added
            found = _picker_results(course, quiz, request.form.get("q", ""))
            fragment += render_template(
                "assessments/_quiz_picker.html",
                course=course,
                quiz=quiz,
                found=found,
                text=request.form.get("q", ""),
                out_of_band=True,
            )
        return fragment
    return redirect(url_for(".builder", course_id=course.id, quiz_id=quiz.id) + "#questions")


def _picker_results(course, quiz, text):
    """Up to 20 bank questions matching `text` that the quiz does not hold yet."""
    in_quiz = {s.question_id for s in quizzes.slots_of(quiz) if s.question_id}
    return [q for q in quizzes.find_questions(course.id, text[:200], limit=20) if q.id not in in_quiz]


@bp.get("/<int:quiz_id>/picker")
@requires("courses.manage")
def picker(course_id, quiz_id):
    """Questions of the course's bank and the organization's matching the search, each with an Add button."""
    course, quiz = _quiz_in(course_id, quiz_id)
    text = request.args.get("q", "")[:200]
    found = _picker_results(course, quiz, text)
    template = "assessments/_quiz_picker.html" if is_htmx() else "assessments/quiz_picker.html"
    return render_template(template, course=course, quiz=quiz, found=found, text=text)


@bp.post("/<int:quiz_id>/accommodations")
@requires("courses.manage")
def accommodations(course_id, quiz_id):
    """Give a learner extra time or attempts (`remove`: take them back)."""
    course, quiz = _quiz_in(course_id, quiz_id)
    if request.form.get("remove"):
        quizzes.remove_accommodation(quiz.id, _number("remove", 1, 2**31 - 1))
        flash("Accommodation removed.")
        return redirect(url_for(".builder", course_id=course.id, quiz_id=quiz.id) + "#accommodations")
    form = AccommodationForm()
    form.user_id.choices = _learner_choices(course)
    if form.validate_on_submit():
        try:
            quizzes.set_accommodation(
                quiz.id, form.user_id.data, form.extra_minutes.data or 0, form.extra_attempts.data or 0
            )
            flash("Accommodation saved.")
            return redirect(url_for(".builder", course_id=course.id, quiz_id=quiz.id) + "#accommodations")
        except DomainError as error:
            apply_domain_error(form, error)
    return _builder(course, quiz, accommodation_form=form, status=422)


@bp.route("/<int:quiz_id>/delete", methods=["GET", "POST"])
@requires("courses.manage")
def delete(course_id, quiz_id):
    """Delete a quiz, after saying what goes with it (its attempts, when there are any)."""
    course, quiz = _quiz_in(course_id, quiz_id)
    attempts = quizzes.attempt_count(quiz.id)
    if request.method == "POST":
        if attempts and request.form.get("confirm_attempts") != "y":
            flash(f"Tick the box to delete the {attempts} attempts too, or unpublish the quiz instead.")
        else:
            quizzes.delete_quiz(quiz.id, force=request.form.get("confirm_attempts") == "y")
            flash(f"Quiz “{quiz.title}” deleted.")
            return redirect(url_for(".index", course_id=course.id))
    return render_template("assessments/quiz_delete.html", course=course, quiz=quiz, attempts=attempts)
