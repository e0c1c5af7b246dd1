"""Issue 13: a certificate, a certificate archive or a badge award that an API key gave, revoked or asked for
says so (`*_api_key_id` beside the person's id), and so does the issuance log; migration 0020 adds those
columns without losing the index that keeps one current certificate per learner and course."""

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.tenancy import databases
from app.tenancy.context import tenant_context
from app.tenancy.engines import create_tenant_engine
from app.tenancy.migrations import upgrade_tenant_database
from app.tenancy.provisioning import database_url_for
from blueprints.certificates import issuance
from blueprints.credentials.models import LedgerEntry
from blueprints.users.models import User
from tests.conftest import make_user, run_jobs, unique_slug, user_token
from tests.support.api_keys import key_client
from tests.support.badges import badge_course, create_badge
from tests.support.certificates import build_certificate_course, complete_course

BEFORE_0020 = "0019_credreview_badge_status"
SEED = (
    "INSERT INTO users (id, email, first_name, last_name, role, password_hash, is_active, created_at, updated_at)"
    " VALUES (1, 'a@example.org', 'A', 'B', 'student', 'x', true, '2026-01-01', '2026-01-01')",
    "INSERT INTO api_keys (id, name, prefix, key_hash, roles, created_by_id, created_at)"
    " VALUES (1, 'sync', 'p1', 'h', '[]', 1, '2026-01-01')",
    "INSERT INTO courses (id, title, slug, summary, description_html, status, self_enrollment, created_by_id,"
    " created_at, updated_at) VALUES (1, 'C', 'c', '', '', 'published', false, 1, '2026-01-01', '2026-01-01')",
)
CERTIFICATE = (
    "INSERT INTO certificates (code, user_id, course_id, holder_name, course_title, completed_at, issued_at,"
    " render_status, is_public, created_at, revoked_at) VALUES ('{code}', 1, 1, 'A B', 'C', '2026-01-01',"
    " '2026-01-01', 'pending', false, '2026-01-01', {revoked_at})"
)

needs_credentials = pytest.mark.skipif(
    not issuance.credentials_ready(), reason="needs the credentials part's signing, log and PDF embedding"
)


def test_migration_0020_keeps_one_current_certificate_per_learner_and_course(app):
    """On SQLite the new foreign keys copy `certificates`; the copy must keep its rows and the partial unique
    index, or two concurrent issues would both give a current certificate."""
    with app.app_context():
        url = database_url_for(unique_slug("mig"))
        databases.create_database(url)
        engine = create_tenant_engine(url, pool_size=1, max_overflow=0)
        try:
            upgrade_tenant_database(engine, BEFORE_0020)
            with engine.begin() as conn:
                for statement in SEED:
                    conn.exec_driver_sql(statement)
                conn.exec_driver_sql(CERTIFICATE.format(code="OLD1", revoked_at="'2026-01-02'"))
                conn.exec_driver_sql(CERTIFICATE.format(code="CUR1", revoked_at="NULL"))
            upgrade_tenant_database(engine)
            with engine.connect() as conn:
                assert conn.exec_driver_sql("SELECT code FROM certificates ORDER BY code").scalars().all() == [
                    "CUR1",
                    "OLD1",
                ]
                with pytest.raises(IntegrityError, match=r"uq_certificates_current|UNIQUE"):
                    conn.exec_driver_sql(CERTIFICATE.format(code="CUR2", revoked_at="NULL"))
                conn.rollback()
            with engine.begin() as conn:  # a revoked one beside the current one is fine; the key's id is kept
                conn.exec_driver_sql(CERTIFICATE.format(code="OLD2", revoked_at="'2026-01-03'"))
                conn.exec_driver_sql("UPDATE certificates SET revoked_by_api_key_id = 1 WHERE code = 'OLD2'")
                conn.exec_driver_sql("DELETE FROM api_keys WHERE id = 1")  # ON DELETE SET NULL
                kept = conn.exec_driver_sql("SELECT revoked_by_api_key_id FROM certificates WHERE code = 'OLD2'")
                assert kept.all() == [(None,)]
        finally:
            engine.dispose()
            databases.drop_database(url)


def _log_actors(app, tenant, subject_type, subject_id):
    with tenant_context(tenant, app):
        return db.session.execute(
            sa.select(LedgerEntry.action, LedgerEntry.actor_user_id, LedgerEntry.actor_api_key_id)
            .where(LedgerEntry.subject_type == subject_type, LedgerEntry.subject_id == subject_id)
            .order_by(LedgerEntry.seq)
        ).all()


