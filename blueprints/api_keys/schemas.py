import marshmallow as ma
from marshmallow import validate

from app.api.types import UtcDateTime
from app.security.permissions import TENANT_ROLES


class ApiKeySchema(ma.Schema):
    id = ma.fields.Integer(dump_only=True)
    name = ma.fields.String(required=True, validate=validate.Length(min=1, max=100))
    prefix = ma.fields.String(dump_only=True, metadata={"description": "Visible part: tsk_<prefix>_…"})
    roles = ma.fields.List(
        ma.fields.String(validate=validate.OneOf(TENANT_ROLES)), required=True, validate=validate.Length(min=1)
    )
    created_at = UtcDateTime(dump_only=True)
    last_used_at = UtcDateTime(dump_only=True, allow_none=True)
    revoked_at = UtcDateTime(dump_only=True, allow_none=True)


class CreatedApiKeySchema(ApiKeySchema):
    key = ma.fields.String(dump_only=True, metadata={"description": "The whole key. Shown once."})
