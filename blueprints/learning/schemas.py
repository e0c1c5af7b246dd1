"""What the learners API sends: a person's courses and their progress in each."""

import marshmallow as ma

from app.api.types import UtcDateTime
from blueprints.courses.covers import cover_path
from blueprints.courses.schemas import EnrollmentProgressSchema


class UserEnrollmentSchema(EnrollmentProgressSchema):
    id = ma.fields.Integer(metadata={"description": "course id"})
    title = ma.fields.String()
    slug = ma.fields.String()
    self_enrolled = ma.fields.Boolean(
        metadata={"description": "joined on their own: they may leave (DELETE /courses/{id}/enrollment)"}
    )
    last_item_id = ma.fields.Integer(allow_none=True)
    cover_url = ma.fields.Function(
        lambda row: cover_path(row["id"], row["cover_key"], "/api/v1/courses"), allow_none=True
    )


class CompletedItemSchema(ma.Schema):
    item_id = ma.fields.Integer()
    completed_at = UtcDateTime()


class ItemTimeSchema(ma.Schema):
    item_id = ma.fields.Integer()
    seconds = ma.fields.Integer()


class UserProgressSchema(UserEnrollmentSchema):
    completed_items = ma.fields.List(ma.fields.Nested(CompletedItemSchema))
    time_by_item = ma.fields.List(ma.fields.Nested(ItemTimeSchema), metadata={"description": "seconds per item"})
