import marshmallow as ma
from marshmallow import validate

from app.security.passwords import MAX_LENGTH, MIN_LENGTH

NEW_PASSWORD = validate.Length(min=MIN_LENGTH, max=MAX_LENGTH)


class LoginSchema(ma.Schema):
    email = ma.fields.String(required=True, validate=validate.Length(max=254))
    password = ma.fields.String(required=True, load_only=True, validate=validate.Length(max=200))


class TokenPairSchema(ma.Schema):
    access_token = ma.fields.String()
    refresh_token = ma.fields.String(allow_none=True, metadata={"description": "None on the platform domain"})
    token_type = ma.fields.String(metadata={"example": "Bearer"})
    expires_in = ma.fields.Integer(metadata={"description": "Seconds until the access token expires"})


class RefreshSchema(ma.Schema):
    refresh_token = ma.fields.String(required=True, load_only=True)


class LogoutSchema(ma.Schema):
    refresh_token = ma.fields.String(load_only=True, load_default=None)


class RegisterSchema(ma.Schema):
    email = ma.fields.Email(required=True)
    password = ma.fields.String(required=True, load_only=True, validate=NEW_PASSWORD)
    first_name = ma.fields.String(load_default="", validate=validate.Length(max=100))
    last_name = ma.fields.String(load_default="", validate=validate.Length(max=100))


class ForgotPasswordSchema(ma.Schema):
    email = ma.fields.String(required=True, validate=validate.Length(max=254))


class ResetPasswordSchema(ma.Schema):
    token = ma.fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=200))
    password = ma.fields.String(required=True, load_only=True, validate=NEW_PASSWORD)


class AcceptedSchema(ma.Schema):
    message = ma.fields.String()


class MembershipSchema(ma.Schema):
    id = ma.fields.Integer()
    name = ma.fields.String()
    role = ma.fields.String()


class MeTenantSchema(ma.Schema):
    id = ma.fields.Integer()
    slug = ma.fields.String()
    name = ma.fields.String()


class MeSchema(ma.Schema):
    type = ma.fields.String(metadata={"enum": ["user", "api_key", "operator"]})
    id = ma.fields.Integer()
    email = ma.fields.String()
    first_name = ma.fields.String(allow_none=True)
    last_name = ma.fields.String(allow_none=True)
    notification_email = ma.fields.String(allow_none=True)
    roles = ma.fields.List(ma.fields.String())
    permissions = ma.fields.List(ma.fields.String())
    branches = ma.fields.List(ma.fields.Nested(MembershipSchema))
    classes = ma.fields.List(ma.fields.Nested(MembershipSchema))
    tenant = ma.fields.Nested(MeTenantSchema, allow_none=True)
