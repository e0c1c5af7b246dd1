"""Sign-in limits on the real Redis: attempts (POSTs) per organization and address, page views apart.

A class behind one school's NAT signs in together; a 429 is a real page; Retry-After only on 429s;
trusted proxies decide whose address the limits see.
"""

import re
import uuid

import pytest

from config import Config
from tests.conftest import PASSWORD, build_app, make_user

NAT = "198.51.100.20"  # a school's one public address


def host(tenant):
    return {"Host": f"{tenant.slug}.localhost:5000"}


@pytest.fixture
def sign_in_limited_app(app_config):
    """Only the sign-in limit is low: two attempts a minute per organization and address."""
    return build_app(app_config, RQ_QUEUE=f"limits-{uuid.uuid4().hex[:8]}", RATELIMIT_SENSITIVE="2 per minute")


def signed_in_page(client, tenant, email, address, password=PASSWORD):
    """GET the sign-in page (as a browser does), then post the form with its CSRF token."""
    environ = {"REMOTE_ADDR": address}
    page = client.get("/login", headers=host(tenant), environ_base=environ)
    assert page.status_code == 200
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.get_data(as_text=True)).group(1)
    return client.post(
        "/login",
        headers=host(tenant),
        data={"email": email, "password": password, "csrf_token": token},
        environ_base=environ,
    )


def test_a_class_behind_one_school_address_signs_in_together(app_config, tenant):
    """Production limits: 30 students share the school's NAT address and all sign in within a minute."""
    school = build_app(
        app_config,
        RQ_QUEUE=f"limits-{uuid.uuid4().hex[:8]}",
        RATELIMIT_ANONYMOUS=Config.RATELIMIT_ANONYMOUS,
        RATELIMIT_AUTHENTICATED=Config.RATELIMIT_AUTHENTICATED,
        RATELIMIT_SENSITIVE=Config.RATELIMIT_SENSITIVE,
    )
    students = [f"pupil{n}@example.org" for n in range(30)]
    for email in students:
        make_user(school, tenant, "student", email=email)
    statuses = [signed_in_page(school.test_client(), tenant, email, NAT).status_code for email in students]
    assert statuses == [302] * 30


def test_sign_in_attempts_are_limited_per_organization_and_address_and_page_views_are_not(
    sign_in_limited_app, make_tenant
):
    tenant, other = make_tenant(), make_tenant()
    client = sign_in_limited_app.test_client()

    def attempt(on_tenant, address=NAT):
        return signed_in_page(client, on_tenant, "nobody@example.org", address, password="wrong-password")

    assert [attempt(tenant).status_code for _ in range(3)] == [401, 401, 429]
    refused = attempt(tenant)
    assert refused.status_code == 429 and 0 < int(refused.headers["Retry-After"]) <= 60
    page = refused.get_data(as_text=True)
    # A real page: the site's layout, what happened, and when to try again.
    assert '<header class="site-header">' in page and "Please wait a moment" in page
    assert re.search(r"Try again in \d+ seconds?\.", page)

    for path in ("/login", "/forgot-password", "/reset-password?token=x"):  # showing a form is not an attempt
        assert all(
            client.get(path, headers=host(tenant), environ_base={"REMOTE_ADDR": NAT}).status_code == 200
            for _ in range(5)
        ), path
    assert attempt(other).status_code == 401  # another organization from the same address
    assert attempt(tenant, "192.0.2.77").status_code == 401  # another address in the same organization


def test_api_sign_in_routes_are_limited_per_organization_and_address(sign_in_limited_app, make_tenant):
    tenant, other = make_tenant(), make_tenant()
    client = sign_in_limited_app.test_client()

    def forgot(on_tenant, address=NAT):
        return client.post(
            "/api/v1/auth/forgot-password",
            headers=host(on_tenant),
            json={"email": "nobody@example.org"},
            environ_base={"REMOTE_ADDR": address},
        )

    assert [forgot(tenant).status_code for _ in range(3)] == [202, 202, 429]
    assert forgot(tenant).get_json()["error"]["code"] == "RATE_LIMITED"
    assert forgot(other).status_code == 202
    assert forgot(tenant, "192.0.2.77").status_code == 202


def test_retry_after_is_only_on_429s(sign_in_limited_app, tenant):
    client = sign_in_limited_app.test_client()
    fine = client.post("/api/v1/auth/login", headers=host(tenant), json={"email": "x@example.org", "password": "y"})
    assert fine.status_code == 401 and "Retry-After" not in fine.headers
    assert "X-RateLimit-Remaining" in fine.headers


@pytest.mark.parametrize("trusted, separate", [(1, True), (0, False)])
def test_trusted_proxies_decide_whose_address_the_limits_see(app_config, tenant, trusted, separate):
    proxied = build_app(
        app_config,
        RQ_QUEUE=f"limits-{uuid.uuid4().hex[:8]}",
        RATELIMIT_SENSITIVE="2 per minute",
        TRUSTED_PROXIES=trusted,
    )
    client = proxied.test_client()

    def attempt(client_address):
        return client.post(
            "/api/v1/auth/login",
            headers=host(tenant) | {"X-Forwarded-For": client_address},
            json={"email": "x@example.org", "password": "y"},
            environ_base={"REMOTE_ADDR": "10.0.0.1"},  # every request arrives from the proxy
        ).status_code

    assert [attempt("192.0.2.1"), attempt("192.0.2.1")] == [401, 401]
    assert attempt("192.0.2.2") == (401 if separate else 429)
    assert attempt("192.0.2.1") == 429


def test_ipv6_clients_are_counted_per_64_network(app):
    from app.security.rate_limits import client_address

    seen = {}
    for address in ("2001:db8:1:2::1", "2001:db8:1:2:ffff::9", "2001:db8:1:3::1", "::ffff:192.0.2.5", "192.0.2.5"):
        with app.test_request_context(environ_base={"REMOTE_ADDR": address}):
            seen[address] = client_address()
    assert seen["2001:db8:1:2::1"] == seen["2001:db8:1:2:ffff::9"] == "2001:db8:1:2::/64"
    assert seen["2001:db8:1:3::1"] == "2001:db8:1:3::/64"
    assert seen["::ffff:192.0.2.5"] == seen["192.0.2.5"] == "192.0.2.5"
