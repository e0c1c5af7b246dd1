import marshmallow as ma
from marshmallow import validate

from app.api.types import Id, UtcDateTime
from app.security.permissions import TENANT_ROLES


class ApiKeySchema(ma.Schema):
    id = ma.fields.Integer(dump_only=True)
    name = ma.fields.String(required=True, validate=validate.Length(min=1, max=100))
    prefix = ma.fields.String(dump_only=True, metadata={"description": "Visible part: tsk_<prefix>_…"})
    roles = ma.fields.List(
        ma.fields.String(validate=validate.OneOf(TENANT_ROLES)),
        load_default=list,
        validate=validate.Length(max=len(TENANT_ROLES)),
        metadata={
            "description": "the roles the key acts with (one or more); none for a key narrowed to an integration"
        },
    )
    integration_id = Id(
        allow_none=True,
        load_default=None,
        metadata={
            "description": "narrow the key to one integration: it answers 403 everywhere but "
            "/api/v1/integrations/{integration_id} and below, where it manages that integration"
        },
    )
    created_at = UtcDateTime(dump_only=True)
    last_used_at = UtcDateTime(dump_only=True, allow_none=True)
    revoked_at = UtcDateTime(dump_only=True, allow_none=True)


class CreatedApiKeySchema(ApiKeySchema):
    key = ma.fields.String(dump_only=True, metadata={"description": "The whole key. Shown once."})
