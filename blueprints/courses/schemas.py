import marshmallow as ma
from flask_smorest.fields import Upload
from marshmallow import validate

from app.api.types import Boolean, ChangesSchema, Id, Integer, UtcDateTime, id_list
from blueprints.courses.covers import cover_path
from blueprints.courses.models import ContentKind, CourseStatus
from blueprints.learning.services import MAX_REPORT_SECONDS


class CourseSchema(ma.Schema):
    id = ma.fields.Integer(dump_only=True)
    title = ma.fields.String(required=True, validate=validate.Length(min=1, max=200))
    slug = ma.fields.String(validate=validate.Regexp(r"^[a-z0-9][a-z0-9-]{0,119}$"))
    summary = ma.fields.String(validate=validate.Length(max=500))
    description = ma.fields.String(load_only=True, metadata={"description": "HTML; sanitised on save"})
    description_html = ma.fields.String(dump_only=True)
    status = ma.fields.String(validate=validate.OneOf(CourseStatus.ALL))
    self_enrollment = Boolean()
    due_days = Integer(allow_none=True, minimum=1, maximum=3650)
    estimated_minutes = Integer(allow_none=True, minimum=1, maximum=100_000)
    branch_ids = id_list(metadata={"description": "Empty: the whole organization"})
    teacher_ids = id_list()
    prerequisite_ids = id_list()
    created_at = UtcDateTime(dump_only=True)
    cover_url = ma.fields.Function(lambda c: cover_path(c.id, c.cover_key, "/api/v1/courses"), allow_none=True)
    cover_page_url = ma.fields.Function(
        lambda c: cover_path(c.id, c.cover_key), allow_none=True, metadata={"description": "for pages"}
    )


class CourseUpdateSchema(CourseSchema, ChangesSchema):
    title = ma.fields.String(validate=validate.Length(min=1, max=200))


class ItemSchema(ma.Schema):
    id = ma.fields.Integer(dump_only=True)
    module_id = Id()
    module_title = ma.fields.String(
        load_only=True, metadata={"description": "A new module to put the item in; wins over `module_id`."}
    )
    kind = ma.fields.String(required=True, validate=validate.OneOf(ContentKind.ALL))
    title = ma.fields.String(required=True, validate=validate.Length(min=1, max=200))
    body = ma.fields.String(load_only=True, load_default="")
    change_note = ma.fields.String(load_only=True, load_default="")
    position = ma.fields.Integer(dump_only=True)
    published_version = ma.fields.Integer(dump_only=True)


class ContentCreateSchema(ItemSchema):
    """`POST /content`: an item, with the course it goes in."""

    course_id = Id(required=True)


class ModuleSchema(ma.Schema):
    id = ma.fields.Integer()
    title = ma.fields.String()
    position = ma.fields.Integer()
    items = ma.fields.List(ma.fields.Nested(ItemSchema))


class ContentSchema(ItemSchema):
    course_id = ma.fields.Integer(dump_only=True)
    published_body = ma.fields.String(dump_only=True)


class ContentUpdateSchema(ma.Schema):
    body = ma.fields.String(required=True)
    title = ma.fields.String(validate=validate.Length(min=1, max=200))
    change_note = ma.fields.String(load_default="", validate=validate.Length(max=300))
    publish = Boolean(load_default=True)


class ItemChangeSchema(ChangesSchema):
    """`PATCH /content/{id}`: rename an item or move it to another module of its course (no new version)."""

    title = ma.fields.String(validate=validate.Length(min=1, max=200))
    module_id = Id(metadata={"description": "a module of the same course (its own too): the item goes to its end"})
    position = Integer(minimum=1, maximum=100_000, metadata={"description": "its place in its module, 1 = first"})


class ModuleChangeSchema(ChangesSchema):
    """`PATCH /courses/{id}/modules/{module_id}`: rename a module or put it elsewhere in the outline."""

    title = ma.fields.String(validate=validate.Length(min=1, max=200))
    position = Integer(minimum=1, maximum=100_000, metadata={"description": "its place in the course, 1 = first"})


class ModuleOutcomeSchema(ma.Schema):
    id = ma.fields.Integer()
    outcome = ma.fields.String(metadata={"enum": ["deleted"]})
    items_removed = ma.fields.Integer()


