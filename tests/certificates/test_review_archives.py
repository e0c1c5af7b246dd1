"""Hostile review of the bulk ZIP job (issue 13): a large course must not cost a query per certificate."""

import io
import zipfile

import pytest

from app.extensions import db
from app.storage import media_storage
from app.tenancy.context import tenant_context
from blueprints.certificates import archives
from blueprints.certificates.models import CertificateArchive
from tests.conftest import make_user
from tests.support.certificate_rows import certificate_row
from tests.support.quizzes import make_classroom
from tests.support.statements import recorded_statements

CERTIFICATES = 12


@pytest.fixture
def classroom(app, api, tenant):
    return make_classroom(app, api, tenant)


def test_the_archive_job_reads_the_certificates_once_however_many_there_are(app, classroom, monkeypatch):
    """Progress is committed as the job goes (here after every file); the certificates' rows must not be read
    again one by one after each commit, nor their signed credentials (kilobytes each) be held for nothing."""
    learners = [make_user(app, classroom.tenant, "student") for _ in range(CERTIFICATES)]
    monkeypatch.setattr(archives, "PROGRESS_SECONDS", 0)
    with tenant_context(classroom.tenant, app):
        for number, learner in enumerate(learners):
            certificate_row(classroom.course_id, learner, holder_name=f"Learner {number}", pdf=b"%PDF-" + bytes([65]))
        archive = CertificateArchive(course_id=classroom.course_id, requested_by_id=classroom.ids["teacher"])
        archive.status, archive.total = archives.QUEUED, CERTIFICATES
        db.session.add(archive)
        db.session.commit()
        with recorded_statements(app, classroom.tenant) as recorded:
            archives.build_archive(archive.id)
        db.session.refresh(archive)
        assert (archive.status, archive.done) == (archives.DONE, CERTIFICATES)
        with media_storage().open(archive.file_key) as stream:
            assert len(zipfile.ZipFile(io.BytesIO(stream.read())).namelist()) == CERTIFICATES
    reads = [
        sql for sql, _parameters in recorded.statements if "FROM certificates" in sql and "count(" not in sql.lower()
    ]
    assert 1 <= len(reads) <= 2, reads
    assert not any("credential_jwt" in statement for statement in reads)
