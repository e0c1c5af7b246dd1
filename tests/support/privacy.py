"""Two learners with the same kinds of records (for a person's export and erasure, blueprints/privacy): a
course with two lessons completed (so progress, a certificate and notifications), a quiz attempt with answers,
sign-ins, an audit entry about each. The first is the person acted on; the second must never show up."""

import base64
import contextlib
import io
import json
import re
import unicodedata
import zipfile
import zlib
from pathlib import Path

import sqlalchemy as sa

from app.extensions import db
from app.storage import media_storage
from app.tenancy.context import tenant_context
from blueprints.audit.recording import record
from blueprints.users.models import User
from tests.conftest import run_jobs
from tests.support.attempts import make_quiz
from tests.support.certificates import build_certificate_course, complete_course, pdf_text


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


JWT = re.compile(rb"eyJ[\w-]+\.([\w-]+)\.[\w-]+")
PDF_STREAM = re.compile(rb"stream\r?\n(.*?)\r?\nendstream", re.DOTALL)


def _texts_of(data):
    """Every reading of a stored file a person could make: its bytes as text, a PDF's extracted text and inflated
    streams (the embedded credential among them), a ZIP's members (an XLSX too), a JWT's decoded claims."""
    texts = [data.decode("utf-8", "replace"), data.decode("latin-1")]
    if data.startswith(b"%PDF"):
        with contextlib.suppress(Exception):  # a PDF pypdf cannot read is still searched as bytes
            texts.append(pdf_text(data))
        for stream in PDF_STREAM.findall(data):
            with contextlib.suppress(zlib.error):
                texts += _texts_of(zlib.decompress(stream))
    if data.startswith(b"PK\x03\x04"):
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for name in archive.namelist():
                texts += [name, *_texts_of(archive.read(name))]
    for claims in JWT.findall(data):
        with contextlib.suppress(ValueError):
            decoded = json.loads(base64.urlsafe_b64decode(claims + b"=" * (-len(claims) % 4)))
            texts.append(json.dumps(decoded, ensure_ascii=False))
    return texts


def stored_files_holding(app, tenant, needles):
    """[(file key, needle)] for every file the organization stores (certificate PDFs, archives, report files,
    exports, uploads) that holds one of `needles` (case-insensitive) in any reading of it (`_texts_of`)."""
    with app.app_context():
        root = Path(media_storage().root) / tenant.slug
    found = []
    for path in sorted(root.rglob("*")) if root.is_dir() else []:
        if path.is_file():
            text = unicodedata.normalize("NFKC", "\n".join(_texts_of(path.read_bytes()))).casefold()
            key = f"{tenant.slug}/{path.relative_to(root)}"
            found += [(key, n) for n in needles if n and unicodedata.normalize("NFKC", n).casefold() in text]
    return sorted(set(found))