class VersionSchema(ma.Schema):
    number = ma.fields.Integer()
    body = ma.fields.String()
    change_note = ma.fields.String()
    author_id = ma.fields.Integer(allow_none=True, metadata={"description": "The person who wrote it, or"})
    author_api_key_id = ma.fields.Integer(allow_none=True, metadata={"description": "the API key that did"})
    created_at = UtcDateTime()


class RestoreSchema(ma.Schema):
    restore_from = Id(required=True)


class DiffArgs(ma.Schema):
    from_version = Id(required=True, data_key="from", strict=False)
    to_version = Id(required=True, data_key="to", strict=False)


class DiffSchema(ma.Schema):
    diff = ma.fields.String(metadata={"description": "unified diff of the stored bodies, line by line"})
    html = ma.fields.String(allow_none=True, metadata={"description": "word-level compare, rendered: ins and del"})


class EnrollSchema(ChangesSchema):
    """People, a class, or both (an empty body enrolls nobody: 422)."""

    user_ids = id_list(load_default=list)
    emails = ma.fields.List(
        ma.fields.String(validate=validate.Length(max=320)),
        load_default=list,
        validate=validate.Length(max=1000),
        metadata={
            "description": "Sign-in addresses; those that name nobody who can take the course are listed "
            "in `not_enrolled` and the others enrolled."
        },
    )
    class_id = Id(load_default=None)


class NotEnrolledSchema(ma.Schema):
    email = ma.fields.String()
    reason = ma.fields.String()


class EnrolledSchema(ma.Schema):
    created = ma.fields.Integer(metadata={"description": "new enrollments"})
    already_enrolled = ma.fields.Integer(metadata={"description": "people who were enrolled already"})
    not_enrolled = ma.fields.List(ma.fields.Nested(NotEnrolledSchema))


class EnrollmentProgressSchema(ma.Schema):
    """An enrollment's state and progress, as both the course's roster and a person's courses show it."""

    status = ma.fields.String()
    enrolled_at = UtcDateTime()
    due_at = UtcDateTime(allow_none=True)
    completed_at = UtcDateTime(allow_none=True)
    done = ma.fields.Integer()
    total = ma.fields.Integer()
    percent = ma.fields.Integer()
    seconds_spent = ma.fields.Integer(metadata={"description": "time spent in the course's items"})


class ProgressRowSchema(EnrollmentProgressSchema):
    id = ma.fields.Integer(metadata={"description": "the learner's user id"})
    email = ma.fields.String()
    first_name = ma.fields.String()
    last_name = ma.fields.String()


class TimeReportSchema(ma.Schema):
    seconds = Integer(
        required=True,
        minimum=1,
        maximum=MAX_REPORT_SECONDS,
        metadata={"description": "seconds in view since the last report"},
    )


class TimeCreditSchema(ma.Schema):
    item_id = ma.fields.Integer()
    credited = ma.fields.Integer(metadata={"description": "never more than the time since the last report"})
    item_seconds = ma.fields.Integer()
    course_seconds = ma.fields.Integer()


class CompletionSchema(ma.Schema):
    course_id = ma.fields.Integer()
    completed_items = ma.fields.Integer()
    total_items = ma.fields.Integer()
    percent = ma.fields.Integer()
    completed_at = UtcDateTime(allow_none=True)


class OutcomeSchema(ma.Schema):
    id = ma.fields.Integer()
    outcome = ma.fields.String(metadata={"enum": ["deleted", "archived", "unenrolled"]})


class MediaSchema(ma.Schema):
    id = ma.fields.Integer()
    item_id = ma.fields.Integer()
    filename = ma.fields.String()
    content_type = ma.fields.String()
    size = ma.fields.Integer()
    sha256 = ma.fields.String()
    url = ma.fields.Function(lambda m: f"/api/v1/media/{m.id}")
    page_url = ma.fields.Function(lambda m: f"/media/{m.id}", metadata={"description": "for pages (session)"})
    created_at = UtcDateTime()


class MediaUploadSchema(ma.Schema):
    file = Upload(required=True)
