"""The bulk ZIP of a course's certificates: a job with progress, safe file names, for whoever asked."""

import io
import zipfile
from datetime import timedelta

import pytest

from app.tenancy.models import utcnow
from blueprints.certificates.lifecycle import safe_file_name
from tests.conftest import run_jobs
from tests.support.certificate_rows import make_certificate
from tests.support.quizzes import make_classroom


@pytest.fixture
def classroom(app, api, tenant):
    return make_classroom(app, api, tenant)


def test_names_are_transliterated_and_never_a_path():
    assert safe_file_name("Zoë O'Brien", "7KQ2-M9XD-4TPA") == "Zoe-O-Brien-7KQ2-M9XD-4TPA.pdf"
    assert safe_file_name("Αλέξης Παππάς", "AAAA-BBBB-CCCC") == "Alexis-Pappas-AAAA-BBBB-CCCC.pdf"
    assert safe_file_name("../../etc/passwd", "AAAA") == "etc-passwd-AAAA.pdf"
    assert safe_file_name("", "AAAA") == "certificate-AAAA.pdf"


def test_a_teacher_gets_a_zip_of_the_current_certificates_with_progress(app, api, classroom):
    tenant, course_id = classroom.tenant, classroom.course_id
    make_certificate(app, tenant, course_id, classroom.ids["learner"], holder_name="Zoë Ünal", pdf=b"%PDF-zoe")
    make_certificate(app, tenant, course_id, classroom.ids["learner2"], holder_name="Alan T", pdf=b"%PDF-alan")
    _, expired_code = make_certificate(
        app,
        tenant,
        course_id,
        classroom.ids["outsider"],
        holder_name="Old Timer",
        pdf=b"%PDF-old",
        expires_at=utcnow() - timedelta(days=1),
    )
    revoked_id, _ = make_certificate(
        app, tenant, course_id, classroom.ids["teacher"], holder_name="Gone", pdf=b"%PDF-x"
    )
    assert classroom.teacher.post(f"/api/v1/certificates/{revoked_id}/revoke", json={"reason": "x"}).status_code == 200

    started = classroom.teacher.post(f"/api/v1/courses/{course_id}/certificates/archive")
    assert started.status_code == 202, started.get_json()
    archive = started.get_json()["data"]
    assert (archive["status"], archive["done"], archive["total"]) == ("queued", 0, 3)
    assert classroom.teacher.get(f"/api/v1/certificate-archives/{archive['id']}/download").status_code == 404
    run_jobs(app)
    progress = classroom.teacher.get(f"/api/v1/certificate-archives/{archive['id']}").get_json()["data"]
    assert (progress["status"], progress["done"], progress["total"]) == ("done", 3, 3)

    download = classroom.teacher.get(f"/api/v1/certificate-archives/{archive['id']}/download")
    assert download.status_code == 200 and download.mimetype == "application/zip"
    assert "attachment" in download.headers["Content-Disposition"]
    bundle = zipfile.ZipFile(io.BytesIO(download.get_data()))
    names = sorted(bundle.namelist())
    assert len(names) == 3 and names[0].startswith("Alan-T-") and names[2].startswith("Zoe-Unal-")
    assert f"Old-Timer-{expired_code}.pdf" in names
    assert bundle.read(names[2]) == b"%PDF-zoe"


def test_only_managers_ask_and_only_the_requester_sees_the_archive(app, api, classroom, login_as):
    course_id = classroom.course_id
    assert classroom.learner.post(f"/api/v1/courses/{course_id}/certificates/archive").status_code == 403
    assert classroom.other_teacher.post(f"/api/v1/courses/{course_id}/certificates/archive").status_code in (403, 404)
    archive_id = classroom.teacher.post(f"/api/v1/courses/{course_id}/certificates/archive").get_json()["data"]["id"]
    admin = api(classroom.tenant, login_as(classroom.tenant, "org_admin"))
    assert admin.get(f"/api/v1/certificate-archives/{archive_id}").status_code == 404
    run_jobs(app)
    assert admin.get(f"/api/v1/certificate-archives/{archive_id}/download").status_code == 404
    empty = classroom.teacher.get(f"/api/v1/certificate-archives/{archive_id}/download")
    assert empty.status_code == 200 and zipfile.ZipFile(io.BytesIO(empty.get_data())).namelist() == []
