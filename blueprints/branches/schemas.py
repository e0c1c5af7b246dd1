import marshmallow as ma
from marshmallow import validate

from app.api.types import Boolean, ChangesSchema, Id, UtcDateTime
from blueprints.organizations.schemas import COLOR_FIELD, DISPLAY_NAME_FIELD, LOCALE_FIELD, TIME_ZONE_FIELD
from blueprints.users.schemas import UserSchema

CODE = validate.Regexp(r"^[a-z0-9][a-z0-9_-]{0,39}$", error="Lowercase letters, digits, - and _; up to 40.")


class BranchSchema(ma.Schema):
    id = ma.fields.Integer(dump_only=True)
    code = ma.fields.String(required=True, validate=CODE)
    name = ma.fields.String(required=True, validate=validate.Length(min=1, max=200))
    settings = ma.fields.Dict(dump_only=True)
    created_at = UtcDateTime(dump_only=True)
    updated_at = UtcDateTime(dump_only=True)
    archived_at = UtcDateTime(dump_only=True, allow_none=True)


class BranchUpdateSchema(ChangesSchema):
    code = ma.fields.String(validate=CODE)
    name = ma.fields.String(validate=validate.Length(min=1, max=200))


class BranchDeleteArgs(ma.Schema):
    force = Boolean(strict=False, load_default=False, metadata={"description": "Archive a branch that is not empty."})


class BranchDeletedSchema(ma.Schema):
    id = ma.fields.Integer()
    outcome = ma.fields.String(metadata={"enum": ["deleted", "archived"]})


class BranchSettingsSchema(ma.Schema):
    own = ma.fields.Dict(metadata={"description": "What this branch overrides"})
    effective = ma.fields.Dict(metadata={"description": "Organization settings with the branch's overrides"})


class BranchSettingsUpdateSchema(ChangesSchema):
    display_name = ma.fields.String(allow_none=True, **DISPLAY_NAME_FIELD)
    primary_color = ma.fields.String(allow_none=True, **COLOR_FIELD)
    accent_color = ma.fields.String(allow_none=True, **COLOR_FIELD)
    time_zone = ma.fields.String(allow_none=True, **TIME_ZONE_FIELD)
    locale = ma.fields.String(allow_none=True, **LOCALE_FIELD)


class BranchMemberSchema(ma.Schema):
    user = ma.fields.Nested(UserSchema, dump_only=True)
    user_id = Id(load_only=True, required=True)
    role = ma.fields.String(required=True, validate=validate.OneOf(["branch_manager", "teacher", "student"]))
