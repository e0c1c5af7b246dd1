"""`/api/v1/questions`: the question banks (a course's and the organization's), for teachers and managers.

Who may do what is the bank's (blueprints/assessments/bank.py); a body that is no valid question is a 422
naming each field (`spec.options[1].text`), from blueprints/assessments/validation.py.
"""

import marshmallow as ma
from flask import request
from flask.views import MethodView
from flask_smorest.fields import Upload
from marshmallow import validate

from app.api.blueprint import ApiBlueprint
from app.api.listing import list_parameters, page_response, parse_list_query
from app.api.types import Boolean, ChangesSchema, Id, Integer, UtcDateTime
from app.security.actor import current_actor
from app.security.principal import requires
from blueprints.assessments import bank
from blueprints.assessments.models import QuestionKind
from blueprints.assessments.validation import MAX_POINTS, STEM_MAX, TITLE_MAX, is_number

blp = ApiBlueprint("questions", __name__, url_prefix="/api/v1/questions", description="Question banks.")
BEARER = [{"bearerAuth": []}]
STAFF = bank.STAFF_PERMISSION


class Number(ma.fields.Float):
    """A finite JSON number (not "1", not true)."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not is_number(value):
            raise self.make_error("invalid", input=value)
        return super()._deserialize(value, attr, data, **kwargs)


SPEC_DOC = "The answer key and options; its shape per kind is in docs/assessments.md."


class QuestionVersionSchema(ma.Schema):
    number = ma.fields.Integer()
    stem_html = ma.fields.String()
    general_feedback_html = ma.fields.String()
    default_points = ma.fields.Float()
    spec = ma.fields.Dict(metadata={"description": SPEC_DOC})
    image_url = ma.fields.Function(
        lambda v: f"/api/v1/questions/{v.question_id}/image?version={v.number}" if v.image_key else None,
        allow_none=True,
    )
    image_alt = ma.fields.String(metadata={"description": "the image's text alternative (empty without an image)"})
    change_note = ma.fields.String()
    author_id = ma.fields.Integer(allow_none=True)
    author_api_key_id = ma.fields.Integer(allow_none=True)
    created_at = UtcDateTime()


class BankQuestionSchema(ma.Schema):
    id = ma.fields.Integer()
    course_id = ma.fields.Integer(allow_none=True, metadata={"description": "none: the organization bank"})
    bank = ma.fields.String(metadata={"description": "course or organization"})
    kind = ma.fields.String()
    title = ma.fields.String()
    tags = ma.fields.List(ma.fields.String())
    current_version = ma.fields.Integer()
    archived_at = UtcDateTime(allow_none=True)
    shared_from_course_id = ma.fields.Integer(allow_none=True)
    can_edit = ma.fields.Boolean()
    created_at = UtcDateTime()
    updated_at = UtcDateTime()
    version = ma.fields.Nested(QuestionVersionSchema, metadata={"description": "the current version"})


class QuestionContentSchema(ma.Schema):
    stem_html = ma.fields.String(validate=validate.Length(max=STEM_MAX), metadata={"description": "sanitised"})
    spec = ma.fields.Dict(keys=ma.fields.String(), metadata={"description": SPEC_DOC})
    general_feedback_html = ma.fields.String(validate=validate.Length(max=STEM_MAX))
    default_points = Number(validate=validate.Range(min=0, max=MAX_POINTS, min_inclusive=False))


class QuestionCreateSchema(QuestionContentSchema):
    course_id = Id(allow_none=True, load_default=None, metadata={"description": "none: the organization bank"})
    kind = ma.fields.String(required=True, validate=validate.OneOf(QuestionKind.ALL))
    title = ma.fields.String(required=True, validate=validate.Length(min=1, max=TITLE_MAX))
    stem_html = ma.fields.String(required=True, validate=validate.Length(min=1, max=STEM_MAX))
    spec = ma.fields.Dict(keys=ma.fields.String(), required=True, metadata={"description": SPEC_DOC})
    tags = ma.fields.List(ma.fields.String(validate=validate.Length(max=bank.TAG_MAX)), load_default=list)
    change_note = ma.fields.String(load_default="", validate=validate.Length(max=bank.CHANGE_NOTE_MAX))


class QuestionUpdateSchema(QuestionContentSchema, ChangesSchema):
    title = ma.fields.String(validate=validate.Length(min=1, max=TITLE_MAX))
    tags = ma.fields.List(ma.fields.String(validate=validate.Length(max=bank.TAG_MAX)))
    change_note = ma.fields.String(validate=validate.Length(max=bank.CHANGE_NOTE_MAX))
    remove_image = Boolean(metadata={"description": "true: the new version has no image"})
    image_alt = ma.fields.String(
        validate=validate.Length(max=bank.IMAGE_ALT_MAX),
        metadata={"description": "what the image shows, for learners who cannot see it: required with an image"},
    )


class QuestionPreviewRequestSchema(QuestionContentSchema):
    kind = ma.fields.String(required=True, validate=validate.OneOf(QuestionKind.ALL))
    stem_html = ma.fields.String(required=True, validate=validate.Length(min=1, max=STEM_MAX))
    spec = ma.fields.Dict(keys=ma.fields.String(), required=True, metadata={"description": SPEC_DOC})
    response = ma.fields.Dict(
        keys=ma.fields.String(), metadata={"description": "a sample response to grade (docs/assessments.md)"}
    )


class SampleGradeSchema(ma.Schema):
    fraction = ma.fields.Float(allow_none=True, metadata={"description": "none: a person grades it (essay)"})
    feedback = ma.fields.List(ma.fields.String())


class QuestionPreviewSchema(ma.Schema):
    stem_html = ma.fields.String()
    view = ma.fields.Dict(metadata={"description": "what a learner gets: no key, no feedback"})
    grade = ma.fields.Nested(SampleGradeSchema, allow_none=True)
    correct_response = ma.fields.Dict(allow_none=True)


class QuestionImageQuerySchema(ma.Schema):
    version = Integer(minimum=1, strict=False, metadata={"description": "a version number; default the current"})


class QuestionImageUploadSchema(ma.Schema):
    file = Upload(required=True)
    image_alt = ma.fields.String(
        validate=validate.Length(max=bank.IMAGE_ALT_MAX),
        metadata={"description": "what the image shows (its text alternative); required unless the question has one"},
    )
    change_note = ma.fields.String(load_default="", validate=validate.Length(max=bank.CHANGE_NOTE_MAX))


def _view(question):
    return bank.question_view(question, current_actor)


@blp.route("")
class Questions(MethodView):
    @requires(STAFF)
    @blp.doc(parameters=list_parameters(bank.QUESTION_LIST), security=BEARER)
    @blp.response(200, BankQuestionSchema(many=True))
    def get(self):
        """The questions you may use: your courses' banks and the organization bank (`filter[bank]=organization`
        or `course`, `filter[course_id]`, `filter[kind]`, `filter[tag]`, `filter[q]` words of title or text,
        `filter[archived]=true` for the archived ones)."""
        query = parse_list_query(request.args, bank.QUESTION_LIST)
        page, views = bank.list_questions(query, actor=current_actor)
        page_response(page, query)
        return views

    @requires(STAFF)
    @blp.doc(security=BEARER)
    @blp.arguments(QuestionCreateSchema)
    @blp.response(201, BankQuestionSchema)
    def post(self, data):
        """Add a question (version 1) to a course's bank, or to the organization bank without `course_id`."""
        question = bank.create_question(
            data.pop("course_id"), data.pop("kind"), data.pop("title"), data.pop("stem_html"), data.pop("spec"), **data
        )
        return _view(question)


