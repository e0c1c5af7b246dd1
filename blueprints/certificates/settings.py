"""A course's certificate settings: whether completing it gives a certificate, with which template, valid for
how many months. Set by the course's managers; a course without a row gives one with the default template and
no expiry (models.CourseCertificateSettings)."""

from dataclasses import dataclass

from app.errors import ValidationFailed
from app.extensions import db
from app.security.actor import current_actor
from blueprints.certificates.models import CertificateTemplate, CourseCertificateSettings
from blueprints.courses import access

MAX_VALID_MONTHS = 600  # fifty years: longer is "never expires"


@dataclass(frozen=True)
class CertificateSettings:
    course_id: int
    enabled: bool
    template_id: int | None
    valid_months: int | None


def settings_of(course_id):
    """What the course gives (no scope check: issuance asks for any course)."""
    row = db.session.get(CourseCertificateSettings, course_id)
    if row is None:
        return CertificateSettings(course_id, True, None, None)
    return CertificateSettings(course_id, row.enabled, row.template_id, row.valid_months)


def get_settings(course_id, actor=current_actor):
    """A course's settings, to its managers (404 to who cannot see it, 403 to who may not change it)."""
    access.course_for(course_id, "manage", actor)
    return settings_of(course_id)


def _problems(values):
    problems = {}
    if "enabled" in values and not isinstance(values["enabled"], bool):
        problems["enabled"] = ["true or false."]
    if "valid_months" in values:
        months = values["valid_months"]
        if months is not None and (isinstance(months, bool) or not isinstance(months, int)):
            problems["valid_months"] = ["A whole number of months, or null for no expiry."]
        elif months is not None and not 1 <= months <= MAX_VALID_MONTHS:
            problems["valid_months"] = [f"Between 1 and {MAX_VALID_MONTHS}, or null for no expiry."]
    if "template_id" in values and values["template_id"] is not None:
        template = (
            db.session.get(CertificateTemplate, values["template_id"])
            if isinstance(values["template_id"], int)
            else None
        )
        if template is None or template.archived_at is not None:
            problems["template_id"] = ["No such certificate template."]
    return problems


def update_settings(course_id, values, actor=current_actor):
    """Change what the course gives (its managers). Certificates already issued keep their template and dates."""
    access.course_for(course_id, "manage", actor)
    unknown = {key: ["Not a setting."] for key in values if key not in ("enabled", "template_id", "valid_months")}
    problems = unknown | _problems(values)
    if problems:
        raise ValidationFailed("The certificate settings are not valid.", problems)
    row = db.session.get(CourseCertificateSettings, course_id)
    if row is None:
        row = CourseCertificateSettings(course_id=course_id, enabled=True, template_id=None, valid_months=None)
        db.session.add(row)
    for key, value in values.items():
        setattr(row, key, value)
    db.session.commit()
    return settings_of(course_id)
