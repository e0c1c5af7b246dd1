"""A person's data export (GDPR art. 15): everything about one person as a ZIP, made by a job, for its requester
only; nobody else's rows in it; every table pointing at a person covered or excluded on purpose."""

import json
import time
from datetime import timedelta

import sqlalchemy as sa

from app.extensions import db
from app.storage import media_storage
from app.tenancy.context import tenant_context
from app.tenancy.models import utcnow
from blueprints.audit.models import AuditEvent
from blueprints.privacy import contents
from blueprints.privacy.exports import expire_exports
from blueprints.privacy.models import DataExport
from tests.conftest import make_user, run_jobs, user_token
from tests.support.privacy import build_two_learners, person_facts, unzip

SECTION_FILES = {f"{s.name}.{ext}" for s in contents.SECTIONS for ext in ("csv", "json")}


def _export(admin, user_id):
    asked = admin.post(f"/api/v1/users/{user_id}/data-exports")
    assert asked.status_code == 202, asked.get_json()
    return asked.get_json()["data"]


def test_the_zip_holds_the_persons_rows_and_nobody_elses(app, api, tenant, login_as):
    world = build_two_learners(app, api, tenant, login_as)
    subject, other = world["subject"], world["other"]
    admin = world["admin"]
    export = _export(admin, subject)
    assert export["status"] == "queued" and export["download_url"] is None
    run_jobs(app)
    done = admin.get(f"/api/v1/data-exports/{export['id']}").get_json()["data"]
    assert done["status"] == "done", done
    assert done["rows_done"] == done["rows_total"] > 0
    download = admin.get(done["download_url"])
    assert download.status_code == 200 and download.headers["Content-Type"] == "application/zip"
    files = unzip(download.data)
    assert {"README.txt", "profile.json", "audit_entries.csv", "audit_entries.json"} | SECTION_FILES == set(files)

    email, first, _last = person_facts(app, tenant, subject)
    profile = json.loads(files["profile.json"])
    assert (profile["id"], profile["email"], profile["first_name"]) == (subject, email, first)
    assert "password_hash" not in profile
    rows = {name[:-5]: json.loads(text) for name, text in files.items() if name.endswith(".json")}
    assert {row["user_id"] for row in rows["enrollments"]} == {subject}
    assert len(rows["progress"]) == len(world["item_ids"])  # one row per lesson completed
    assert [row["user_id"] for row in rows["assessment_attempts"]] == [subject]
    assert len(rows["assessment_answers"]) == 1
    (certificate,) = rows["certificates"]
    assert certificate["user_id"] == subject and certificate["verification_url"].endswith(
        f"/verify/{certificate['code']}"
    )
    assert rows["notifications"] and {row["user_id"] for row in rows["notifications"]} == {subject}
    assert rows["sign_ins"] and {row["user_id"] for row in rows["sign_ins"]} == {subject}
    assert all("id" not in row for row in rows["sign_ins"])  # a sign-in's id names an open session
    assert {row["subject_user_id"] for row in rows["audit_entries"]} == {subject}
    assert "person.exported" in {row["action"] for row in rows["audit_entries"]}
    assert "enrollments.csv" in files["README.txt"] and "Not included" in files["README.txt"]
    # CSV and JSON hold the same rows
    for section in contents.SECTIONS:
        assert files[f"{section.name}.csv"].count("\n") >= len(rows[section.name]) + 1

    # the other learner, with records of every same kind, is nowhere in it
    other_email, other_first, other_last = person_facts(app, tenant, other)
    everything = "\n".join(files.values())
    for trace in (other_email, other_first, other_last):
        assert trace not in everything
    assert f'"user_id": {other}' not in everything

    # asking for it is in the audit trail, naming the person
    with tenant_context(tenant, app):
        entry = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "person.exported"))
        assert (entry.subject_user_id, entry.target_label, entry.details) == (
            subject,
            email,
            {"export_id": export["id"]},
        )


