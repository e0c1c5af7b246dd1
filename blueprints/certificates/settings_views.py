"""A course's certificate page for its managers: whether completing it gives a certificate, with which template
and for how long; linked from the course's teaching pages."""

from flask import Blueprint, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SelectChoice, SelectField
from wtforms.validators import NumberRange, Optional

from app.errors import DomainError
from app.forms import apply_domain_error
from app.security.principal import requires
from blueprints.certificates import issuance, settings, templates
from blueprints.courses import access

bp = Blueprint("certificate_settings_pages", __name__)


class CertificateSettingsForm(FlaskForm):
    enabled = BooleanField("Completing this course gives a certificate")
    template_id = SelectField("Template", coerce=int)
    valid_months = IntegerField(
        "Valid for (months)",
        validators=[Optional(), NumberRange(min=1, max=settings.MAX_VALID_MONTHS)],
        description="Leave empty: it never expires.",
    )


class IssueForm(FlaskForm):
    user_id = SelectField("Learner", coerce=int, description="Learners of the course who hold no certificate of it.")


def _issue_form(course_id):
    form = IssueForm(prefix="issue")
    form.user_id.choices = [
        SelectChoice(user_id, label) for user_id, label in issuance.learners_without_certificate(course_id)
    ]
    return form


def _page(course, form, issue_form, status, saved=False, issued=None):
    page = render_template(
        "certificates/settings_course.html", course=course, form=form, issue_form=issue_form, saved=saved, issued=issued
    )
    return page, status


@bp.route("/courses/<int:course_id>/certificate/issue", methods=["POST"])
@requires("courses.manage")
def issue(course_id):
    """Issue a certificate by hand to a learner of the course (its managers); its PDF follows from the worker."""
    course = access.course_for(course_id, "manage")
    form, issue_form = CertificateSettingsForm(formdata=None), _issue_form(course.id)
    _fill_settings(form, course.id, fill=True)
    if not issue_form.validate_on_submit():
        return _page(course, form, issue_form, 422)
    try:
        certificate = issuance.issue_by_hand(course.id, issue_form.user_id.data)
    except DomainError as error:
        apply_domain_error(issue_form, error)
        return _page(course, form, issue_form, 422)
    return redirect(url_for(".course_settings", course_id=course.id, issued=certificate.code), 303)


def _fill_settings(form, course_id, fill):
    current = settings.settings_of(course_id)
    form.template_id.choices = [
        SelectChoice(0, "The organization's default"),
        *(SelectChoice(i, n) for i, n in templates.template_choices()),
    ]
    if fill:
        form.enabled.data = current.enabled
        form.template_id.data = current.template_id or 0
        form.valid_months.data = current.valid_months


@bp.route("/courses/<int:course_id>/certificate", methods=["GET", "POST"])
@requires("courses.manage")
def course_settings(course_id):
    """The course's certificate settings (its managers)."""
    course = access.course_for(course_id, "manage")
    form = CertificateSettingsForm()
    _fill_settings(form, course.id, fill=not form.is_submitted())
    status, saved = 200, False
    if form.is_submitted() and form.validate():
        try:
            settings.update_settings(
                course.id,
                {
                    "enabled": bool(form.enabled.data),
                    "template_id": form.template_id.data or None,
                    "valid_months": form.valid_months.data,
                },
            )
            saved = True
        except DomainError as error:
            apply_domain_error(form, error)
            status = 422
    elif form.is_submitted():
        status = 422
    issued = request.args.get("issued") if request.method == "GET" else None
    return _page(course, form, _issue_form(course.id), status, saved=saved, issued=issued)
