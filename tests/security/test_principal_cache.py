"""People's principals kept between requests (app/security/principal_cache.py) never outlive what they were read from.

Each app below caches as production does (the tenant-changes listener runs, so principals are kept). Two apps
built from one configuration stand for two processes: they share the databases and Redis, not their caches.
Every change is made the way a user (or an operator's SQL) makes it, and the very next request must see it.
"""

import pytest
import sqlalchemy as sa

from app.security.principal_cache import principal_cache
from app.tenancy.context import tenant_context
from app.tenancy.engines import engine_for
from app.tenancy.resolution import tenant_cache
from tests.conftest import PASSWORD, ApiClient, build_app, make_user, user_token
from tests.support.statements import recorded_on
from tests.support.waiting import eventually

SECONDS = 120  # far past any test's length: only a drop can make a change seen


def _process(app_config):
    return build_app(app_config, TENANT_CACHE_SECONDS=5, PRINCIPAL_CACHE_SECONDS=SECONDS)


def _warm(app, tenant, token):
    """Sign the token's person in on this app until its principal is kept; their client."""
    api = ApiClient(app.test_client(), tenant, token)
    assert api.get("/api/v1/auth/me").status_code == 200
    with app.app_context():
        assert eventually(lambda: tenant_cache(app).listening)
    assert api.get("/api/v1/auth/me").status_code == 200  # kept after the listener's first clear
    with app.app_context():
        assert principal_cache(app)._entries, "the principal was not kept"
    return api


@pytest.fixture
def one_process(app_config):
    return _process(app_config)


def test_a_deactivated_person_is_refused_on_the_next_request(one_process, tenant):
    app = one_process
    student = make_user(app, tenant, "student")
    learner = _warm(app, tenant, user_token(app, tenant, student, "student"))
    admin = ApiClient(app.test_client(), tenant, user_token(app, tenant, 1, "org_admin"))

    assert admin.delete(f"/api/v1/users/{student}").status_code == 200
    refused = learner.get("/api/v1/auth/me")
    assert refused.status_code == 401
    assert refused.get_json()["error"]["code"] == "INVALID_TOKEN"


def test_a_changed_role_applies_to_the_next_request(one_process, tenant):
    app = one_process
    teacher = make_user(app, tenant, "teacher")
    person = _warm(app, tenant, user_token(app, tenant, teacher, "teacher"))
    assert person.post("/api/v1/courses", json={"title": "Mine"}).status_code == 201
    admin = ApiClient(app.test_client(), tenant, user_token(app, tenant, 1, "org_admin"))

    assert admin.put(f"/api/v1/users/{teacher}", json={"role": "student"}).status_code == 200
    assert person.get("/api/v1/auth/me").get_json()["data"]["roles"] == ["student"]
    assert person.post("/api/v1/courses", json={"title": "Another"}).status_code == 403


def test_signing_out_ends_the_token_at_once(one_process, tenant):
    app = one_process
    make_user(app, tenant, "student", email="leaver@example.org")
    client = app.test_client()
    tokens = (
        ApiClient(client, tenant)
        .post("/api/v1/auth/login", json={"email": "leaver@example.org", "password": PASSWORD})
        .get_json()["data"]
    )
    person = _warm(app, tenant, tokens["access_token"])

    assert person.post("/api/v1/auth/logout", json={"refresh_token": tokens["refresh_token"]}).status_code == 200
    assert person.get("/api/v1/auth/me").status_code == 401


def test_another_process_refuses_a_person_deactivated_here(app_config, tenant):
    here, there = _process(app_config), _process(app_config)
    student = make_user(here, tenant, "student")
    learner = _warm(there, tenant, user_token(here, tenant, student, "student"))
    admin = ApiClient(here.test_client(), tenant, user_token(here, tenant, 1, "org_admin"))
    _warm(here, tenant, admin.token)  # both listening

    assert admin.delete(f"/api/v1/users/{student}").status_code == 200
    # kept for SECONDS without the announcement; heard within moments with it
    assert eventually(lambda: learner.get("/api/v1/auth/me").status_code == 401, seconds=1.5)


def test_raw_sql_and_bulk_writes_are_seen_as_well(app_config, tenant):
    """Not only the ORM's writes: the statement is watched, so bulk code (imports, roster syncs, archiving) and
    an operator's SQL through the app drop the principals too."""
    here, there = _process(app_config), _process(app_config)
    student = make_user(here, tenant, "student")
    learner = _warm(there, tenant, user_token(here, tenant, student, "student"))
    _warm(here, tenant, user_token(here, tenant, 1, "org_admin"))

    _set_active(here, tenant, student, False)
    assert eventually(lambda: learner.get("/api/v1/auth/me").status_code == 401, seconds=1.5)

    _set_active(here, tenant, student, True)  # and back: a refusal was never kept
    assert eventually(lambda: learner.get("/api/v1/auth/me").status_code == 200, seconds=1.5)


def test_a_rolled_back_change_keeps_the_person_signed_in(one_process, tenant):
    app = one_process
    student = make_user(app, tenant, "student")
    learner = _warm(app, tenant, user_token(app, tenant, student, "student"))
    with tenant_context(tenant, app), engine_for(tenant).connect() as connection:
        connection.execute(_SET_ACTIVE, {"active": False, "id": student})
        connection.rollback()
    assert learner.get("/api/v1/auth/me").status_code == 200


_SET_ACTIVE = sa.text("UPDATE users SET is_active = :active WHERE id = :id")


def _set_active(app, tenant, person, active):
    """As bulk code or an operator's SQL would: a plain statement on the organization's engine."""
    with tenant_context(tenant, app), engine_for(tenant).begin() as connection:
        connection.execute(_SET_ACTIVE, {"active": active, "id": person})


def _principal_reads(app, api, requests):
    """How many of `requests` reads of /auth/me sent the principal's statement (users joined to sign-ins)."""
    with recorded_on(sa.engine.Engine) as recorded:  # every engine: whichever app and database it is read through
        for _ in range(requests):
            assert api.get("/api/v1/auth/me").status_code == 200
    return sum("FROM users JOIN sign_ins" in sql for sql, _parameters in recorded.statements)


def test_a_kept_principal_costs_no_statement_and_none_is_kept_when_switched_off(app, one_process, tenant):
    student = make_user(app, tenant, "student")
    token = user_token(app, tenant, student, "student")
    assert _principal_reads(one_process, _warm(one_process, tenant, token), 10) == 0
    # the suite's app keeps none (TestConfig): every request reads the principal
    assert _principal_reads(app, ApiClient(app.test_client(), tenant, token), 10) == 10
