"""`/api/v1/assessments`: quizzes (the brief's assessments), their questions (slots) and accommodations.

Learners read a published quiz's settings, never its slots (which questions, which tags): those are the
managers' (`/slots`). Taking a quiz, its results and analytics are other parts' routes under the same prefix.
"""

import marshmallow as ma
from flask import request
from flask.views import MethodView
from marshmallow import validate

from app.api.blueprint import ApiBlueprint
from app.api.listing import list_parameters, page_response, parse_list_query
from app.api.types import Boolean, ChangesSchema, Id, Integer, UtcDateTime
from app.errors import NotFound, ValidationFailed
from app.security.principal import requires
from blueprints.assessments import quizzes
from blueprints.assessments.models import GradingMethod, QuizLayout, ReviewWhen
from blueprints.courses import access

blp = ApiBlueprint(
    "assessments", __name__, url_prefix="/api/v1/assessments", description="Assessments (quizzes) of courses."
)
BEARER = [{"bearerAuth": []}]


class Number(ma.fields.Float):
    """A JSON number (not a string, not a boolean), finite."""

    def __init__(self, *, minimum=None, maximum=None, above_minimum=False, **kwargs):
        ranged = validate.Range(min=minimum, max=maximum, min_inclusive=not above_minimum)
        super().__init__(allow_nan=False, validate=[ranged], **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.make_error("invalid", input=value)
        return super()._deserialize(value, attr, data, **kwargs)


def _when(**kwargs):
    return ma.fields.String(validate=validate.OneOf(ReviewWhen.ALL), **kwargs)


class AssessmentSettingsSchema(ma.Schema):
    """What a quiz's managers set (every field of `PUT`; `title` and `course_id` are needed to create one)."""

    title = ma.fields.String(validate=validate.Length(min=1, max=200))
    description = ma.fields.String(load_only=True, metadata={"description": "HTML; sanitised on save"})
    item_id = Id(
        allow_none=True,
        metadata={"description": "the course's `assessment` item it stands for (one quiz per item); null unlinks"},
    )
    module_id = Id(load_only=True, metadata={"description": "make its item at the end of this module"})
    module_title = ma.fields.String(
        load_only=True, validate=validate.Length(min=1, max=200), metadata={"description": "or in a new module"}
    )
    time_limit_minutes = Integer(
        allow_none=True, minimum=1, maximum=quizzes.MAX_TIME_LIMIT_MINUTES, metadata={"description": "null: untimed"}
    )
    opens_at = UtcDateTime(allow_none=True)
    closes_at = UtcDateTime(allow_none=True, metadata={"description": "after `opens_at`"})
    attempts_allowed = Integer(
        allow_none=True, minimum=1, maximum=quizzes.MAX_ATTEMPTS, metadata={"description": "null: unlimited"}
    )
    grading_method = ma.fields.String(validate=validate.OneOf(GradingMethod.ALL))
    pass_percent = Number(minimum=0, maximum=100, metadata={"description": "percent of the quiz's points"})
    shuffle_questions = Boolean()
    shuffle_options = Boolean()
    layout = ma.fields.String(validate=validate.OneOf(QuizLayout.ALL))
    review_score = _when()
    review_answers = _when(metadata={"description": "when learners see the correct answers"})
    review_feedback = _when()
    published = Boolean(metadata={"description": "learners may start attempts (needs questions)"})


class AssessmentSchema(AssessmentSettingsSchema):
    id = ma.fields.Integer(dump_only=True)
    course_id = Id(required=True)
    title = ma.fields.String(required=True, validate=validate.Length(min=1, max=200))
    description_html = ma.fields.String(dump_only=True)
    created_at = UtcDateTime(dump_only=True)
    updated_at = UtcDateTime(dump_only=True)


class AssessmentUpdateSchema(AssessmentSettingsSchema, ChangesSchema):
    pass


class AssessmentDeleteArgs(ma.Schema):
    force = Boolean(
        strict=False, load_default=False, metadata={"description": "delete a quiz with attempts, and them with it"}
    )


class AssessmentDeletedSchema(ma.Schema):
    id = ma.fields.Integer()
    outcome = ma.fields.String(metadata={"enum": ["deleted"]})
    attempts_removed = ma.fields.Integer()


class SlotSchema(ma.Schema):
    """A fixed question (`question_id`), or `draw_count` questions drawn at random among those tagged `draw_tag`
    in the course's bank and the organization's."""

    id = ma.fields.Integer(dump_only=True)
    position = ma.fields.Integer(dump_only=True)
    question_id = Id(allow_none=True)
    draw_tag = ma.fields.String(allow_none=True, validate=validate.Length(min=1, max=60))
    draw_count = Integer(minimum=1, maximum=quizzes.MAX_DRAW, load_default=1)
    points = Number(
        allow_none=True,
        minimum=0,
        above_minimum=True,
        maximum=quizzes.MAX_POINTS,
        metadata={"description": "null: the question's own"},
    )
    title = ma.fields.String(dump_only=True, allow_none=True, metadata={"description": "the fixed question's"})
    kind = ma.fields.String(dump_only=True, allow_none=True)
    bank = ma.fields.String(dump_only=True, allow_none=True, metadata={"enum": ["course", "organization"]})
    available = ma.fields.Integer(
        dump_only=True, allow_none=True, metadata={"description": "a draw: how many questions carry its tag"}
    )


class SlotsSchema(ma.Schema):
    slots = ma.fields.List(ma.fields.Nested(SlotSchema), required=True, validate=validate.Length(max=quizzes.MAX_SLOTS))

    def handle_error(self, error, data, **kwargs):
        """Name nested fields as the service does (`slots[2].points`), not as nested dictionaries."""
        raise ma.ValidationError(_flat(error.messages))


def _flat(messages, prefix=""):
    flat = {}
    for key, value in messages.items():
        name = f"{prefix}[{key}]" if isinstance(key, int) else (f"{prefix}.{key}" if prefix else key)
        if isinstance(value, dict):
            flat.update(_flat(value, name))
        else:
            flat[name] = value
    return flat


class AccommodationSchema(ChangesSchema):
    extra_minutes = Integer(minimum=0, maximum=quizzes.MAX_EXTRA_MINUTES, load_default=0)
    extra_attempts = Integer(minimum=0, maximum=quizzes.MAX_EXTRA_ATTEMPTS, load_default=0)


class AccommodationOutSchema(ma.Schema):
    quiz_id = ma.fields.Integer()
    user_id = ma.fields.Integer()
    extra_minutes = ma.fields.Integer()
    extra_attempts = ma.fields.Integer()


class AccommodationOutcomeSchema(ma.Schema):
    quiz_id = ma.fields.Integer()
    user_id = ma.fields.Integer()
    outcome = ma.fields.String(metadata={"enum": ["removed"]})


@blp.route("")
class Assessments(MethodView):
    @requires("courses.read")
    @blp.doc(parameters=list_parameters(quizzes.QUIZ_LIST), security=BEARER)
    @blp.response(200, AssessmentSchema(many=True))
    def get(self):
        """The quizzes you can see: all of the courses you manage, the published ones of the courses you take
        (filter on course_id, published, item_id)."""
        query = parse_list_query(request.args, quizzes.QUIZ_LIST)
        return page_response(quizzes.list_quizzes(query), query)

    @requires("courses.manage")
    @blp.doc(security=BEARER)
    @blp.arguments(AssessmentSchema)
    @blp.response(201, AssessmentSchema)
    def post(self, data):
        """Create a quiz in a course you manage (unpublished until it has questions); `module_id` or
        `module_title` makes its course item too. 422 on `course_id` when you cannot see that course."""
        course_id = data.pop("course_id")
        try:
            access.course_for(course_id)
        except NotFound:
            raise ValidationFailed("No such course.", {"course_id": ["No course with this id."]}) from None
        return quizzes.create_quiz(course_id, **data)


@blp.route("/<int:quiz_id>")
class AssessmentById(MethodView):
    @requires("courses.read")
    @blp.doc(security=BEARER)
    @blp.response(200, AssessmentSchema)
    def get(self, quiz_id):
        """A quiz's settings: to its course's staff, and to its learners once published (never its questions)."""
        return quizzes.get_quiz(quiz_id, "see")

    @requires("courses.manage")
    @blp.doc(security=BEARER)
    @blp.arguments(AssessmentUpdateSchema)
    @blp.response(200, AssessmentSchema)
    def put(self, data, quiz_id):
        """Change settings, publish (a quiz with questions) or unpublish, link or unlink its course item."""
        return quizzes.update_quiz(quiz_id, **data)

    @requires("courses.manage")
    @blp.doc(security=BEARER)
    @blp.arguments(AssessmentDeleteArgs, location="query")
    @blp.response(200, AssessmentDeletedSchema)
    def delete(self, args, quiz_id):
        """Delete a quiz; one with attempts answers 409 `QUIZ_HAS_ATTEMPTS` unless `force=true` (they go with it).
        Its course item stays in the outline."""
        removed = quizzes.delete_quiz(quiz_id, force=args["force"])
        return {"id": quiz_id, "outcome": "deleted", "attempts_removed": removed}


@blp.route("/<int:quiz_id>/slots")
class AssessmentSlots(MethodView):
    @requires("courses.manage")
    @blp.doc(security=BEARER)
    @blp.response(200, SlotSchema(many=True))
    def get(self, quiz_id):
        """The quiz's questions in order (its managers): fixed questions and draws with their pools."""
        return quizzes.slots_of(quizzes.get_quiz(quiz_id, "manage"))

    @requires("courses.manage")
    @blp.doc(security=BEARER)
    @blp.arguments(SlotsSchema)
    @blp.response(200, SlotSchema(many=True))
    def put(self, data, quiz_id):
        """Replace the quiz's questions: fixed ones from the course's bank or the organization's, draws of N by
        tag (never more than carry the tag), points per slot. Attempts already started keep theirs."""
        return quizzes.set_slots(quiz_id, data["slots"])


@blp.route("/<int:quiz_id>/accommodations/<int:user_id>")
class AssessmentAccommodation(MethodView):
    @requires("courses.manage")
    @blp.doc(security=BEARER)
    @blp.arguments(AccommodationSchema)
    @blp.response(200, AccommodationOutSchema)
    def put(self, data, quiz_id, user_id):
        """Extra minutes and/or attempts for a learner enrolled in the course (both 0 removes them)."""
        quizzes.set_accommodation(quiz_id, user_id, data["extra_minutes"], data["extra_attempts"])
        minutes, attempts = quizzes.accommodation_of(quiz_id, user_id)
        return {"quiz_id": quiz_id, "user_id": user_id, "extra_minutes": minutes, "extra_attempts": attempts}

    @requires("courses.manage")
    @blp.doc(security=BEARER)
    @blp.response(200, AccommodationOutcomeSchema)
    def delete(self, quiz_id, user_id):
        """Remove a learner's accommodation (404 when they have none)."""
        quizzes.remove_accommodation(quiz_id, user_id)
        return {"quiz_id": quiz_id, "user_id": user_id, "outcome": "removed"}
