import marshmallow as ma
from marshmallow import validate

from app.security.permissions import TENANT_ROLES


class UserSchema(ma.Schema):
    id = ma.fields.Integer(dump_only=True)
    email = ma.fields.String(dump_only=True)
    first_name = ma.fields.String(dump_only=True)
    last_name = ma.fields.String(dump_only=True)
    role = ma.fields.String(dump_only=True)
    external_id = ma.fields.String(dump_only=True, allow_none=True)
    status = ma.fields.String(dump_only=True, metadata={"enum": ["active", "invited", "inactive"]})
    is_active = ma.fields.Boolean(dump_only=True)
    created_at = ma.fields.DateTime(dump_only=True)


class UserCreateSchema(ma.Schema):
    email = ma.fields.Email(required=True)
    first_name = ma.fields.String(required=True, validate=validate.Length(min=1, max=100))
    last_name = ma.fields.String(required=True, validate=validate.Length(min=1, max=100))
    role = ma.fields.String(required=True, validate=validate.OneOf(TENANT_ROLES))
    branch_ids = ma.fields.List(ma.fields.Integer(), load_default=list)
    external_id = ma.fields.String(validate=validate.Length(max=100), load_default=None)
    password = ma.fields.String(load_only=True, load_default=None, metadata={"description": "Omit to invite."})
    send_invitation = ma.fields.Boolean(load_default=True)


class UserUpdateSchema(ma.Schema):
    first_name = ma.fields.String(validate=validate.Length(min=1, max=100))
    last_name = ma.fields.String(validate=validate.Length(min=1, max=100))
    role = ma.fields.String(validate=validate.OneOf(TENANT_ROLES))
    external_id = ma.fields.String(validate=validate.Length(max=100), allow_none=True)
    is_active = ma.fields.Boolean(metadata={"description": "false deactivates, true reactivates"})


class ProfileSchema(ma.Schema):
    first_name = ma.fields.String(validate=validate.Length(max=100))
    last_name = ma.fields.String(validate=validate.Length(max=100))
    notification_email = ma.fields.String(allow_none=True, validate=validate.Length(max=254))


class UserListArgs(ma.Schema):
    class Meta:
        unknown = ma.INCLUDE  # filter[...] keys are read by the list helper

    format = ma.fields.String(load_default="json", validate=validate.OneOf(["json", "csv"]))
