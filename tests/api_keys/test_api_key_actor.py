"""An API key that acts is recorded as itself, never as the user that happens to share its id."""

import io

import sqlalchemy as sa

from app.extensions import db
from app.tenancy import databases
from app.tenancy.context import tenant_context
from app.tenancy.engines import create_tenant_engine
from app.tenancy.migrations import upgrade_tenant_database
from app.tenancy.provisioning import database_url_for
from blueprints.api_keys.models import ApiKey
from blueprints.courses.models import ContentVersion, Course, MediaFile
from blueprints.imports.models import UserImport
from tests.conftest import make_user, tenant_host, unique_slug

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
CSV = b"email,first_name,last_name,role\nnew.person@example.org,New,Person,student\n"

BEFORE_0008 = "007c590464f3"
SEED = (
    "INSERT INTO users (id, email, first_name, last_name, role, password_hash, is_active, created_at, updated_at)"
    " VALUES (1, 'a@example.org', 'A', 'B', 'org_admin', 'x', true, '2026-01-01', '2026-01-01')",
    "INSERT INTO api_keys (id, name, prefix, key_hash, roles, created_by_id, created_at)"
    " VALUES (1, 'sync', 'p1', 'h', '[]', 1, '2026-01-01')",
    "INSERT INTO courses (id, title, slug, summary, description_html, status, self_enrollment, created_by_id,"
    " created_at, updated_at) VALUES (1, 'C', 'c', '', '', 'draft', false, 1, '2026-01-01', '2026-01-01')",
    "INSERT INTO course_modules (id, course_id, title, position) VALUES (1, 1, 'M', 0)",
    "INSERT INTO content_items (id, course_id, module_id, kind, title, position, created_at)"
    " VALUES (1, 1, 1, 'text', 'I', 0, '2026-01-01')",
    "INSERT INTO content_versions (id, item_id, number, body, change_note, author_id, created_at)"
    " VALUES (1, 1, 1, 'b', '', 1, '2026-01-01')",
    "INSERT INTO enrollments (id, course_id, user_id, status, enrolled_at, seconds_spent)"
    " VALUES (1, 1, 1, 'active', '2026-01-01', 0)",
    "INSERT INTO user_imports (id, file_sha256, filename, file_path, mode, status, send_invitations,"
    " processed_rows, created_count, updated_count, unchanged_count, invalid_count, created_at)"
    " VALUES (1, 's', 'f.csv', '/x', 'commit', 'done', false, 0, 0, 0, 0, 0, '2026-01-01')",
    "INSERT INTO user_import_errors (id, import_id, row_number, \"column\", reason) VALUES (1, 1, 2, 'email', 'bad')",
)
COUNTED = ("courses", "course_modules", "content_items", "content_versions", "enrollments", "user_import_errors")


def test_migration_0008_keeps_every_row_of_an_existing_organization(app):
    """Adding a foreign key copies tables on SQLite; the copy must not cascade-delete what refers to them."""
    with app.app_context():
        _migrate_a_populated_database()


def _migrate_a_populated_database():
    url = database_url_for(unique_slug("mig"))
    databases.create_database(url)
    engine = create_tenant_engine(url, pool_size=1, max_overflow=0)
    try:
        upgrade_tenant_database(engine, BEFORE_0008)
        with engine.begin() as conn:
            for statement in SEED:
                conn.exec_driver_sql(statement)
        upgrade_tenant_database(engine)
        with engine.begin() as conn:
            counts = {table: conn.exec_driver_sql(f"SELECT count(*) FROM {table}").scalar() for table in COUNTED}  # noqa: S608
            assert counts == dict.fromkeys(COUNTED, 1)
            conn.exec_driver_sql("UPDATE content_versions SET author_id = NULL, author_api_key_id = 1")
            conn.exec_driver_sql("DELETE FROM api_keys WHERE id = 1")  # ON DELETE SET NULL, not a cascade
            assert conn.exec_driver_sql("SELECT author_api_key_id FROM content_versions").all() == [(None,)]
            if engine.dialect.name == "sqlite":  # the pooled connection enforces foreign keys again
                assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    finally:
        engine.dispose()
        databases.drop_database(url)


def _key_client(app, tenant, roles, past_user_id):
    """A client signed with a new API key whose id is past `past_user_id`, and that id."""
    from blueprints.api_keys.services import create_api_key

    with tenant_context(tenant, app):
        created = create_api_key("integration", roles, None)
        while created.key.id <= past_user_id:
            created = create_api_key("integration", roles, None)
        key_id, secret = created.key.id, created.secret

    client = app.test_client()

    def call(method, path, **kwargs):
        headers = {"Host": tenant_host(tenant), "X-API-Key": secret}
        return client.open(path, method=method, headers=headers, **kwargs)

    return call, key_id


