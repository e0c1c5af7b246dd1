"""The organization's roster as a OneRoster 1.2 zip: our own sync reads it back unchanged; course enrollments follow
the classes a sync fills."""

import io
import zipfile

import sqlalchemy as sa

from app.extensions import db
from app.tenancy.context import tenant_context
from blueprints.learning.models import Enrollment
from blueprints.users.models import User
from tests.conftest import user_token
from tests.support.integrations import make_oneroster_integration, roster_errors, roster_zip, sample_files, sync_roster


def test_the_export_reads_back_unchanged(app, api, tenant, login_as):
    admin = api(tenant, login_as(tenant, "org_admin"))
    integration = make_oneroster_integration(app, tenant)
    sync_roster(app, admin, integration, roster_zip(), dry_run=False)

    response = admin.get("/api/v1/roster/export")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    exported = response.get_data()
    with zipfile.ZipFile(io.BytesIO(exported)) as archive:
        names = set(archive.namelist())
        manifest = archive.read("manifest.csv").decode()
        classes = archive.read("classes.csv").decode()
    assert {"manifest.csv", "orgs.csv", "academicSessions.csv", "classes.csv", "users.csv", "roles.csv"} <= names
    assert "oneroster.version,1.2" in manifest and "file.users,bulk" in manifest
    assert "class-math-3b" in classes  # the school system's own ids go back out

    back = sync_roster(app, admin, integration, exported)
    assert back["status"] == "done" and back["bad_rows"] == 0, roster_errors(admin, integration, back["id"])
    for name in ("orgs.csv", "classes.csv", "users.csv"):
        counts = back["counts"][name]
        assert counts.get("created", 0) == counts.get("updated", 0) == 0, (name, counts)
    assert back["counts"]["users.csv"]["unchanged"] == 8
    assert back["counts"]["classes.csv"]["unchanged"] == 3


def test_people_synced_into_a_class_enrolled_in_a_course_are_enrolled(app, api, tenant, login_as):
    admin = api(tenant, login_as(tenant, "org_admin"))
    integration = make_oneroster_integration(app, tenant)
    sync_roster(app, admin, integration, roster_zip(), dry_run=False)
    with tenant_context(tenant, app):
        teacher_id = db.session.scalar(sa.select(User.id).where(User.external_id == "user-t-2"))
    teacher = api(tenant, user_token(app, tenant, teacher_id, "teacher"))
    course_id = teacher.post("/api/v1/courses", json={"title": "Math 3", "summary": "x"}).get_json()["data"]["id"]
    classes = admin.get("/api/v1/classes?per_page=50").get_json()["data"]
    math_3b = next(c["id"] for c in classes if c["name"] == "Math 3 B")
    enrolled = teacher.post(f"/api/v1/courses/{course_id}/enrollments", json={"class_id": math_3b})
    assert enrolled.status_code == 201, enrolled.get_json()

    files = sample_files()
    enrollments = files["enrollments.csv"] + (
        "enr-10,active,2024-09-01T08:00:00.000Z,class-math-3b,org-school-1,user-s-1,student,false,,\n"
    )
    done = sync_roster(app, admin, integration, roster_zip(files, enrollments=enrollments), dry_run=False)
    assert done["bad_rows"] == 0 and done["counts"]["users.csv"]["updated"] == 1

    with tenant_context(tenant, app):
        in_course = set(
            db.session.scalars(
                sa.select(User.external_id)
                .join(Enrollment, Enrollment.user_id == User.id)
                .where(Enrollment.course_id == course_id)
            )
        )
    assert {"user-s-1", "user-s-2", "user-s-3"} <= in_course  # the class's students, and the one the sync added