@blp.route("/<int:question_id>")
class QuestionById(MethodView):
    @requires(STAFF)
    @blp.doc(security=BEARER)
    @blp.response(200, BankQuestionSchema)
    def get(self, question_id):
        """One question with its current version (the answer key included: staff only)."""
        return _view(bank.get_question(question_id))

    @requires(STAFF)
    @blp.doc(security=BEARER)
    @blp.arguments(QuestionUpdateSchema)
    @blp.response(200, BankQuestionSchema)
    def put(self, data, question_id):
        """Change a question: title and tags in place; stem, answer key, feedback, points as a new version."""
        return _view(bank.update_question(question_id, **data))

    @requires(STAFF)
    @blp.doc(security=BEARER)
    @blp.response(200, BankQuestionSchema)
    def delete(self, question_id):
        """Archive a question: out of the bank and of new draws; quizzes and attempts that use it keep it."""
        return _view(bank.archive_question(question_id))


@blp.route("/<int:question_id>/restore")
class QuestionRestore(MethodView):
    @requires(STAFF)
    @blp.doc(security=BEARER)
    @blp.response(200, BankQuestionSchema)
    def post(self, question_id):
        """Bring an archived question back into its bank."""
        return _view(bank.restore_question(question_id))


@blp.route("/<int:question_id>/share")
class QuestionShare(MethodView):
    @requires(STAFF)
    @blp.doc(security=BEARER)
    @blp.response(200, BankQuestionSchema)
    def post(self, question_id):
        """Move a course's question into the organization bank (409 when it is there already); the course's
        quizzes keep using it."""
        return _view(bank.share_question(question_id))


