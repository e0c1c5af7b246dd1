"""`/api/v1/notifications/templates`: the organization's own subject and body for each type of notification (its
admins), checked and previewed with the type's sample (docs/notifications.md, "Templates")."""

import marshmallow as ma
from flask.views import MethodView
from marshmallow import validate

from app.api.blueprint import ApiBlueprint
from app.api.types import UtcDateTime
from app.errors import ValidationFailed
from app.security.principal import requires
from blueprints.notifications import template_editor
from blueprints.notifications.types import TYPES

blp = ApiBlueprint(
    "notification_templates",
    __name__,
    url_prefix="/api/v1/notifications/templates",
    description="Notification templates: an organization's own subject and body per type (sandboxed Jinja).",
)
BEARER = [{"bearerAuth": []}]
TEMPLATE_SYNTAX = (
    "Jinja: {{ variable }}, {{ course.title }}, {% if due_date %}...{% endif %}; the type's variables only"
)


class VariableSchema(ma.Schema):
    name = ma.fields.String()
    description = ma.fields.String()
    keys = ma.fields.List(ma.fields.String(), metadata={"description": "a dict variable's keys (course: title)"})
    sample = ma.fields.Raw(metadata={"description": "its value in the preview"})


class TemplateStateSchema(ma.Schema):
    type = ma.fields.String()
    label = ma.fields.String()
    description = ma.fields.String()
    mandatory = ma.fields.Boolean()
    variables = ma.fields.List(ma.fields.Nested(VariableSchema))
    default_subject = ma.fields.String()
    default_body = ma.fields.String()
    subject = ma.fields.String(allow_none=True, metadata={"description": "the organization's; null: the default"})
    body = ma.fields.String(allow_none=True)
    customized = ma.fields.Boolean()
    last_error = ma.fields.String(
        allow_none=True, metadata={"description": "the saved template failed on real data: the default was used"}
    )
    last_error_at = UtcDateTime(allow_none=True)
    updated_at = UtcDateTime(allow_none=True)


class TemplateInputSchema(ma.Schema):
    type = ma.fields.String(required=True, validate=validate.OneOf(tuple(TYPES)))
    subject = ma.fields.String(required=True, metadata={"description": TEMPLATE_SYNTAX + "; one line, 300 at most"})
    body = ma.fields.String(required=True, metadata={"description": TEMPLATE_SYNTAX + "; 20 000 characters at most"})


class PreviewSchema(ma.Schema):
    subject = ma.fields.String()
    text = ma.fields.String(metadata={"description": "the body: the in-app text and the e-mail's plain text"})
    html = ma.fields.String(allow_none=True, metadata={"description": "the HTML e-mail"})


class ResetSchema(ma.Schema):
    type = ma.fields.String()
    customized = ma.fields.Boolean(metadata={"description": "false: the default is used from now on"})


@blp.route("")
class NotificationTemplates(MethodView):
    @requires(template_editor.MANAGE)
    @blp.doc(security=BEARER)
    @blp.response(200, TemplateStateSchema(many=True))
    def get(self):
        """Every type: its variables, its default words, the organization's own if any and their last failure."""
        return template_editor.list_templates()

    @requires(template_editor.MANAGE)
    @blp.doc(security=BEARER)
    @blp.arguments(TemplateInputSchema)
    @blp.response(200, TemplateStateSchema, description="Replaced")
    @blp.alt_response(201, schema=TemplateStateSchema, description="Created")
    def post(self, data):
        """Save the organization's subject and body of a type (201 the first time, 200 after). 422 with each
        problem under `details.subject` / `details.body` with its line ("line 3: 'foo' is undefined")."""
        _template, created = template_editor.save_template(data["type"], data["subject"], data["body"])
        return template_editor.template_of(data["type"]), 201 if created else 200


@blp.route("/preview")
class NotificationTemplatePreview(MethodView):
    @requires(template_editor.MANAGE)
    @blp.doc(security=BEARER)
    @blp.arguments(TemplateInputSchema)
    @blp.response(200, PreviewSchema)
    def post(self, data):
        """What a person would get with the type's sample: subject, text and HTML e-mail (nothing is saved). 422
        with the problems, as for saving."""
        shown = template_editor.preview(data["type"], data["subject"], data["body"])
        if shown.problems:
            raise ValidationFailed("The template was refused.", shown.problems)
        return shown


@blp.route("/<type_key>")
class NotificationTemplateByType(MethodView):
    @requires(template_editor.MANAGE)
    @blp.doc(security=BEARER)
    @blp.response(200, TemplateStateSchema)
    def get(self, type_key):
        """One type, as in the list."""
        return template_editor.template_of(type_key)

    @requires(template_editor.MANAGE)
    @blp.doc(security=BEARER)
    @blp.response(200, ResetSchema)
    def delete(self, type_key):
        """Back to the type's default words (404 for a type the app does not have)."""
        template_editor.reset_template(type_key)
        return {"type": type_key, "customized": False}
