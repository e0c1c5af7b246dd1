"""Sign-in through the API: tokens, rotation with reuse detection, registration, me.

Guessing protection (slow-down, per-address refusal) is in test_sign_in_protection.py.
"""

import statistics
import time
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from argon2 import PasswordHasher

from app.extensions import db
from app.security.operators import find_operator
from app.security.passwords import needs_rehash, password_problems
from app.security.permissions import TENANT_ROLES
from app.tenancy.context import tenant_context
from app.tenancy.models import Tenant
from blueprints.auth.services import open_sign_in
from blueprints.users.models import User
from blueprints.users.services import find_user_by_email
from tests.conftest import PASSWORD, make_user

LOGIN, REFRESH, LOGOUT, ME = (
    "/api/v1/auth/login",
    "/api/v1/auth/refresh-token",
    "/api/v1/auth/logout",
    "/api/v1/auth/me",
)


def sign_in(api, tenant, email, password=PASSWORD):
    return api(tenant).post(LOGIN, json={"email": email, "password": password})


@pytest.mark.parametrize("role", TENANT_ROLES)
def test_each_role_signs_in_and_sees_itself(app, api, tenant, role):
    email = f"{role}@example.org"
    make_user(app, tenant, role, email=email, first_name="Pat")
    response = sign_in(api, tenant, email)
    assert response.status_code == 200
    tokens = response.get_json()["data"]
    assert tokens["token_type"] == "Bearer" and tokens["expires_in"] == 900 and tokens["refresh_token"]
    claims = jwt.decode(tokens["access_token"], options={"verify_signature": False})
    assert {"sub", "tid", "roles", "jti", "exp", "iat"} <= set(claims)
    assert claims["tid"] == tenant.id and claims["roles"] == [role]

    me = api(tenant, tokens["access_token"]).get(ME).get_json()["data"]
    assert me["email"] == email and me["roles"] == [role] and me["first_name"] == "Pat"
    assert me["tenant"] == {"id": tenant.id, "slug": tenant.slug, "name": tenant.name}
    assert "self.read" in me["permissions"]
    assert me["branches"] == [] and me["classes"] == []


def test_operator_signs_in_on_the_platform_only(app, api, tenant, operator_token):
    with app.app_context():
        assert find_operator("operator@example.org") is not None
    ok = sign_in(api, None, "operator@example.org")
    assert ok.status_code == 200 and ok.get_json()["data"]["refresh_token"] is None
    assert sign_in(api, tenant, "operator@example.org").status_code == 401


@pytest.mark.production_password_hashing  # the answer times must be dominated by a real hash
def test_wrong_password_and_unknown_email_get_the_same_answer_in_about_the_same_time(api, tenant):
    def timed(email, password):
        started = time.perf_counter()
        response = sign_in(api, tenant, email, password)
        return response, time.perf_counter() - started

    wrong = [timed("admin@example.org", "not-the-password") for _ in range(3)]
    unknown = [timed("nobody@example.org", "not-the-password") for _ in range(3)]
    for response, _ in wrong + unknown:
        assert response.status_code == 401
        assert response.get_json()["error"] == {
            "code": "INVALID_CREDENTIALS",
            "message": "Invalid e-mail or password.",
            "details": {},
            "request_id": response.headers["X-Request-Id"],
        }
    # Both paths verify one Argon2id hash; without the dummy hash the unknown e-mail would answer
    # in a fraction of the time and reveal which addresses have accounts.
    wrong_median = statistics.median(seconds for _, seconds in wrong)
    unknown_median = statistics.median(seconds for _, seconds in unknown)
    assert unknown_median > 0.5 * wrong_median


def test_refresh_rotates_and_a_replayed_token_revokes_the_whole_family(api, tenant):
    first = sign_in(api, tenant, "admin@example.org").get_json()["data"]
    second = api(tenant).post(REFRESH, json={"refresh_token": first["refresh_token"]})
    assert second.status_code == 200
    second = second.get_json()["data"]
    assert second["refresh_token"] != first["refresh_token"]
    third = api(tenant).post(REFRESH, json={"refresh_token": second["refresh_token"]}).get_json()["data"]

    replay = api(tenant).post(REFRESH, json={"refresh_token": first["refresh_token"]})
    assert replay.status_code == 401
    assert replay.get_json()["error"]["code"] == "REFRESH_TOKEN_REUSED"
    # Every descendant of the replayed token is dead too, including the newest one.
    newest = api(tenant).post(REFRESH, json={"refresh_token": third["refresh_token"]})
    assert newest.status_code == 401
    # Another sign-in (another family) is untouched.
    other = sign_in(api, tenant, "admin@example.org").get_json()["data"]
    assert api(tenant).post(REFRESH, json={"refresh_token": other["refresh_token"]}).status_code == 200


def test_logout_revokes_the_family(api, tenant):
    tokens = sign_in(api, tenant, "admin@example.org").get_json()["data"]
    rotated = api(tenant).post(REFRESH, json={"refresh_token": tokens["refresh_token"]}).get_json()["data"]
    assert api(tenant).post(LOGOUT, json={"refresh_token": tokens["refresh_token"]}).status_code == 200
    refused = api(tenant).post(REFRESH, json={"refresh_token": rotated["refresh_token"]})
    assert refused.status_code == 401 and refused.get_json()["error"]["code"] == "INVALID_REFRESH_TOKEN"