def test_only_its_requester_sees_and_downloads_it_and_only_org_admins_ask(app, api, tenant, make_tenant, login_as):
    admin = api(tenant, login_as(tenant, "org_admin"))
    person = make_user(app, tenant, "student", email="someone@example.org")
    export = _export(admin, person)
    run_jobs(app)
    another_admin = api(tenant, login_as(tenant, "org_admin"))
    for path in (f"/api/v1/data-exports/{export['id']}", f"/api/v1/data-exports/{export['id']}/download"):
        assert admin.get(path).status_code == 200
        assert another_admin.get(path).status_code == 404  # everything about a person: its requester's only
    assert another_admin.get(f"/api/v1/users/{person}/data-exports").get_json()["data"] == []
    for role in ("branch_manager", "teacher", "student"):
        refused = api(tenant, login_as(tenant, role))
        assert refused.post(f"/api/v1/users/{person}/data-exports").status_code == 403
        assert refused.get(f"/api/v1/data-exports/{export['id']}").status_code == 403
    # an org admin of another organization, on this one's host, is nobody here
    elsewhere = make_tenant()
    with app.app_context():
        foreign = user_token(app, elsewhere, make_user(app, elsewhere, "org_admin"), "org_admin")
    assert api(tenant, foreign).post(f"/api/v1/users/{person}/data-exports").status_code == 401
    assert api(elsewhere, foreign).get(f"/api/v1/data-exports/{export['id']}").status_code == 404
    assert admin.post("/api/v1/users/999999/data-exports").status_code == 404


def test_an_expired_export_is_gone_and_says_so(app, api, tenant, login_as):
    admin = api(tenant, login_as(tenant, "org_admin"))
    export = _export(admin, make_user(app, tenant, "student"))
    assert admin.get(f"/api/v1/data-exports/{export['id']}/download").get_json()["error"]["code"] == "EXPORT_NOT_READY"
    run_jobs(app)
    with tenant_context(tenant, app):
        row = db.session.get(DataExport, export["id"])
        key = row.file_key
        row.expires_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
        assert expire_exports() == 1
        assert not media_storage()._path(key).exists()
    gone = admin.get(f"/api/v1/data-exports/{export['id']}/download")
    assert gone.status_code == 410 and gone.get_json()["error"]["code"] == "EXPORT_EXPIRED"


def test_every_column_pointing_at_a_person_is_exported_or_excluded_with_a_reason(app):
    with app.app_context():
        person_columns = contents.person_columns()
    exported, excluded = contents.exported_columns() - {("users", "id")}, set(contents.EXCLUDED)
    assert exported & excluded == set(), "a column is both exported and excluded"
    forgotten = person_columns - exported - excluded
    assert forgotten == set(), f"add these to a section of blueprints/privacy/contents.py or to EXCLUDED: {forgotten}"
    assert (exported | excluded) - person_columns == set(), "these are no longer columns pointing at users.id"
    assert all(reason.strip() for reason in contents.EXCLUDED.values())


def test_ten_thousand_progress_rows_are_the_jobs_work_not_the_requests(app, api, tenant, login_as):
    admin = api(tenant, login_as(tenant, "org_admin"))
    teacher = api(tenant, login_as(tenant, "teacher"))
    course_id = teacher.post("/api/v1/courses", json={"title": "Long"}).get_json()["data"]["id"]
    person = make_user(app, tenant, "student", email="busy@example.org")
    with tenant_context(tenant, app):
        tables = db.metadatas["tenant"].tables
        module_id = db.session.execute(
            sa.insert(tables["course_modules"]).values(course_id=course_id, title="All", position=1)
        ).inserted_primary_key[0]
        now = utcnow()
        db.session.execute(
            sa.insert(tables["content_items"]),
            [
                {
                    "course_id": course_id,
                    "module_id": module_id,
                    "kind": "text",
                    "title": f"L{n}",
                    "position": n,
                    "created_at": now,
                }
                for n in range(10_000)
            ],
        )
        enrollment = db.session.execute(
            sa.insert(tables["enrollments"]).values(
                course_id=course_id,
                user_id=person,
                status="active",
                self_enrolled=False,
                enrolled_at=now,
                seconds_spent=0,
            )
        ).inserted_primary_key[0]
        items = db.session.scalars(
            sa.select(tables["content_items"].c.id).where(tables["content_items"].c.course_id == course_id)
        )
        db.session.execute(
            sa.insert(tables["item_progress"]),
            [{"enrollment_id": enrollment, "item_id": item, "completed_at": now} for item in items],
        )
        db.session.commit()
    started = time.perf_counter()
    export = _export(admin, person)
    asked_in = time.perf_counter() - started
    started = time.perf_counter()
    run_jobs(app)
    built_in = time.perf_counter() - started
    done = admin.get(f"/api/v1/data-exports/{export['id']}").get_json()["data"]
    assert done["status"] == "done" and done["rows_total"] >= 10_000
    files = unzip(admin.get(done["download_url"]).data)
    assert len(json.loads(files["progress.json"])) == 10_000
    assert files["progress.csv"].count("\n") == 10_001
    print(
        f"10 000 progress rows: asked in {asked_in * 1000:.0f} ms, made in {built_in:.1f} s, {done['file_size']} bytes"
    )
