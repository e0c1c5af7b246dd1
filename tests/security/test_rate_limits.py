"""Rate limits on the real Redis: headers on every API response, 429 envelopes with Retry-After."""

import time
import uuid

import pytest

from tests.conftest import build_app, make_user, user_token

HEADERS = ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset")


@pytest.fixture
def limited_app(app_config):
    return build_app(
        app_config,
        RQ_QUEUE=f"limits-{uuid.uuid4().hex[:8]}",  # its own counters
        RATELIMIT_ANONYMOUS="3 per minute",
        RATELIMIT_AUTHENTICATED="5 per minute",
        RATELIMIT_SENSITIVE="2 per minute",
    )


def host(tenant):
    return {"Host": f"{tenant.slug}.localhost:5000"}


def test_headers_on_every_api_response_and_a_429_envelope(limited_app, tenant):
    client = limited_app.test_client()
    statuses = []
    for _ in range(4):
        response = client.get("/api/v1/organizations", headers=host(tenant))
        statuses.append(response.status_code)
        assert all(name in response.headers for name in HEADERS), dict(response.headers)
        assert response.headers["X-RateLimit-Limit"] == "3"
    assert statuses == [401, 401, 401, 429]
    body = response.get_json()
    assert body["success"] is False and body["error"]["code"] == "RATE_LIMITED"
    assert int(response.headers["Retry-After"]) > 0
    assert response.headers["X-RateLimit-Remaining"] == "0"


def test_authenticated_principals_have_their_own_larger_budget(limited_app, tenant):
    client = limited_app.test_client()
    user_id = make_user(limited_app, tenant, "org_admin")
    with limited_app.app_context():
        token = user_token(limited_app, tenant, user_id, "org_admin")
    for _ in range(3):  # use up the anonymous budget of this IP
        client.get("/api/v1/organizations", headers=host(tenant))
    signed = [
        client.get("/api/v1/users", headers=host(tenant) | {"Authorization": f"Bearer {token}"}) for _ in range(6)
    ]
    assert [r.status_code for r in signed] == [200] * 5 + [429]
    assert signed[0].headers["X-RateLimit-Limit"] == "5"
    assert [int(r.headers["X-RateLimit-Remaining"]) for r in signed[:5]] == [4, 3, 2, 1, 0]
    # the window's end, read with the count in one round trip: within the minute, the same for the whole window
    resets = {int(r.headers["X-RateLimit-Reset"]) for r in signed[:5]}
    assert len(resets) <= 2 and all(0 < reset - time.time() <= 61 for reset in resets)


def test_sign_in_has_a_tighter_limit(limited_app, tenant):
    client = limited_app.test_client()
    attempts = [
        client.post("/api/v1/auth/login", headers=host(tenant), json={"email": "x@example.org", "password": "y"})
        for _ in range(3)
    ]
    assert [r.status_code for r in attempts] == [401, 401, 429]
    assert attempts[-1].headers["Retry-After"]