def test_refresh_token_of_one_tenant_is_unknown_to_another(api, make_tenant):
    a, b = make_tenant(), make_tenant()
    tokens = sign_in(api, a, "admin@example.org").get_json()["data"]
    assert api(b).post(REFRESH, json={"refresh_token": tokens["refresh_token"]}).status_code == 401
    assert api(None).post(REFRESH, json={"refresh_token": tokens["refresh_token"]}).status_code == 401


def _forge(app, tenant, **changes):
    with tenant_context(tenant, app):
        sign_in_id = open_sign_in(1, "api")
        db.session.commit()
    now = datetime.now(UTC)
    claims = {
        "sid": sign_in_id,
        "sub": "1",
        "tid": tenant.id,
        "roles": ["org_admin"],
        "jti": "x",
        "iat": now,
        "exp": now + timedelta(minutes=5),
        "typ": "access",
    } | changes.pop("claims", {})
    key = changes.pop("key", app.config["SECRET_KEY"])
    return jwt.encode(claims, key, algorithm=changes.pop("algorithm", "HS256"))


def test_forged_expired_and_alg_none_tokens_are_refused(app, api, tenant):
    assert api(tenant, _forge(app, tenant)).get(ME).status_code == 200  # the forge itself is right
    unsigned = jwt.encode(
        {
            "sub": "1",
            "tid": tenant.id,
            "roles": ["org_admin"],
            "jti": "x",
            "iat": 1,
            "exp": 9999999999,
            "typ": "access",
        },
        None,
        algorithm="none",
    )
    bad_tokens = {
        "alg none": unsigned,
        "other algorithm": _forge(app, tenant, algorithm="HS384"),
        "wrong key": _forge(app, tenant, key="another-key-that-is-long-enough-to-sign-with-32b"),
        "expired": _forge(app, tenant, claims={"exp": datetime.now(UTC) - timedelta(seconds=1)}),
        "other tenant": _forge(app, tenant, claims={"tid": tenant.id + 1000}),
        "no jti": jwt.encode(
            {"sub": "1", "tid": tenant.id, "iat": 1, "exp": 9999999999, "typ": "access"},
            app.config["SECRET_KEY"],
            algorithm="HS256",
        ),
    }
    for label, token in bad_tokens.items():
        response = api(tenant, token).get(ME)
        assert response.status_code == 401, label
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_token_is_refused_once_its_user_is_deactivated(app, api, tenant):
    tokens = sign_in(api, tenant, "admin@example.org").get_json()["data"]
    assert api(tenant, tokens["access_token"]).get(ME).status_code == 200
    with tenant_context(tenant, app):
        db.session.get(User, 1).is_active = False
        db.session.commit()
    assert api(tenant, tokens["access_token"]).get(ME).status_code == 401
    assert api(tenant).post(REFRESH, json={"refresh_token": tokens["refresh_token"]}).status_code == 401
    assert sign_in(api, tenant, "admin@example.org").status_code == 401


def _set_settings(app, tenant, **settings):
    with app.app_context():
        record = db.session.get(Tenant, tenant.id)
        record.settings = {**record.settings, **settings}
        db.session.commit()


def test_registration_is_closed_by_default_and_open_when_the_tenant_allows_it(app, api, tenant):
    body = {"email": "newbie@example.org", "password": "a-long-new-password", "first_name": "New"}
    closed = api(tenant).post("/api/v1/auth/register", json=body)
    assert closed.status_code == 403 and closed.get_json()["error"]["code"] == "REGISTRATION_CLOSED"

    _set_settings(app, tenant, self_registration=True)
    weak = api(tenant).post("/api/v1/auth/register", json=body | {"password": "password123"})
    assert weak.status_code == 422 and "password" in weak.get_json()["error"]["details"]
    created = api(tenant).post("/api/v1/auth/register", json=body)
    assert created.status_code == 201
    me = api(tenant, created.get_json()["data"]["access_token"]).get(ME).get_json()["data"]
    assert me["roles"] == ["student"] and me["email"] == "newbie@example.org"
    again = api(tenant).post("/api/v1/auth/register", json=body)
    assert again.status_code == 409


@pytest.mark.parametrize(
    "password, problem",
    [
        ("short1!", "at least 10"),
        ("password123", "too common"),
        ("Password123", "too common"),
        ("newbie@example.org", "e-mail"),
    ],
)
def test_password_policy(password, problem):
    assert any(problem in message for message in password_problems(password, "newbie@example.org"))
    assert password_problems("a-long-new-password", "newbie@example.org") == []


def test_an_outdated_password_hash_is_upgraded_at_sign_in(app, api, tenant):
    weak = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1).hash("an-old-style-password")
    make_user(app, tenant, "student", email="old@example.org")
    with tenant_context(tenant, app):
        find_user_by_email("old@example.org").password_hash = weak
        db.session.commit()
    assert sign_in(api, tenant, "old@example.org", "an-old-style-password").status_code == 200
    with tenant_context(tenant, app):
        upgraded = find_user_by_email("old@example.org").password_hash
    assert upgraded != weak and not needs_rehash(upgraded)
    assert sign_in(api, tenant, "old@example.org", "an-old-style-password").status_code == 200


def test_a_token_that_worked_is_refused_once_it_expires(app, api, tenant):
    # A token's verified signature is kept per process: its expiry must still be checked on every use.
    token = _forge(app, tenant, claims={"exp": datetime.now(UTC) + timedelta(seconds=2)})
    assert api(tenant, token).get(ME).status_code == 200
    time.sleep(2.1)
    response = api(tenant, token).get(ME)
    assert response.status_code == 401
    assert "expired" in response.get_json()["error"]["message"]
