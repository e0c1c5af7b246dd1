from zoneinfo import available_timezones

import marshmallow as ma
from flask_smorest.fields import Upload
from marshmallow import validate

from app.api.types import Boolean, ChangesSchema, UtcDateTime
from app.tenancy.models import TenantStatus
from blueprints.organizations.services import organization_url
from blueprints.organizations.settings import COLOR, LOCALE

# What `settings.update_settings` enforces, said in the document too (generated clients validate it).
COLOR_FIELD = {"validate": validate.Regexp(COLOR, error="Use a colour like #1d4ed8.")}
LOCALE_FIELD = {"validate": validate.Regexp(LOCALE, error="Use a language code such as en or pt-BR.")}
TIME_ZONE_FIELD = {
    "validate": validate.OneOf(sorted(available_timezones()), error="Not a time zone (e.g. Europe/Paris).")
}
DISPLAY_NAME_FIELD = {
    "validate": [validate.Length(min=1, max=200), validate.Regexp(r"^\s*\S", error="1 to 200 characters.")]
}


class OrganizationSchema(ma.Schema):
    id = ma.fields.Integer(dump_only=True)
    slug = ma.fields.String(dump_only=True)
    name = ma.fields.String(dump_only=True)
    status = ma.fields.String(dump_only=True, metadata={"enum": list(TenantStatus.ALL)})
    url = ma.fields.Function(lambda tenant: organization_url(tenant.slug), dump_only=True)
    settings = ma.fields.Dict(dump_only=True)
    created_at = UtcDateTime(dump_only=True)
    updated_at = UtcDateTime(dump_only=True)
    archived_at = UtcDateTime(dump_only=True, allow_none=True)


class OrganizationStatsSchema(ma.Schema):
    users = ma.fields.Integer()


class OrganizationDetailSchema(OrganizationSchema):
    """On a tenant host the organization also reports figures from its own database."""

    stats = ma.fields.Nested(OrganizationStatsSchema, dump_only=True, allow_none=True)


class OrganizationCreateSchema(ma.Schema):
    slug = ma.fields.String(required=True, metadata={"description": "Subdomain: 3-40 chars, a-z 0-9 -"})
    name = ma.fields.String(required=True, validate=validate.Length(min=1, max=200))
    admin_email = ma.fields.Email(required=True)
    admin_name = ma.fields.String(load_default="", validate=validate.Length(max=200))
    admin_password = ma.fields.String(
        load_only=True,
        validate=validate.Length(min=10, max=200),
        metadata={"description": "Omit to have one generated and returned once."},
    )


class OrganizationAdminSchema(ma.Schema):
    email = ma.fields.String()
    password = ma.fields.String(allow_none=True, metadata={"description": "Only when generated."})


class OrganizationCreatedSchema(OrganizationSchema):
    admin = ma.fields.Nested(OrganizationAdminSchema)


class OrganizationUpdateSchema(ChangesSchema):
    name = ma.fields.String(validate=validate.Length(min=1, max=200))
    status = ma.fields.String(validate=validate.OneOf([TenantStatus.ACTIVE, TenantStatus.SUSPENDED]))
    settings = ma.fields.Dict(keys=ma.fields.String())


class OrganizationDeleteArgs(ma.Schema):
    purge = Boolean(
        strict=False, load_default=False, metadata={"description": "Drop the database once its backup is written."}
    )


class SettingsSchema(ma.Schema):
    display_name = ma.fields.String()
    primary_color = ma.fields.String(metadata={"example": "#1d4ed8"})
    accent_color = ma.fields.String(metadata={"example": "#0f766e"})
    time_zone = ma.fields.String(metadata={"example": "Europe/Paris"})
    locale = ma.fields.String(metadata={"example": "en"})
    self_registration = ma.fields.Boolean()
    logo = ma.fields.String(allow_none=True, metadata={"description": "png, jpg or svg when a logo is set"})


class SettingsUpdateSchema(ChangesSchema):
    display_name = ma.fields.String(**DISPLAY_NAME_FIELD)
    primary_color = ma.fields.String(**COLOR_FIELD)
    accent_color = ma.fields.String(**COLOR_FIELD)
    time_zone = ma.fields.String(**TIME_ZONE_FIELD)
    locale = ma.fields.String(
        metadata={"description": "Stored for translations to come: pages and e-mails are in English today."},
        **LOCALE_FIELD,
    )
    self_registration = Boolean()


class LogoUploadSchema(ma.Schema):
    logo = Upload(required=True)
