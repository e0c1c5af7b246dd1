import marshmallow as ma
from marshmallow import validate

from app.api.types import ChangesSchema, Id, UtcDateTime, id_list
from blueprints.users.schemas import UserSchema


class ClassSchema(ma.Schema):
    id = ma.fields.Integer(dump_only=True)
    branch_id = Id(required=True)
    name = ma.fields.String(required=True, validate=validate.Length(min=1, max=200))
    term_start = ma.fields.Date(allow_none=True)
    term_end = ma.fields.Date(allow_none=True)
    created_at = UtcDateTime(dump_only=True)
    archived_at = UtcDateTime(dump_only=True, allow_none=True)


class ClassUpdateSchema(ChangesSchema):
    branch_id = Id()
    name = ma.fields.String(validate=validate.Length(min=1, max=200))
    term_start = ma.fields.Date(allow_none=True)
    term_end = ma.fields.Date(allow_none=True)


class ClassMemberSchema(ma.Schema):
    user = ma.fields.Nested(UserSchema)
    role = ma.fields.String()


class AddMembersSchema(ma.Schema):
    user_ids = id_list(required=True, validate=validate.Length(min=1, max=1000))
    role = ma.fields.String(required=True, validate=validate.OneOf(["teacher", "student"]))