def _actor_columns(app, tenant):
    with tenant_context(tenant, app):
        return {
            "course": db.session.execute(sa.select(Course.created_by_id, Course.created_by_api_key_id)).all(),
            "versions": db.session.execute(
                sa.select(ContentVersion.author_id, ContentVersion.author_api_key_id).order_by(ContentVersion.number)
            ).all(),
            "media": db.session.execute(sa.select(MediaFile.uploaded_by_id, MediaFile.uploaded_by_api_key_id)).all(),
            "imports": db.session.execute(sa.select(UserImport.created_by_id, UserImport.created_by_api_key_id)).all(),
            "keys": db.session.execute(
                sa.select(ApiKey.created_by_id, ApiKey.created_by_api_key_id).where(ApiKey.name == "made by a key")
            ).all(),
        }


def test_an_api_key_is_recorded_as_itself_not_as_a_person(app, tenant):
    """Its id used to land in user-id columns: the work was credited to whoever had that user id, and with
    nobody having it the foreign key failed (a 500)."""
    people = [make_user(app, tenant, "teacher") for _ in range(2)]
    call, key_id = _key_client(app, tenant, ["org_admin"], past_user_id=max(people))  # no user has this id

    course = call("POST", "/api/v1/courses", json={"title": "Synced"})
    assert course.status_code == 201, course.get_json()
    course_id = course.get_json()["data"]["id"]
    item = call(
        "POST", f"/api/v1/courses/{course_id}/content", json={"kind": "file", "title": "Sheet", "module_title": "M"}
    )
    assert item.status_code == 201, item.get_json()
    item_id = item.get_json()["data"]["id"]
    edited = call("PUT", f"/api/v1/content/{item_id}", json={"body": "second"})
    assert edited.status_code == 200 and edited.get_json()["data"]["author_api_key_id"] == key_id
    assert edited.get_json()["data"]["author_id"] is None
    restored = call("POST", f"/api/v1/content/{item_id}/versions", json={"restore_from": 1})
    assert restored.status_code == 201, restored.get_json()
    uploaded = call("POST", f"/api/v1/content/{item_id}/media", data={"file": (io.BytesIO(PDF), "sheet.pdf")})
    assert uploaded.status_code == 201, uploaded.get_json()
    imported = call("POST", "/api/v1/imports", data={"file": (io.BytesIO(CSV), "people.csv"), "mode": "dry_run"})
    assert imported.status_code == 202, imported.get_json()
    made = call("POST", "/api/v1/api-keys", json={"name": "made by a key", "roles": ["student"]})
    assert made.status_code == 201, made.get_json()

    by_key = (None, key_id)
    assert _actor_columns(app, tenant) == {
        "course": [by_key],
        "versions": [by_key] * 3,
        "media": [by_key],
        "imports": [by_key],
        "keys": [by_key],
    }
    listed = call("GET", f"/api/v1/content/{item_id}/versions").get_json()["data"]
    assert [(v["author_id"], v["author_api_key_id"]) for v in listed] == [by_key] * 3


def test_a_person_is_still_recorded_as_the_person(app, tenant, api, login_as):
    token = login_as(tenant, "org_admin")
    admin = api(tenant, token)
    course_id = admin.post("/api/v1/courses", json={"title": "By hand"}).get_json()["data"]["id"]
    item = admin.post(
        f"/api/v1/courses/{course_id}/content", json={"kind": "text", "title": "Lesson", "module_title": "M"}
    )
    version = admin.get(f"/api/v1/content/{item.get_json()['data']['id']}/versions").get_json()["data"][0]
    with tenant_context(tenant, app):
        (creator,) = db.session.execute(sa.select(Course.created_by_id, Course.created_by_api_key_id)).all()
    assert version["author_id"] == creator[0] and creator[0] is not None
    assert version["author_api_key_id"] is None and creator[1] is None


def test_a_key_reads_no_file_through_the_enrollment_of_the_user_sharing_its_id(app, tenant, api, login_as):
    """Files go to managers and enrolled learners; a key is never a learner, whatever its id."""
    admin = api(tenant, login_as(tenant, "org_admin"))
    learner_id = make_user(app, tenant, "student")
    course_id = admin.post("/api/v1/courses", json={"title": "Files", "status": "published"}).get_json()["data"]["id"]
    item_id = admin.post(
        f"/api/v1/courses/{course_id}/content", json={"kind": "file", "title": "Sheet", "module_title": "M"}
    ).get_json()["data"]["id"]
    media_url = admin.post(
        f"/api/v1/content/{item_id}/media", data={"file": (io.BytesIO(PDF), "sheet.pdf")}
    ).get_json()["data"]["url"]
    admin.post(f"/api/v1/courses/{course_id}/enrollments", json={"user_ids": [learner_id]})
    call, key_id = _key_client(app, tenant, ["student"], past_user_id=learner_id - 1)
    assert key_id == learner_id  # the key's id is the enrolled learner's user id
    assert call("GET", media_url).status_code == 404
