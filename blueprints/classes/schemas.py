import marshmallow as ma
from marshmallow import validate

from blueprints.users.schemas import UserSchema


class ClassSchema(ma.Schema):
    id = ma.fields.Integer(dump_only=True)
    branch_id = ma.fields.Integer(required=True)
    name = ma.fields.String(required=True, validate=validate.Length(min=1, max=200))
    term_start = ma.fields.Date(allow_none=True)
    term_end = ma.fields.Date(allow_none=True)
    created_at = ma.fields.DateTime(dump_only=True)
    archived_at = ma.fields.DateTime(dump_only=True, allow_none=True)


class ClassUpdateSchema(ma.Schema):
    branch_id = ma.fields.Integer()
    name = ma.fields.String(validate=validate.Length(min=1, max=200))
    term_start = ma.fields.Date(allow_none=True)
    term_end = ma.fields.Date(allow_none=True)


class ClassMemberSchema(ma.Schema):
    user = ma.fields.Nested(UserSchema)
    role = ma.fields.String()


class AddMembersSchema(ma.Schema):
    user_ids = ma.fields.List(ma.fields.Integer(), required=True, validate=validate.Length(min=1, max=1000))
    role = ma.fields.String(required=True, validate=validate.OneOf(["teacher", "student"]))
