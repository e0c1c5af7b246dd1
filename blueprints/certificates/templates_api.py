"""`/api/v1/certificate-templates`: the organization's certificate templates (its admins), and their preview."""

import marshmallow as ma
from flask import make_response, request
from flask.views import MethodView
from marshmallow import validate

from app.api.blueprint import ApiBlueprint
from app.api.listing import list_parameters, page_response, parse_list_query
from app.api.types import Boolean, ChangesSchema, UtcDateTime
from app.security.principal import requires
from blueprints.certificates import rendering, templates

blp = ApiBlueprint(
    "certificate_templates",
    __name__,
    url_prefix="/api/v1/certificate-templates",
    description="Certificate templates: HTML and CSS with placeholders, rendered in a sandbox.",
)
BEARER = [{"bearerAuth": []}]


class SignatureSchema(ma.Schema):
    name = ma.fields.String(required=True, validate=validate.Length(min=1, max=120))
    title = ma.fields.String(load_default="", validate=validate.Length(max=120))
    has_image = ma.fields.Function(lambda signature: bool(signature.get("image_key")), dump_only=True)


class TemplateFieldsSchema(ma.Schema):
    name = ma.fields.String(validate=validate.Length(min=1, max=templates.MAX_NAME))
    html = ma.fields.String(
        validate=validate.Length(min=1, max=templates.MAX_HTML_CHARS),
        metadata={"description": "Jinja placeholders: " + ", ".join(sorted(templates.PLACEHOLDERS))},
    )
    css = ma.fields.String(validate=validate.Length(max=templates.MAX_CSS_CHARS))
    page_size = ma.fields.String(validate=validate.OneOf(rendering.PAGE_SIZES))
    orientation = ma.fields.String(validate=validate.OneOf(rendering.ORIENTATIONS))
    signatures = ma.fields.List(
        ma.fields.Nested(SignatureSchema), validate=validate.Length(max=templates.MAX_SIGNATURES)
    )
    is_default = Boolean(metadata={"description": "courses that pick none use it"})


class TemplateSchema(TemplateFieldsSchema):
    id = ma.fields.Integer(dump_only=True)
    name = ma.fields.String(required=True, validate=validate.Length(min=1, max=templates.MAX_NAME))
    has_background = ma.fields.Function(lambda template: bool(template.background_key), dump_only=True)
    created_at = UtcDateTime(dump_only=True)
    updated_at = UtcDateTime(dump_only=True)


class TemplateUpdateSchema(TemplateFieldsSchema, ChangesSchema):
    pass


class TemplateDeletedSchema(ma.Schema):
    id = ma.fields.Integer()
    outcome = ma.fields.String(metadata={"enum": ["archived"]})


def pdf_response(data, name):
    response = make_response(data)
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = f'inline; filename="{name}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@blp.route("")
class Templates(MethodView):
    @requires("settings.manage")
    @blp.doc(parameters=list_parameters(templates.TEMPLATE_LIST), security=BEARER)
    @blp.response(200, TemplateSchema(many=True))
    def get(self):
        """The organization's templates (the shipped default is there from the first look)."""
        query = parse_list_query(request.args, templates.TEMPLATE_LIST)
        return page_response(templates.list_templates(query), query)

    @requires("settings.manage")
    @blp.doc(security=BEARER)
    @blp.arguments(TemplateSchema)
    @blp.response(201, TemplateSchema)
    def post(self, data):
        """A new template (the shipped default's HTML and CSS unless given). 422 names the line of a syntax
        error and any unknown placeholder; a template that the sandbox refuses or cuts is refused."""
        return templates.create_template(data)


@blp.route("/<int:template_id>")
class TemplateById(MethodView):
    @requires("settings.manage")
    @blp.doc(security=BEARER)
    @blp.response(200, TemplateSchema)
    def get(self, template_id):
        """A template, with its HTML and CSS."""
        return templates.get_template(template_id)

    @requires("settings.manage")
    @blp.doc(security=BEARER)
    @blp.arguments(TemplateUpdateSchema)
    @blp.response(200, TemplateSchema)
    def put(self, data, template_id):
        """Change a template (certificates already issued keep their PDF); `is_default: true` makes it the
        default."""
        return templates.update_template(template_id, data)

    @requires("settings.manage")
    @blp.doc(security=BEARER)
    @blp.response(200, TemplateDeletedSchema)
    def delete(self, template_id):
        """Archive a template (409 for the default); its courses use the default from now on."""
        templates.delete_template(template_id)
        return {"id": template_id, "outcome": "archived"}


@blp.route("/<int:template_id>/preview")
class TemplatePreview(MethodView):
    @requires("settings.manage")
    @blp.doc(security=BEARER)
    @blp.arguments(TemplateFieldsSchema, required=False)
    @blp.response(200, content_type="application/pdf")
    def post(self, data, template_id):
        """A PDF of the template with sample data; fields sent are previewed over the stored ones (unsaved)."""
        data = dict(data or {})
        data.pop("is_default", None)
        return pdf_response(templates.preview_pdf(template_id, data), f"preview-{template_id}.pdf")
