"""No data crosses tenants: two real tenant databases with rows of the same primary keys."""

import pytest

from tests.conftest import make_user


@pytest.fixture
def two_tenants(app, make_tenant):
    a = make_tenant(admin_email="admin-a@example.org")
    b = make_tenant(admin_email="admin-b@example.org")
    # Same primary keys 1..4 in both databases, different people behind them.
    for tenant, letter in ((a, "a"), (b, "b")):
        for index, role in enumerate(["teacher", "student", "student"], start=2):
            make_user(app, tenant, role, email=f"{letter}{index}@example.org")
    # One extra row in B only: id 5 exists in B and not in A.
    make_user(app, b, "student", email="b-only@example.org")
    return a, b


def _emails(response):
    return {row["email"] for row in response.get_json()["data"]}


def test_every_read_on_host_a_returns_only_a(two_tenants, api, login_as):
    a, _b = two_tenants
    client_a = api(a, login_as(a, "org_admin"))

    listed = client_a.get("/api/v1/users?per_page=100")
    assert listed.status_code == 200
    emails = _emails(listed)
    assert "admin-a@example.org" in emails and all("-b@" not in e and not e.startswith("b") for e in emails)
    assert listed.get_json()["meta"]["total"] == len(emails) == 5  # 4 seeded + the token's user

    for user_id in (1, 2, 3, 4):
        one = client_a.get(f"/api/v1/users/{user_id}")
        assert one.status_code == 200
        assert not one.get_json()["data"]["email"].startswith("b")

    org = client_a.get("/api/v1/organizations").get_json()
    assert [o["id"] for o in org["data"]] == [a.id]
    assert client_a.get(f"/api/v1/organizations/{a.id}").get_json()["data"]["stats"]["users"] == 5


def test_ids_of_b_are_404_on_host_a(two_tenants, api, login_as):
    a, b = two_tenants
    client_a = api(a, login_as(a, "org_admin"))
    assert client_a.get(f"/api/v1/organizations/{b.id}").status_code == 404
    # User 6 exists only in B (B has one more row than A before the token user).
    client_b = api(b, login_as(b, "org_admin"))
    b_ids = {row["id"] for row in client_b.get("/api/v1/users?per_page=100").get_json()["data"]}
    a_ids = {row["id"] for row in client_a.get("/api/v1/users?per_page=100").get_json()["data"]}
    for missing in b_ids - a_ids:
        response = client_a.get(f"/api/v1/users/{missing}")
        assert response.status_code == 404
        assert response.get_json()["error"]["code"] == "NOT_FOUND"


def test_token_of_tenant_a_is_refused_on_tenant_b_and_platform(two_tenants, api, login_as):
    a, b = two_tenants
    token_a = login_as(a, "org_admin")
    for host_tenant in (b, None):
        response = api(host_tenant, token_a).get("/api/v1/organizations")
        assert response.status_code == 401
        assert response.get_json()["error"]["code"] == "INVALID_TOKEN"


def test_same_email_in_two_tenants_is_two_accounts(app, two_tenants, api):
    a, b = two_tenants
    make_user(app, a, "teacher", email="shared@example.org", password="password-in-a")
    make_user(app, b, "teacher", email="shared@example.org", password="password-in-b")
    login = "/api/v1/auth/login"
    assert api(a).post(login, json={"email": "shared@example.org", "password": "password-in-a"}).status_code == 200
    assert api(b).post(login, json={"email": "shared@example.org", "password": "password-in-a"}).status_code == 401
    assert api(b).post(login, json={"email": "shared@example.org", "password": "password-in-b"}).status_code == 200
