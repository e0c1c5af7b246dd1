import marshmallow as ma
from marshmallow import validate

from app.api.types import Boolean, ChangesSchema, UtcDateTime, id_list
from app.emails import normalize_email
from app.errors import ValidationFailed
from app.security.permissions import TENANT_ROLES
from blueprints.users.listing import ANY_STATUS, CURRENT_STATUSES, STATUS_CHOICE_PATTERN, STATUSES, is_status_choice


def _blank_or_email(value):
    """The checks `normalize_email` makes, reported under the field that failed them."""

    if value.strip():
        try:
            normalize_email(value)
        except ValidationFailed as error:
            raise ma.ValidationError(error.details.get("email") or [error.message]) from None


def _status_choice(value):
    if not is_status_choice(value):
        raise ma.ValidationError(f"Use {ANY_STATUS}, or {', '.join(STATUSES)} separated by commas.")


class UserSchema(ma.Schema):
    id = ma.fields.Integer(dump_only=True)
    email = ma.fields.String(dump_only=True)
    first_name = ma.fields.String(dump_only=True)
    last_name = ma.fields.String(dump_only=True)
    role = ma.fields.String(dump_only=True)
    external_id = ma.fields.String(dump_only=True, allow_none=True)
    status = ma.fields.String(dump_only=True, metadata={"enum": ["active", "invited", "inactive"]})
    is_active = ma.fields.Boolean(dump_only=True)
    archived_by_run_id = ma.fields.Integer(
        dump_only=True,
        allow_none=True,
        metadata={"description": "the archiving run that deactivated the person (status inactive); null otherwise"},
    )
    created_at = UtcDateTime(dump_only=True)


class UserCreateSchema(ma.Schema):
    email = ma.fields.Email(required=True)
    first_name = ma.fields.String(required=True, validate=validate.Length(min=1, max=100))
    last_name = ma.fields.String(required=True, validate=validate.Length(min=1, max=100))
    role = ma.fields.String(required=True, validate=validate.OneOf(TENANT_ROLES))
    branch_ids = id_list(load_default=list)
    external_id = ma.fields.String(validate=validate.Length(max=100), load_default=None)
    password = ma.fields.String(load_only=True, load_default=None, metadata={"description": "Omit to invite."})
    send_invitation = Boolean(load_default=True)


class UserUpdateSchema(ChangesSchema):
    email = ma.fields.Email(
        validate=validate.Length(max=254), metadata={"description": "The sign-in address (org admins only)."}
    )
    branch_ids = id_list(
        metadata={
            "description": "The person's branches from now on; a branch manager moves people among their own "
            "branches only (memberships elsewhere stay) and keeps each in at least one of them."
        }
    )
    first_name = ma.fields.String(validate=validate.Length(min=1, max=100))
    last_name = ma.fields.String(validate=validate.Length(min=1, max=100))
    role = ma.fields.String(validate=validate.OneOf(TENANT_ROLES))
    external_id = ma.fields.String(validate=validate.Length(max=100), allow_none=True)
    is_active = Boolean(metadata={"description": "false deactivates, true reactivates"})


class ProfileSchema(ChangesSchema):
    first_name = ma.fields.String(validate=validate.Length(max=100))
    last_name = ma.fields.String(validate=validate.Length(max=100))
    notification_email = ma.fields.String(
        allow_none=True,
        validate=[validate.Length(max=254), _blank_or_email],
        metadata={"description": "Empty or null: mails go to the sign-in address."},
    )


class UserListArgs(ma.Schema):
    class Meta:
        unknown = ma.INCLUDE  # filter[...] keys are read by the list helper

    format = ma.fields.String(load_default="json", validate=validate.OneOf(["json", "csv"]))
    status = ma.fields.String(load_default=ANY_STATUS, validate=_status_choice)  # documented: STATUS_PARAMETER


# The list's `status` in the document (api.py lists it with the list helper's parameters, which take the place of
# those smorest derives from UserListArgs).
STATUS_PARAMETER = {
    "in": "query",
    "name": "status",
    "schema": {"type": "string", "pattern": STATUS_CHOICE_PATTERN, "default": ANY_STATUS, "example": CURRENT_STATUSES},
    "description": "People of these statuses: active, invited, inactive (deactivated, by hand or by the archiving "
    "policy), archived (deactivated by the archiving policy: a part of inactive), separated by commas, or"
    " all. Default all, as before this parameter: a client that keeps another system in step must go on "
    "seeing who was deactivated; the people page asks for active,invited. Narrows together with "
    "filter[status]; applies to format=csv too.",
}
