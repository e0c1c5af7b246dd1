"""API keys: created by an org admin, shown once, stored hashed, acting with their roles."""

import sqlalchemy as sa

from app.extensions import db
from app.tenancy.context import tenant_context
from blueprints.api_keys.models import ApiKey


def create_key(api, tenant, token, roles, name="Sync job"):
    response = api(tenant, token).post("/api/v1/api-keys", json={"name": name, "roles": roles})
    assert response.status_code == 201, response.get_json()
    return response.get_json()["data"]


def with_key(client, tenant, key):
    return client.get("/api/v1/users", headers={"Host": f"{tenant.slug}.localhost:5000", "X-API-Key": key})


def test_key_is_shown_once_stored_hashed_and_acts_with_its_roles(app, api, client, tenant, login_as):
    admin = login_as(tenant, "org_admin")
    created = create_key(api, tenant, admin, ["org_admin"])
    secret = created["key"]
    assert secret.startswith(f"tsk_{created['prefix']}_")

    listed = api(tenant, admin).get("/api/v1/api-keys").get_json()["data"]
    assert [row["prefix"] for row in listed] == [created["prefix"]]
    assert "key" not in listed[0] and secret not in str(listed)
    with tenant_context(tenant, app):
        stored = db.session.scalar(sa.select(ApiKey))
        assert secret not in (stored.key_hash, stored.prefix) and stored.last_used_at is None

    used = with_key(client, tenant, secret)
    assert used.status_code == 200 and used.get_json()["meta"]["total"] >= 1
    with tenant_context(tenant, app):
        assert db.session.scalar(sa.select(ApiKey)).last_used_at is not None
    me = client.get("/api/v1/auth/me", headers={"Host": f"{tenant.slug}.localhost:5000", "X-API-Key": secret})
    assert me.get_json()["data"]["type"] == "api_key" and me.get_json()["data"]["roles"] == ["org_admin"]


def test_key_with_a_lesser_role_is_refused_what_the_role_cannot_do(api, client, tenant, login_as):
    key = create_key(api, tenant, login_as(tenant, "org_admin"), ["student"])["key"]
    assert with_key(client, tenant, key).status_code == 403


def test_revoked_wrong_and_foreign_keys_are_refused(api, client, make_tenant, login_as):
    a, b = make_tenant(), make_tenant()
    admin = login_as(a, "org_admin")
    created = create_key(api, a, admin, ["org_admin"])
    assert with_key(client, b, created["key"]).status_code == 401  # a key belongs to one tenant
    assert with_key(client, a, created["key"][:-2] + "xx").status_code == 401
    assert with_key(client, a, "not-a-key").status_code == 401
    revoked = api(a, admin).delete(f"/api/v1/api-keys/{created['id']}")
    assert revoked.status_code == 200 and revoked.get_json()["data"]["revoked_at"]
    refused = with_key(client, a, created["key"])
    assert refused.status_code == 401 and refused.get_json()["error"]["code"] == "INVALID_API_KEY"


def test_only_org_admins_manage_keys(api, tenant, login_as):
    for role in ("branch_manager", "teacher", "student"):
        assert api(tenant, login_as(tenant, role)).get("/api/v1/api-keys").status_code == 403
    bad = api(tenant, login_as(tenant, "org_admin")).post("/api/v1/api-keys", json={"name": "", "roles": ["root"]})
    assert bad.status_code == 422
