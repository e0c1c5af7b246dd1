"""An API key that acts is recorded as itself, never as the user that happens to share its id."""

from app.tenancy import databases
from app.tenancy.engines import create_tenant_engine
from app.tenancy.migrations import upgrade_tenant_database
from app.tenancy.provisioning import database_url_for
from tests.conftest import unique_slug

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
