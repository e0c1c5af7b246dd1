"""Rate limits on the real Redis: headers on every API response, 429 envelopes with Retry-After."""

import time
import uuid

import pytest
from limits import parse
from limits.storage import storage_from_string

from app.jobs import redis_connection
from app.security.rate_limit_storage import (
    LEASE_FROM,
    LEASE_SHARE,
    LeasedFixedWindowRateLimiter,
    counting_storage_uri,
)
from app.security.rate_limits import DEFAULT_RULES, route_rules
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


def _evalsha_calls(app):
    with app.app_context():
        return redis_connection(app).info("commandstats").get("cmdstat_evalsha", {}).get("calls", 0)


def _leasing_app(app_config, queue, limit):
    """An app counting on the shared Redis from zero: a new organization may reuse a dropped one's id, so earlier
    tests' counters of the same person key are removed."""
    app = build_app(app_config, RQ_QUEUE=queue, RATELIMIT_AUTHENTICATED=limit)
    with app.app_context():
        redis = redis_connection(app)
        for key in redis.scan_iter(match="*LIMITER*"):
            redis.delete(key)
    return app


def test_a_busy_principal_is_counted_in_leases_and_served_exactly_its_limit(app_config, tenant):
    app = _leasing_app(app_config, f"limits-{uuid.uuid4().hex[:8]}", f"{LEASE_FROM} per minute")
    token = user_token(app, tenant, make_user(app, tenant, "student"), "student")
    client = app.test_client()
    before = _evalsha_calls(app)
    responses = [
        client.get("/api/v1/auth/me", headers=host(tenant) | {"Authorization": f"Bearer {token}"})
        for _ in range(LEASE_FROM + 3)
    ]
    round_trips = _evalsha_calls(app) - before
    assert [r.status_code for r in responses] == [200] * LEASE_FROM + [429] * 3
    # each request still has its own place in the window: the headers count down one by one
    remaining = [int(r.headers["X-RateLimit-Remaining"]) for r in responses[:LEASE_FROM]]
    assert remaining == list(range(LEASE_FROM - 1, -1, -1))
    lease = LEASE_FROM // LEASE_SHARE
    assert round_trips <= LEASE_FROM // lease + 10, round_trips  # not one per request


def test_several_processes_never_serve_a_busy_principal_past_its_limit(redis_server):
    """Two processes' limiters (each its own storage and leases, as gunicorn's workers have) on one Redis key."""
    item = parse(f"{LEASE_FROM} per minute")
    key = f"principal-{uuid.uuid4().hex}"
    workers = [LeasedFixedWindowRateLimiter(storage_from_string(counting_storage_uri(redis_server.url))) for _ in "ab"]
    outcomes = [workers[(i // 3) % 2].hit(item, key) for i in range(300)]
    served = outcomes.count(True)
    lease = LEASE_FROM // LEASE_SHARE
    assert LEASE_FROM - lease <= served <= LEASE_FROM  # counts one process took but never spent: a few early
    assert outcomes[-20:] == [False] * 20


def test_small_limits_count_every_request_in_redis(app_config, tenant):
    queue = f"limits-{uuid.uuid4().hex[:8]}"
    first, second = (_leasing_app(app_config, queue, "7 per minute") for _ in range(2))
    token = user_token(first, tenant, make_user(first, tenant, "student"), "student")
    headers = host(tenant) | {"Authorization": f"Bearer {token}"}
    before = _evalsha_calls(first)
    statuses = [
        (first, second)[i % 2].test_client().get("/api/v1/auth/me", headers=headers).status_code for i in range(9)
    ]
    assert statuses == [200] * 7 + [429] * 2  # exact across processes
    assert _evalsha_calls(first) - before == 9


def test_a_setting_of_several_limits_counts_each(app_config, tenant):
    """`10 per minute;2 per hour`: the hour's budget refuses the third request, and says when it ends."""
    app = build_app(
        app_config, RQ_QUEUE=f"limits-{uuid.uuid4().hex[:8]}", RATELIMIT_ANONYMOUS="10 per minute;2 per hour"
    )
    client = app.test_client()
    statuses = [client.get("/api/v1/organizations", headers=host(tenant)) for _ in range(3)]
    assert [r.status_code for r in statuses] == [401, 401, 429]
    first = statuses[0].headers  # the headers speak of the tightest limit: one more request, not nine
    assert (first["X-RateLimit-Limit"], first["X-RateLimit-Remaining"]) == ("2", "1")
    refused = statuses[-1]
    assert refused.headers["X-RateLimit-Limit"] == "2" and int(refused.headers["Retry-After"]) > 60


def test_a_limit_that_does_not_parse_stops_the_start(app_config):
    with pytest.raises(RuntimeError, match="RATELIMIT_SENSITIVE"):
        build_app(app_config, RATELIMIT_SENSITIVE="sixty a minute")


# The routes with limits of their own, and the methods those limits count (the rest of their methods, and every
# other route, count against the default limit). A decorator that drops the limit's mark fails this.
OWN_LIMITS = {
    **{f"auth.{view}": {"POST"} for view in ("Login", "Register", "ForgotPassword", "ResetPassword")},
    **{
        f"auth_pages.{view}": {"GET", "HEAD", "POST"}
        for view in ("login", "forgot_password", "register", "confirm_registration", "reset_password")
    },
    **{f"certificate_verification.{view}": {"GET", "HEAD"} for view in ("VerifyCode", "VerifyCertificate")},
    **{f"certificate_verify.{view}": {"GET", "HEAD", "OPTIONS"} for view in ("verify_form", "verify_page")},
}


def test_the_sign_in_and_verification_routes_keep_their_own_limits(app):
    with app.test_request_context():
        own = {}
        for rule in app.url_map.iter_rules():
            for method in rule.methods:
                if route_rules(rule.endpoint, method) is not DEFAULT_RULES:
                    own.setdefault(rule.endpoint, set()).add(method)
    assert own == OWN_LIMITS


def test_a_reused_application_context_never_lends_a_request_the_last_ones_counter(limited_app, tenant):
    """A refusal before counting (a stale CSRF token) in an application context the last request also ran in (as a
    streamed response keeps it) carries no rate-limit headers, and certainly not another caller's."""
    client = limited_app.test_client()
    with limited_app.app_context():
        counted = client.get("/login", headers=host(tenant), environ_base={"REMOTE_ADDR": "198.51.100.11"})
        assert counted.status_code == 200 and counted.headers["X-RateLimit-Remaining"] == "2"
        refused = client.post(
            "/login",
            headers=host(tenant) | {"HX-Request": "true", "X-CSRFToken": "stale"},
            environ_base={"REMOTE_ADDR": "198.51.100.12"},
        )
    assert refused.status_code == 400 and "X-RateLimit-Remaining" not in refused.headers
