"""The organization's certificate templates (org admins): the list, and the editor with a live PDF preview.

The editor posts its fields to `preview` as you type (HTMX, debounced): the draft is rendered with sample data,
kept for ten minutes under a random token for this person, and shown in an `<object>` with an "open the
preview" link (phones that show no inline PDF open it in their viewer). Nothing is saved until "Save".
"""

import secrets

from flask import Blueprint, Response, abort, current_app, make_response, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length

from app.errors import DomainError
from app.forms import apply_domain_error
from app.jobs import redis_connection
from app.security.actor import current_actor
from app.security.headers import content_security_policy
from app.security.principal import requires
from app.tenancy.context import current_tenant
from blueprints.certificates import rendering, templates

bp = Blueprint("certificate_templates_pages", __name__)
ADMIN = "settings.manage"
PREVIEW_SECONDS = 600
SIGNATURE_ROWS = 2
SAVED_PREVIEW = "saved"  # a preview token that names no draft: the saved template


class NewTemplateForm(FlaskForm):
    name = StringField("Name", validators=[InputRequired(), Length(max=templates.MAX_NAME)])


class TemplateForm(FlaskForm):
    name = StringField("Name", validators=[InputRequired(), Length(max=templates.MAX_NAME)])
    page_size = SelectField("Page size", choices=[SelectChoice(size, size) for size in rendering.PAGE_SIZES])
    orientation = SelectField(
        "Orientation", choices=[SelectChoice(value, value.capitalize()) for value in rendering.ORIENTATIONS]
    )
    html = TextAreaField("HTML", render_kw={"rows": 18, "spellcheck": "false", "class": "code"})
    css = TextAreaField("CSS", render_kw={"rows": 12, "spellcheck": "false", "class": "code"})
    signature_name_0 = StringField("First signature: name", validators=[Length(max=120)])
    signature_title_0 = StringField("First signature: title", validators=[Length(max=120)])
    signature_name_1 = StringField("Second signature: name", validators=[Length(max=120)])
    signature_title_1 = StringField("Second signature: title", validators=[Length(max=120)])
    is_default = BooleanField("Courses that choose no template use this one")


class ImageForm(FlaskForm):
    background = FileField("Background image (PNG or JPEG, fitted to the page)")
    signature_0 = FileField("First signature's image (a transparent PNG reads best)")
    signature_1 = FileField("Second signature's image")


def _with_preview(page, status):
    """The editor page, allowed to show its own preview PDF in an <object> (pages allow no plugin content)."""
    response = make_response(page, status)
    policy = content_security_policy(current_app).replace("object-src 'none'", "object-src 'self'")
    policy = policy.replace("frame-src ", "frame-src 'self' ")
    response.headers["Content-Security-Policy"] = policy
    return response


def _values(form):
    signatures = []
    for number in range(SIGNATURE_ROWS):
        name = form[f"signature_name_{number}"].data.strip()
        if name:
            signatures.append({"name": name, "title": form[f"signature_title_{number}"].data.strip()})
    return {
        "name": form.name.data,
        "page_size": form.page_size.data,
        "orientation": form.orientation.data,
        "html": form.html.data or "",
        "css": form.css.data or "",
        "signatures": signatures,
    }


def _fill(form, template):
    form.name.data, form.page_size.data, form.orientation.data = template.name, template.page_size, template.orientation
    form.html.data, form.css.data, form.is_default.data = template.html, template.css, template.is_default
    for number, signature in enumerate((template.signatures or [])[:SIGNATURE_ROWS]):
        form[f"signature_name_{number}"].data = signature.get("name", "")
        form[f"signature_title_{number}"].data = signature.get("title", "")


@bp.route("/settings/certificates", methods=["GET", "POST"])
@requires(ADMIN)
def index():
    """The organization's certificate templates, and a new one from the shipped default."""
    form = NewTemplateForm()
    status = 200
    if form.validate_on_submit():
        try:
            template = templates.create_template({"name": form.name.data})
            return redirect(url_for(".editor", template_id=template.id), 303)
        except DomainError as error:
            apply_domain_error(form, error)
            status = 422
    elif form.is_submitted():
        status = 422
    rows = templates.all_templates()
    return render_template("certificates/templates_index.html", templates=rows, form=form), status


