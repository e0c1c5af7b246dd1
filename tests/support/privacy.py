"""Two learners with the same kinds of records (for a person's export and erasure, blueprints/privacy): a
course with two lessons completed (so progress, a certificate and notifications), a quiz attempt with answers,
sign-ins, an audit entry about each. The first is the person acted on; the second must never show up."""

import io
import zipfile

import sqlalchemy as sa

from app.extensions import db
from app.tenancy.context import tenant_context
from blueprints.audit.recording import record
from blueprints.users.models import User
from tests.conftest import run_jobs
from tests.support.attempts import make_quiz
from tests.support.certificates import build_certificate_course, complete_course


def build_two_learners(app, api, tenant, login_as):
    course = build_certificate_course(app, api, tenant, login_as)
    quiz_id = make_quiz(app, tenant, course["course_id"], kinds=("true_false",))
    for learner in course["learners"][:2]:
        attempt = learner.post(f"/api/v1/assessments/{quiz_id}/attempts")
        assert attempt.status_code == 201, attempt.get_json()
        attempt_id = attempt.get_json()["data"]["id"]
        learner.put(f"/api/v1/attempts/{attempt_id}/answers/1", json={"response": {"answer": True}})
        submitted = learner.post(f"/api/v1/attempts/{attempt_id}/submit", json={})
        assert submitted.status_code == 200, submitted.get_json()
    for index in (0, 1):
        complete_course(course, index)
    run_jobs(app)  # the certificate is issued, the notifications made
    run_jobs(app)  # its PDF rendered and signed
    subject, other = course["learner_ids"][:2]
    with tenant_context(tenant, app):
        for user_id in (subject, other):
            person = db.session.get(User, user_id)
            record(
                "user.updated",
                target_type="user",
                target_id=user_id,
                target_label=person.email,
                subject_user_id=user_id,
                details={"changed": {"email": [person.email, person.email]}},
            )
        db.session.commit()
    return {**course, "quiz_id": quiz_id, "subject": subject, "other": other}


def person_facts(app, tenant, user_id):
    """(e-mail, first name, last name) of a person."""
    with tenant_context(tenant, app):
        person = db.session.get(User, user_id)
        return person.email, person.first_name, person.last_name


def unzip(data):
    """{file name: text} of a ZIP."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name).decode() for name in archive.namelist()}


def text_columns_holding(app, tenant, needles):
    """[(table, column, needle)] for every text or JSON column of every tenant table that holds one of `needles`
    (case-insensitive), read straight from the database."""
    found = []
    with tenant_context(tenant, app):
        engine = db.session.get_bind(mapper=sa.inspect(User))
        metadata = sa.MetaData()
        metadata.reflect(engine)
        with engine.connect() as connection:
            for table in metadata.tables.values():
                for column in table.columns:
                    if not isinstance(column.type, sa.String | sa.Text | sa.JSON) and "JSON" not in str(column.type):
                        continue
                    for value in connection.execute(sa.select(column).where(column.is_not(None))).scalars():
                        text = str(value).casefold()
                        found += [(table.name, column.name, n) for n in needles if n and n.casefold() in text]
    return sorted(set(found))