@needs_credentials
def test_a_key_that_issues_revokes_and_reissues_certificates_is_named(app, api, tenant, login_as):
    """It used to be recorded as nobody: `issued_by_id` null, which the API documents as issued on completion."""
    course = build_certificate_course(app, api, tenant, login_as)
    call, key_id = key_client(app, tenant, ["org_admin"], past_user_id=max(course["learner_ids"]) + 5)
    learner_id = course["learner_ids"][0]

    issued = call("POST", "/api/v1/certificates", json={"course_id": course["course_id"], "user_id": learner_id})
    assert issued.status_code == 201, issued.get_json()
    certificate = issued.get_json()["data"]
    assert (certificate["issued_by_id"], certificate["issued_by_api_key_id"]) == (None, key_id)

    reissued = call("POST", f"/api/v1/certificates/{certificate['id']}/reissue")
    assert reissued.status_code == 201, reissued.get_json()
    new = reissued.get_json()["data"]
    assert (new["issued_by_id"], new["issued_by_api_key_id"]) == (None, key_id)

    revoked = call("POST", f"/api/v1/certificates/{new['id']}/revoke", json={"reason": "Issued in error"})
    assert revoked.status_code == 200, revoked.get_json()
    assert (revoked.get_json()["data"]["revoked_by_id"], revoked.get_json()["data"]["revoked_by_api_key_id"]) == (
        None,
        key_id,
    )
    detail = course["admin"].get(f"/api/v1/certificates/{new['id']}").get_json()["data"]
    assert (detail["issued_by_api_key_id"], detail["revoked_by_api_key_id"], detail["revoked_by_id"]) == (
        key_id,
        key_id,
        None,
    )

    by_key = (None, key_id)
    assert _log_actors(app, tenant, "certificate", certificate["id"]) == [("issued", *by_key), ("superseded", *by_key)]
    assert _log_actors(app, tenant, "certificate", new["id"]) == [
        ("issued", *by_key),
        ("reissued", *by_key),
        ("revoked", *by_key),
    ]
    logged = course["admin"].get(f"/api/v1/credentials/log?filter[actor_api_key_id]={key_id}").get_json()["data"]
    assert len(logged) == 5 and {(row["actor_user_id"], row["actor_api_key_id"]) for row in logged} == {by_key}

    # a person is still the person; a completion is still nobody
    by_teacher = course["teacher"].post(
        "/api/v1/certificates", json={"course_id": course["course_id"], "user_id": course["learner_ids"][1]}
    )
    assert by_teacher.status_code == 201, by_teacher.get_json()
    row = by_teacher.get_json()["data"]
    assert (row["issued_by_id"], row["issued_by_api_key_id"]) == (course["teacher_id"], None)
    complete_course(course, 2)
    run_jobs(app)
    earned = course["admin"].get(f"/api/v1/users/{course['learner_ids'][2]}/certificates").get_json()["data"]
    assert [(row["issued_by_id"], row["issued_by_api_key_id"]) for row in earned] == [(None, None)]


def test_an_archive_a_key_asked_for_is_that_keys_and_nobody_elses(app, api, tenant, login_as):
    """It used to have no requester at all: nobody could ever download it."""
    course = build_certificate_course(app, api, tenant, login_as)
    # a person holds the key's id: the archive must not become theirs
    with tenant_context(tenant, app):
        past = db.session.scalar(sa.select(sa.func.max(User.id)))
    call, key_id = key_client(app, tenant, ["org_admin"], past_user_id=past)
    namesake_id = past
    while namesake_id < key_id:
        namesake_id = make_user(app, tenant, "org_admin")
    assert namesake_id == key_id
    namesake = api(tenant, user_token(app, tenant, namesake_id, "org_admin"))
    other_key, _other_id = key_client(app, tenant, ["org_admin"])

    started = call("POST", f"/api/v1/courses/{course['course_id']}/certificates/archive")
    assert started.status_code == 202, started.get_json()
    archive = started.get_json()["data"]
    assert (archive["requested_by_id"], archive["requested_by_api_key_id"]) == (None, key_id)
    run_jobs(app)
    progress = call("GET", f"/api/v1/certificate-archives/{archive['id']}")
    assert progress.status_code == 200 and progress.get_json()["data"]["status"] == "done"
    download = call("GET", f"/api/v1/certificate-archives/{archive['id']}/download")
    assert download.status_code == 200 and download.mimetype == "application/zip"

    for stranger in (course["admin"], course["teacher"], namesake):
        assert stranger.get(f"/api/v1/certificate-archives/{archive['id']}/download").status_code == 404
    assert other_key("GET", f"/api/v1/certificate-archives/{archive['id']}/download").status_code == 404

    mine = course["teacher"].post(f"/api/v1/courses/{course['course_id']}/certificates/archive")
    assert mine.status_code == 202
    assert (mine.get_json()["data"]["requested_by_id"], mine.get_json()["data"]["requested_by_api_key_id"]) == (
        course["teacher_id"],
        None,
    )
    assert call("GET", f"/api/v1/certificate-archives/{mine.get_json()['data']['id']}").status_code == 404


@needs_credentials
def test_a_key_that_gives_and_takes_back_a_badge_is_named(app, school):
    tenant = school["tenant"]
    course_id, _items, _quiz = badge_course(app, school)
    call, key_id = key_client(app, tenant, ["org_admin"])
    badge = create_badge(school["teacher"], course_id=course_id, name="Helper")
    learner_id = school["students"][0]

    given = call("POST", f"/api/v1/badges/{badge['id']}/award", json={"user_id": learner_id, "reason": "Synced"})
    assert given.status_code == 201, given.get_json()
    award = given.get_json()["data"]
    assert (award["awarded_by_id"], award["awarded_by_api_key_id"]) == (None, key_id)
    taken = call("POST", f"/api/v1/badges/{badge['id']}/revoke", json={"user_id": learner_id, "reason": "Mistake"})
    assert taken.status_code == 200, taken.get_json()
    assert (taken.get_json()["data"]["revoked_by_id"], taken.get_json()["data"]["revoked_by_api_key_id"]) == (
        None,
        key_id,
    )
    assert _log_actors(app, tenant, "badge_award", award["id"]) == [
        ("awarded", None, key_id),
        ("revoked", None, key_id),
    ]
    again = school["teacher"].post(f"/api/v1/badges/{badge['id']}/award", json={"user_id": learner_id})
    assert again.status_code == 201, again.get_json()
    renewed = again.get_json()["data"]
    assert (renewed["awarded_by_api_key_id"], renewed["revoked_by_id"], renewed["revoked_by_api_key_id"]) == (
        None,
        None,
        None,
    )
    assert renewed["awarded_by_id"] is not None
