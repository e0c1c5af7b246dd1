"""API keys narrowed to an integration (docs/integrations.md, "API keys"): refused (403) on every route but their
integration's, where they manage it; not another integration; deleted with their integration."""

import sqlalchemy as sa

from app.extensions import db
from app.tenancy.context import tenant_context
from blueprints.api_keys.models import ApiKey


def make_integration(admin, name):
    response = admin.post("/api/v1/integrations", json={"kind": "webhook", "name": name})
    assert response.status_code == 201, response.get_json()
    return response.get_json()["data"]["id"]


def narrowed_key(admin, integration_id):
    response = admin.post("/api/v1/api-keys", json={"name": "Warehouse's key", "integration_id": integration_id})
    assert response.status_code == 201, response.get_json()
    data = response.get_json()["data"]
    assert data["integration_id"] == integration_id and data["roles"] == []
    return data


def test_a_narrowed_key_manages_its_integration_and_nothing_else(api, client, tenant, login_as):
    admin = api(tenant, login_as(tenant, "org_admin"))
    mine, other = make_integration(admin, "Warehouse"), make_integration(admin, "CRM")
    key = narrowed_key(admin, mine)["key"]
    as_key = api(tenant)

    def call(method, path, body=None):
        return as_key.open(method, path, json=body, headers={"X-API-Key": key})

    assert call("GET", f"/api/v1/integrations/{mine}").status_code == 200
    assert call("PUT", f"/api/v1/integrations/{mine}", {"status": "paused"}).get_json()["data"]["status"] == "paused"
    made = call("POST", f"/api/v1/integrations/{mine}/webhooks", {"url": "https://receiver.example.org/"})
    assert made.status_code == 201, made.get_json()
    assert call("POST", f"/api/v1/integrations/{mine}/rotate-secret").status_code == 200

    for method, path in (
        ("GET", f"/api/v1/integrations/{other}"),
        ("GET", f"/api/v1/integrations/{other}/webhooks"),
        ("GET", f"/api/v1/integrations/{mine}0"),  # its id as a prefix of another
        ("GET", "/api/v1/integrations"),
        ("POST", "/api/v1/api-keys"),
        ("GET", "/api/v1/users"),
        ("GET", "/api/v1/auth/me"),
        ("GET", "/api/v1/courses"),
    ):
        refused = call(method, path, {})
        assert refused.status_code == 403, (method, path, refused.status_code)
        assert "narrowed to integration" in refused.get_json()["error"]["message"]


def test_the_key_must_name_an_integration_of_this_organization(api, make_tenant, login_as):
    a, b = make_tenant(), make_tenant()
    theirs = make_integration(api(a, login_as(a, "org_admin")), "Theirs")
    admin_b = api(b, login_as(b, "org_admin"))
    make_integration(admin_b, "Mine")  # an id of b's own, so that a's id is unknown here by id, not by emptiness
    refused = admin_b.post("/api/v1/api-keys", json={"name": "K", "integration_id": theirs + 100})
    assert refused.status_code == 422 and "integration_id" in refused.get_json()["error"]["details"]
    assert admin_b.post("/api/v1/api-keys", json={"name": "K"}).get_json()["error"]["details"].keys() == {"roles"}


def test_deleting_the_integration_deletes_its_keys(app, api, client, tenant, login_as):
    admin = api(tenant, login_as(tenant, "org_admin"))
    mine, other = make_integration(admin, "Warehouse"), make_integration(admin, "CRM")
    doomed = narrowed_key(admin, mine)
    kept = narrowed_key(admin, other)
    assert admin.delete(f"/api/v1/integrations/{mine}").status_code == 200
    with tenant_context(tenant, app):
        assert set(db.session.scalars(sa.select(ApiKey.id))) == {kept["id"]}
    gone = api(tenant).get(f"/api/v1/integrations/{mine}", headers={"X-API-Key": doomed["key"]})
    assert gone.status_code == 401
