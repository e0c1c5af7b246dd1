"""A course's certificate page for its managers: whether completing it gives a certificate, with which template
and for how long; linked from the course's teaching pages."""

from flask import Blueprint, render_template
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SelectChoice, SelectField
from wtforms.validators import NumberRange, Optional

from app.errors import DomainError
from app.forms import apply_domain_error
from app.security.principal import requires
from blueprints.certificates import settings, templates
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


@bp.route("/courses/<int:course_id>/certificate", methods=["GET", "POST"])
@requires("courses.manage")
def course_settings(course_id):
    """The course's certificate settings (its managers)."""
    course = access.course_for(course_id, "manage")
    current = settings.settings_of(course.id)
    form = CertificateSettingsForm()
    choices = templates.template_choices()
    form.template_id.choices = [
        SelectChoice(0, "The organization's default"),
        *(SelectChoice(i, n) for i, n in choices),
    ]
    status, saved = 200, False
    if not form.is_submitted():
        form.enabled.data = current.enabled
        form.template_id.data = current.template_id or 0
        form.valid_months.data = current.valid_months
    elif form.validate():
        try:
            current = settings.update_settings(
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
    else:
        status = 422
    return render_template("certificates/settings_course.html", course=course, form=form, saved=saved), status