@bp.route("/settings/certificates/<int:template_id>", methods=["GET", "POST"])
@requires(ADMIN)
def editor(template_id):
    """Edit a template's HTML, CSS, page and signatures, with a live PDF preview."""
    template = templates.get_template(template_id)
    form, images = TemplateForm(), ImageForm(prefix="images")
    status, saved = 200, False
    if request.method == "GET":
        _fill(form, template)
    elif form.validate_on_submit():
        try:
            values = _values(form)
            if form.is_default.data:
                values["is_default"] = True
            template = templates.update_template(template_id, values)
            saved = True
        except DomainError as error:
            apply_domain_error(form, error)
            status = 422
    else:
        status = 422
    return _editor_page(template, form, images, status, saved=saved)


def _editor_page(template, form, images, status, saved=False):
    """The saved template's editor with its forms (as submitted, with their errors) and its preview."""
    return _with_preview(
        render_template(
            "certificates/template_editor.html",
            template=template,
            form=form,
            images=images,
            saved=saved,
            placeholders=templates.PLACEHOLDERS,
            preview_url=url_for(".preview_pdf", template_id=template.id, token=SAVED_PREVIEW),
            problems=None,
        ),
        status,
    )


@bp.route("/settings/certificates/<int:template_id>/images", methods=["POST"])
@requires(ADMIN)
def upload_images(template_id):
    """Upload a background or signature images (each file field given replaces that image)."""
    template = templates.get_template(template_id)
    images = ImageForm(prefix="images")
    form = TemplateForm()
    _fill(form, template)
    status = 200
    if images.validate_on_submit():
        try:
            if images.background.data:
                template = templates.set_background(template_id, images.background.data.read())
            for number in range(SIGNATURE_ROWS):
                upload = images[f"signature_{number}"].data
                if upload:
                    template = templates.set_signature_image(template_id, number, upload.read())
            return redirect(url_for(".editor", template_id=template_id), 303)
        except DomainError as error:
            apply_domain_error(images, error)
            status = 422
    else:
        status = 422
    return _editor_page(template, form, images, status)


@bp.route("/settings/certificates/<int:template_id>/background/remove", methods=["POST"])
@requires(ADMIN)
def remove_background(template_id):
    """Take the background image off the template."""
    form = FlaskForm()
    if not form.validate_on_submit():
        abort(400)
    templates.set_background(template_id, None)
    return redirect(url_for(".editor", template_id=template_id), 303)


@bp.route("/settings/certificates/<int:template_id>/delete", methods=["POST"])
@requires(ADMIN)
def delete(template_id):
    """Archive the template; its courses use the default from now on."""
    form = FlaskForm()
    if not form.validate_on_submit():
        abort(400)
    templates.delete_template(template_id)
    return redirect(url_for(".index"), 303)


def _preview_key(token):
    return f"certificate-preview:{current_tenant.slug}:{current_actor.id}:{token}"


@bp.route("/settings/certificates/<int:template_id>/preview", methods=["POST"])
@requires(ADMIN)
def preview(template_id):
    """The preview of the form as it is now (unsaved): the fragment with the PDF, or what is wrong."""
    templates.get_template(template_id)
    form = TemplateForm()
    problems, preview_url = None, None
    if not form.validate_on_submit():
        problems = {name: errors for name, errors in form.errors.items()}
    else:
        try:
            pdf = templates.preview_pdf(template_id, _values(form))
            token = secrets.token_hex(16)
            redis_connection().set(_preview_key(token), pdf, ex=PREVIEW_SECONDS)
            preview_url = url_for(".preview_pdf", template_id=template_id, token=token)
        except DomainError as error:
            problems = error.details or {"html": [error.message]}
    return render_template(
        "certificates/_template_preview.html", preview_url=preview_url, problems=problems, template_id=template_id
    )


@bp.route("/settings/certificates/<int:template_id>/preview/<token>.pdf")
@requires(ADMIN)
def preview_pdf(template_id, token):
    """A preview made a moment ago by this person (kept ten minutes); the saved template's otherwise."""
    data = redis_connection().get(_preview_key(token)) if len(token) == 32 else None
    if data is None:
        data = templates.preview_pdf(template_id)
    headers = {
        "Cache-Control": "no-store",
        # shown in the editor's <object>, on this site only
        "Content-Security-Policy": "default-src 'none'; frame-ancestors 'self'",
        "X-Frame-Options": "SAMEORIGIN",
        "Content-Disposition": f'inline; filename="certificate-preview-{template_id}.pdf"',
    }
    return Response(data, mimetype="application/pdf", headers=headers)
