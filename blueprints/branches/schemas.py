import marshmallow as ma
from marshmallow import validate

from blueprints.users.schemas import UserSchema

CODE = validate.Regexp(r"^[a-z0-9][a-z0-9_-]{0,39}$", error="Lowercase letters, digits, - and _; up to 40.")


class BranchSchema(ma.Schema):
    id = ma.fields.Integer(dump_only=True)
    code = ma.fields.String(required=True, validate=CODE)
    name = ma.fields.String(required=True, validate=validate.Length(min=1, max=200))
    settings = ma.fields.Dict(dump_only=True)
    created_at = ma.fields.DateTime(dump_only=True)
    updated_at = ma.fields.DateTime(dump_only=True)
    archived_at = ma.fields.DateTime(dump_only=True, allow_none=True)


class BranchUpdateSchema(ma.Schema):
    code = ma.fields.String(validate=CODE)
    name = ma.fields.String(validate=validate.Length(min=1, max=200))


class BranchDeleteArgs(ma.Schema):
    force = ma.fields.Boolean(load_default=False, metadata={"description": "Archive a branch that is not empty."})


class BranchDeletedSchema(ma.Schema):
    id = ma.fields.Integer()
    outcome = ma.fields.String(metadata={"enum": ["deleted", "archived"]})


class BranchSettingsSchema(ma.Schema):
    own = ma.fields.Dict(metadata={"description": "What this branch overrides"})
    effective = ma.fields.Dict(metadata={"description": "Organization settings with the branch's overrides"})


class BranchSettingsUpdateSchema(ma.Schema):
    display_name = ma.fields.String(allow_none=True, validate=validate.Length(max=200))
    primary_color = ma.fields.String(allow_none=True, validate=validate.Regexp(r"^#[0-9a-fA-F]{6}$"))
    accent_color = ma.fields.String(allow_none=True, validate=validate.Regexp(r"^#[0-9a-fA-F]{6}$"))
    time_zone = ma.fields.String(allow_none=True, validate=validate.Length(max=64))
    locale = ma.fields.String(allow_none=True, validate=validate.Length(max=16))


class BranchMemberSchema(ma.Schema):
    user = ma.fields.Nested(UserSchema, dump_only=True)
    user_id = ma.fields.Integer(load_only=True, required=True)
    role = ma.fields.String(required=True, validate=validate.OneOf(["branch_manager", "teacher", "student"]))
