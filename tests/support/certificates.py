"""Certificates for tests: a published course with named learners enrolled, through the API; reading the
stored certificates back."""

import io
import unicodedata

import sqlalchemy as sa
from pypdf import PdfReader

from app.extensions import db
from app.tenancy.context import tenant_context
from blueprints.certificates.models import Certificate
from tests.conftest import make_user, user_token
from tests.support.courses import make_course

LEARNER_NAMES = [("Αλέξανδρος", "Παπαδόπουλος"), ("Zoë", "Ångström"), ("محمد", "عبد الله")]


def build_certificate_course(app, api, tenant, login_as):
    """A teacher's published course of two lessons, and three named learners enrolled in it."""
    teacher_id = make_user(app, tenant, "teacher", first_name="Tess", last_name="Teacher")
    teacher = api(tenant, user_token(app, tenant, teacher_id, "teacher"))
    course_id, item_ids = make_course(teacher, title="Ethics of Data", items=2)
    learner_ids = [make_user(app, tenant, "student", first_name=first, last_name=last) for first, last in LEARNER_NAMES]
    response = teacher.post(f"/api/v1/courses/{course_id}/enrollments", json={"user_ids": learner_ids})
    assert response.status_code in (200, 201), response.get_json()
    return {
        "tenant": tenant,
        "course_id": course_id,
        "item_ids": item_ids,
        "teacher_id": teacher_id,
        "teacher": teacher,
        "admin": api(tenant, login_as(tenant, "org_admin")),
        "learner_ids": learner_ids,
        "learners": [api(tenant, user_token(app, tenant, learner_id, "student")) for learner_id in learner_ids],
    }


def complete_course(course, learner_index):
    for item_id in course["item_ids"]:
        response = course["learners"][learner_index].post(f"/api/v1/content/{item_id}/complete")
        assert response.status_code in (200, 201), response.get_json()


def certificates_of(app, tenant, **where):
    with tenant_context(tenant, app):
        rows = db.session.scalars(sa.select(Certificate).filter_by(**where).order_by(Certificate.id)).all()
        db.session.expunge_all()
        return rows


def pdf_text(data):
    raw = "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    return unicodedata.normalize("NFKC", raw)