@blp.route("/<int:question_id>/versions")
class QuestionVersions(MethodView):
    @requires(STAFF)
    @blp.doc(security=BEARER)
    @blp.response(200, QuestionVersionSchema(many=True))
    def get(self, question_id):
        """Every version of the question, newest first, each with its content and change note."""
        return bank.versions_of(question_id)[1]


@blp.route("/<int:question_id>/versions/<int:number>")
class QuestionVersionByNumber(MethodView):
    @requires(STAFF)
    @blp.doc(security=BEARER)
    @blp.response(200, QuestionVersionSchema)
    def get(self, question_id, number):
        """One version's content."""
        return bank.version_of(bank.get_question(question_id), number)


@blp.route("/<int:question_id>/image")
class QuestionImage(MethodView):
    @requires(STAFF)
    @blp.doc(security=BEARER)
    @blp.arguments(QuestionImageQuerySchema, location="query")
    @blp.response(200, content_type="image/jpeg")
    def get(self, args, question_id):
        """A version's stem image (the current version's by default), a JPEG; 404 when it has none."""
        return bank.serve_image(question_id, args.get("version"))

    @requires(STAFF)
    @blp.doc(security=BEARER)
    @blp.arguments(QuestionImageUploadSchema, location="multipart")
    @blp.response(200, BankQuestionSchema)
    def put(self, data, question_id):
        """Set the stem image (PNG, JPEG, GIF or WebP up to 8 MB, re-encoded without metadata): a new version."""
        alt = {"image_alt": data["image_alt"]} if "image_alt" in data else {}
        return _view(
            bank.update_question(question_id, image=data["file"].stream, change_note=data["change_note"], **alt)
        )


@blp.route("/preview")
class QuestionPreview(MethodView):
    @requires(STAFF)
    @blp.doc(security=BEARER)
    @blp.arguments(QuestionPreviewRequestSchema)
    @blp.response(200, QuestionPreviewSchema)
    def post(self, data):
        """What a learner would see of this question (no key), and the grade of a sample `response`; nothing
        is saved. A question that is not valid yet is a 422 naming each field."""
        return bank.preview(
            data.pop("kind"),
            data.pop("stem_html"),
            data.pop("spec"),
            **{k: v for k, v in data.items() if v is not None},
        )
