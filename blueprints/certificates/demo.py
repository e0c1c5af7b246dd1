"""The certificates feature's part of the demo: the organization's default template (the shipped design, with a
signature), and "Getting started" set to give a certificate valid two years: the demo student who completes
it gets one from the worker, without anyone clicking."""

import sqlalchemy as sa

from app.extensions import db
from blueprints.certificates import templates
from blueprints.certificates.models import CourseCertificateSettings
from blueprints.courses.models import Course

DEMO_COURSE = "getting-started"
DEMO_SIGNATURES = [{"name": "Ada Lovelace", "title": "Director of Studies", "image_key": None}]


def seed_certificates(_password):
    """The default template and the demo course's certificate settings (idempotent)."""
    template = templates.default_template()
    if not template.signatures:
        template.signatures = DEMO_SIGNATURES
    course = db.session.scalar(sa.select(Course).where(Course.slug == DEMO_COURSE))
    if course is not None and db.session.get(CourseCertificateSettings, course.id) is None:
        db.session.add(CourseCertificateSettings(course_id=course.id, enabled=True, template_id=None, valid_months=24))
        db.session.commit()
        yield f"{course.title} gives a certificate (template {template.name}, valid 24 months)"
    db.session.commit()
