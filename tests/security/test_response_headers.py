"""Headers integrators rely on: Retry-After only when a request was refused; credentials never cached."""

import uuid

import pytest

from tests.conftest import PASSWORD, build_app, make_user


@pytest.fixture
def limited_app(app_config):
    return build_app(app_config, RQ_QUEUE=f"retry-{uuid.uuid4().hex[:8]}", RATELIMIT_ANONYMOUS="2 per minute")


def test_retry_after_comes_only_with_a_429(limited_app, tenant):
    client = limited_app.test_client()
    host = {"Host": f"{tenant.slug}.localhost:5000"}
    answered = [client.get("/api/v1/organizations", headers=host) for _ in range(3)]
    assert [r.status_code for r in answered] == [401, 401, 429]
    for response in answered[:2]:
        assert "X-RateLimit-Remaining" in response.headers and "Retry-After" not in response.headers
    assert int(answered[2].headers["Retry-After"]) > 0
    page = client.get("/login", headers=host)  # a page under its own (sign-in) limit
    assert page.status_code == 200 and "X-RateLimit-Limit" in page.headers and "Retry-After" not in page.headers


def assert_not_cached(response):
    assert response.headers["Cache-Control"] == "no-store" and response.headers["Pragma"] == "no-cache"


def test_token_and_api_key_responses_are_never_cached(app, api, tenant, login_as):
    email = f"cache-{uuid.uuid4().hex[:6]}@example.org"
    make_user(app, tenant, "org_admin", email=email)
    anonymous = api(tenant)
    login = anonymous.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
    assert login.status_code == 200
    assert_not_cached(login)
    refreshed = anonymous.post(
        "/api/v1/auth/refresh-token", json={"refresh_token": login.get_json()["data"]["refresh_token"]}
    )
    assert refreshed.status_code == 200
    assert_not_cached(refreshed)
    failed = anonymous.post("/api/v1/auth/login", json={"email": email, "password": "wrong-password"})
    assert failed.status_code == 401
    assert_not_cached(failed)

    admin = api(tenant, login.get_json()["data"]["access_token"])
    admin.put(f"/api/v1/organizations/{tenant.id}/settings", json={"self_registration": True})
    registered = anonymous.post(
        "/api/v1/auth/register",
        json={"email": f"new-{email}", "password": "a-long-passphrase-9", "first_name": "Ann", "last_name": "Lee"},
    )
    assert registered.status_code == 201, registered.get_json()
    assert_not_cached(registered)

    key = admin.post("/api/v1/api-keys", json={"name": "sync", "roles": ["student"]})
    assert key.status_code == 201
    assert_not_cached(key)
    listed = admin.get("/api/v1/api-keys")
    assert listed.status_code == 200 and "no-store" not in listed.headers.get("Cache-Control", "")


def test_the_api_keys_page_showing_a_new_key_is_never_cached(app, tenant):
    from tests.support.browser import Browser

    browser = Browser(app, tenant)
    browser.sign_in("admin@example.org")
    created = browser.post(
        "/settings/api-keys", {"name": "Nightly sync", "roles": ["teacher"]}, csrf_from="/settings/api-keys"
    )
    assert created.status_code == 200 and "tsk_" in created.get_data(as_text=True)
    assert_not_cached(created)
