"""The notification templates' pages (org admins): the types with which ones the organization words its own way,
and the editor: subject and body, the type's variables with a button to insert each, a live preview (htmx,
debounced) of the subject, the text and the HTML e-mail with each problem next to its field, save, and going
back to the default after a confirmation.

Everything works without JavaScript: the preview refreshes on save or on "Preview", and an insert button posts
the form, which comes back with the variable added at the end of the chosen field (with JavaScript it goes in
at the cursor: static/js/notification-templates.js).
"""

from flask import Blueprint, current_app, flash, make_response, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectChoice, StringField, TextAreaField

from app.errors import DomainError
from app.forms import apply_domain_error
from app.pages import is_htmx, organizations_only
from app.security.headers import content_security_policy
from app.security.principal import requires
from blueprints.notifications import template_editor

bp = Blueprint("notification_template_pages", __name__, url_prefix="/notifications/templates")
MANAGE = template_editor.MANAGE


# Notification templates are an organization's: the platform's host has none
organizations_only(bp)


class TemplateForm(FlaskForm):
    subject = StringField(
        "Subject",
        render_kw={"spellcheck": "false", "autocomplete": "off", "class": "code"},
        description="One line, 300 characters at most once written out.",
    )
    body = TextAreaField(
        "Body",
        render_kw={"rows": 12, "spellcheck": "false", "class": "code"},
        description="Plain text; leave a blank line between paragraphs. The e-mail adds the greeting's layout, "
        "the button to the link and the footer.",
    )
    insert_into = RadioField(
        "Insert variables into",
        choices=[SelectChoice("body", "Body"), SelectChoice("subject", "Subject")],
        default="body",
    )


def _with_email_preview(page, status=200):
    """The page, allowed to draw the e-mail's inline styles in its sandboxed `<iframe srcdoc>`: a srcdoc document
    inherits the page's policy, and an e-mail has nothing but inline styles (mail clients drop stylesheets).
    Style attributes only; no script runs in the frame (sandbox without allow-scripts) nor on the page."""
    response = make_response(page, status)
    response.headers["Content-Security-Policy"] = (
        content_security_policy(current_app) + "; style-src-attr 'unsafe-inline'"
    )
    return response


def _form_for(state):
    form = TemplateForm()
    if request.method == "GET":
        form.subject.data = state.subject if state.customized else state.default_subject
        form.body.data = state.body if state.customized else state.default_body
    return form


def _editor(state, form, preview, status=200):
    page = render_template(
        "notifications/templates/editor.html",
        state=state,
        form=form,
        preview=preview,
        problems=preview.problems if preview else {},
    )
    return _with_email_preview(page, status)


@bp.get("")
@requires(MANAGE)
def index():
    """The types of notification, and which ones speak in the organization's own words."""
    return render_template("notifications/templates/index.html", states=template_editor.list_templates())


@bp.route("/<type_key>", methods=["GET", "POST"])
@requires(MANAGE)
def editor(type_key):
    """Edit the subject and body of one type, with a live preview; save them."""
    state = template_editor.template_of(type_key)
    form = _form_for(state)
    if request.method == "POST" and not form.validate_on_submit():
        return _editor(state, form, None, 422)  # its fields' errors say what could not be read
    if request.form.get("insert"):  # an insert button without JavaScript: at the end of the chosen field
        field = form.subject if form.insert_into.data == "subject" else form.body
        text = field.data or ""
        field.data = text + ("" if not text or text[-1].isspace() else " ") + request.form["insert"][:80]
    elif request.method == "POST" and request.form.get("action") != "preview":
        try:
            template_editor.save_template(type_key, form.subject.data or "", form.body.data or "")
            flash("Saved: notifications of this type use these words from now on.")
            return redirect(url_for(".editor", type_key=type_key), 303)
        except DomainError as error:
            apply_domain_error(form, error)
            return _editor(state, form, _preview_of(type_key, form), 422)
    return _editor(state, form, _preview_of(type_key, form))


def _preview_of(type_key, form):
    return template_editor.preview(type_key, form.subject.data or "", form.body.data or "")


@bp.post("/<type_key>/preview")
@requires(MANAGE)
def preview(type_key):
    """The preview of the words as they are in the form (nothing saved), with the problems next to the fields."""
    template_editor.kind_of(type_key)
    form = TemplateForm()
    if not form.validate_on_submit():
        unread = template_editor.Preview("", "", problems={"form": ["The form could not be read: reload the page."]})
        # htmx swaps only a 2xx in: the message must show where the preview was
        return render_template("notifications/templates/_preview.html", preview=unread, problems={}), (
            200 if is_htmx() else 422
        )
    shown = _preview_of(type_key, form)
    fragment = render_template(
        "notifications/templates/_preview.html", preview=shown, problems=shown.problems, out_of_band=is_htmx()
    )
    return _with_email_preview(fragment)


@bp.post("/<type_key>/reset")
@requires(MANAGE)
def reset(type_key):
    """Go back to the type's default words (after the editor's confirmation)."""
    template_editor.kind_of(type_key)
    if not FlaskForm().validate_on_submit():
        flash("The form had expired; nothing was changed. Try again.")
        return redirect(url_for(".editor", type_key=type_key), 303)
    if template_editor.reset_template(type_key):
        flash("Back to the default words.")
    return redirect(url_for(".editor", type_key=type_key), 303)
