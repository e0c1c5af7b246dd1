"""Managing integrations through the API (docs/integrations.md, "Managing integrations"): CRUD, the signing secret
shown once and stored sealed, rotation, subscriptions with field-level errors, who may (org admins only), and
another organization's ids (404)."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.security.sealing import unseal
from app.tenancy.context import tenant_context
from app.tenancy.models import utcnow
from blueprints.integrations import services, signing
from blueprints.integrations.models import Integration, WebhookDelivery, WebhookSubscription
from tests.support.integrations import make_webhook_integration

RECEIVER = "https://receiver.example.org/hooks"


def create_webhook(client, **extra):
    body = {"kind": "webhook", "name": "Data warehouse", **extra}
    response = client.post("/api/v1/integrations", json=body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["data"]


def row_of(app, tenant, integration_id):
    with tenant_context(tenant, app):
        integration = db.session.get(Integration, integration_id)
        db.session.expunge(integration)
        return integration


def test_webhook_crud_with_its_secret_shown_once_and_stored_sealed(app, api, tenant, login_as):
    admin = api(tenant, login_as(tenant, "org_admin"))
    made = create_webhook(admin, subscription={"url": RECEIVER, "event_types": ["course.completed"]})
    secret = made["signing_secret"]
    assert secret.startswith("whsec_") and made["subscriptions"] == 1 and made["status"] == "active"
    assert made["secrets_set"] == ["current"]

    shown = admin.get(f"/api/v1/integrations/{made['id']}").get_json()["data"]
    listed = admin.get("/api/v1/integrations").get_json()
    assert "signing_secret" not in shown and secret not in str(shown) and secret not in str(listed)
    assert [row["name"] for row in listed["data"]] == ["Data warehouse"] and listed["meta"]["total"] == 1

    row = row_of(app, tenant, made["id"])
    assert secret not in row.secrets_sealed and secret.removeprefix("whsec_") not in row.secrets_sealed
    with tenant_context(tenant, app):
        assert unseal(row.secrets_sealed, purpose="integrations") == {"current": secret}

    renamed = admin.put(f"/api/v1/integrations/{made['id']}", json={"name": "Warehouse", "status": "paused"})
    assert renamed.status_code == 200 and renamed.get_json()["data"]["status"] == "paused"
    assert admin.get("/api/v1/integrations?filter[status]=paused").get_json()["meta"]["total"] == 1
    assert admin.get("/api/v1/integrations?filter[kind]=oneroster").get_json()["meta"]["total"] == 0

    deleted = admin.delete(f"/api/v1/integrations/{made['id']}")
    assert deleted.status_code == 200 and deleted.get_json()["data"]["name"] == "Warehouse"
    assert admin.get(f"/api/v1/integrations/{made['id']}").status_code == 404
    with tenant_context(tenant, app):  # the subscriptions went with it (the foreign keys cascade)
        assert db.session.scalar(sa.select(sa.func.count()).select_from(WebhookSubscription)) == 0


def test_rotation_keeps_the_previous_secret_signing_for_a_day(app, api, tenant, login_as):
    admin = api(tenant, login_as(tenant, "org_admin"))
    made = create_webhook(admin)
    rotated = admin.post(f"/api/v1/integrations/{made['id']}/rotate-secret")
    assert rotated.status_code == 200 and rotated.headers["Cache-Control"] == "no-store"
    fresh = rotated.get_json()["data"]["signing_secret"]
    assert fresh.startswith("whsec_") and fresh != made["signing_secret"]
    until = rotated.get_json()["data"]["previous_secret_until"]
    assert until is not None
    assert "signing_secret" not in admin.get(f"/api/v1/integrations/{made['id']}").get_json()["data"]

    row = row_of(app, tenant, made["id"])
    with tenant_context(tenant, app):
        now = utcnow()
        assert services.signing_secrets(row, now) == [fresh, made["signing_secret"]]
        assert services.signing_secrets(row, now + timedelta(hours=23)) == [fresh, made["signing_secret"]]
        assert services.signing_secrets(row, now + timedelta(hours=25)) == [fresh]
    # both sign: a receiver holding either secret verifies the header
    headers = signing.signed_headers([fresh, made["signing_secret"]], "msg_1", 1_700_000_000, b"{}")
    assert len(headers["webhook-signature"].split(" ")) == 2


def test_a_oneroster_sync_keeps_its_token_sealed_and_has_no_secret_to_rotate(app, api, tenant, login_as):
    admin = api(tenant, login_as(tenant, "org_admin"))
    body = {
        "kind": "oneroster",
        "name": "SIS nightly",
        "settings": {"source_url": "https://sis.example.org/roster.zip", "processing": "delta"},
        "source_token": "sis-token-123",
    }
    made = admin.post("/api/v1/integrations", json=body)
    assert made.status_code == 201, made.get_json()
    data = made.get_json()["data"]
    assert "signing_secret" not in data and "sis-token-123" not in made.get_data(as_text=True)
    assert data["secrets_set"] == ["source_token"] and data["settings"]["processing"] == "delta"
    assert "sis-token-123" not in row_of(app, tenant, data["id"]).secrets_sealed
    assert admin.post(f"/api/v1/integrations/{data['id']}/rotate-secret").status_code == 409
    assert admin.get(f"/api/v1/integrations/{data['id']}/webhooks").status_code == 404
    cleared = admin.put(f"/api/v1/integrations/{data['id']}", json={"source_token": None})
    assert cleared.get_json()["data"]["secrets_set"] == []


def errors_of(response):
    assert response.status_code == 422, response.get_json()
    return response.get_json()["error"]["details"]


def test_invalid_integrations_and_subscriptions_name_their_fields(api, tenant, login_as):
    admin = api(tenant, login_as(tenant, "org_admin"))
    made = create_webhook(admin)
    assert "name" in errors_of(admin.post("/api/v1/integrations", json={"kind": "webhook", "name": "data WAREHOUSE"}))
    assert "kind" in errors_of(admin.post("/api/v1/integrations", json={"kind": "ftp", "name": "X"}))
    bad_source = {"kind": "oneroster", "name": "SIS", "settings": {"source_url": "ftp://sis.example.org/x.zip"}}
    assert "settings.source_url" in errors_of(admin.post("/api/v1/integrations", json=bad_source))
    assert "status" in errors_of(admin.put(f"/api/v1/integrations/{made['id']}", json={"status": "disabled"}))

    hooks = f"/api/v1/integrations/{made['id']}/webhooks"
    for url in (
        "ftp://receiver.example.org/",
        "https://user:pw@receiver.example.org/",
        "https:///no-host",
        "receiver.example.org/hooks",
        "https://receiver.example.org:99999/",
    ):
        assert "url" in errors_of(admin.post(hooks, json={"url": url})), url
    assert "event_types" in errors_of(admin.post(hooks, json={"url": RECEIVER, "event_types": ["no.such"]}))
    assert "event_types" in errors_of(admin.post(hooks, json={"url": RECEIVER, "event_types": ["*", "x"]}))
    assert "event_types" in errors_of(admin.post(hooks, json={"url": RECEIVER, "event_types": []}))
    nested = {"kind": "webhook", "name": "Other", "subscription": {"url": "gopher://x", "event_types": ["nope"]}}
    assert {"subscription.url", "subscription.event_types"} <= set(
        errors_of(admin.post("/api/v1/integrations", json=nested))
    )
    assert admin.get("/api/v1/integrations").get_json()["meta"]["total"] == 1  # nothing half-written


@pytest.mark.parametrize(
    "url", ["https://127.0.0.1/hooks", "https://10.1.2.3/", "https://[::1]/", "https://localhost/", "http://x.org/"]
)
def test_production_refuses_private_literal_addresses_and_plain_http(app, url):
    app.config["OUTBOUND_ALLOW_PRIVATE_ADDRESSES"] = False
    try:
        with app.app_context():
            assert services.url_form_problems(url)
            assert services.url_form_problems("https://receiver.example.org/hooks") == []
    finally:
        app.config["OUTBOUND_ALLOW_PRIVATE_ADDRESSES"] = True


def test_subscriptions_crud_and_reenabling_forgets_why_it_was_disabled(app, api, tenant, login_as):
    admin = api(tenant, login_as(tenant, "org_admin"))
    made = create_webhook(admin)
    hooks = f"/api/v1/integrations/{made['id']}/webhooks"
    created = admin.post(hooks, json={"url": RECEIVER, "event_types": ["user.registered", "course.completed"]})
    assert created.status_code == 201, created.get_json()
    sub = created.get_json()["data"]
    assert sub["event_types"] == ["course.completed", "user.registered"] and sub["status"] == "active"
    everything = admin.post(hooks, json={"url": "http://127.0.0.1:8765/webhooks"}).get_json()["data"]
    assert everything["event_types"] == ["*"]
    assert [row["id"] for row in admin.get(hooks).get_json()["data"]] == [sub["id"], everything["id"]]

    with tenant_context(tenant, app):  # the delivery engine disabled it after a 410
        row = db.session.get(WebhookSubscription, sub["id"])
        row.status, row.disabled_reason, row.failing_since = "disabled", "The receiver answered 410 Gone.", utcnow()
        db.session.commit()
    assert admin.get(f"{hooks}/{sub['id']}").get_json()["data"]["disabled_reason"] == "The receiver answered 410 Gone."
    enabled = admin.put(f"{hooks}/{sub['id']}", json={"status": "active", "url": RECEIVER + "/v2"})
    data = enabled.get_json()["data"]
    assert data["status"] == "active" and data["disabled_reason"] is None and data["failing_since"] is None
    assert data["url"] == RECEIVER + "/v2"

    with tenant_context(tenant, app):  # a delivery of it, to see the delete take it along
        db.session.add(
            WebhookDelivery(
                subscription_id=sub["id"], event_id="e1", event_type="user.registered", message_id="msg_x", body="{}"
            )
        )
        db.session.commit()
    assert admin.delete(f"{hooks}/{sub['id']}").status_code == 200
    assert admin.get(f"{hooks}/{sub['id']}").status_code == 404
    with tenant_context(tenant, app):
        assert db.session.scalar(sa.select(sa.func.count()).select_from(WebhookDelivery)) == 0


def test_reenabling_an_integration_we_disabled_clears_the_reason(app, api, tenant, login_as):
    admin = api(tenant, login_as(tenant, "org_admin"))
    made = create_webhook(admin)
    with tenant_context(tenant, app):
        row = db.session.get(Integration, made["id"])
        row.status, row.disabled_reason = "disabled", "Failing for 5 days."
        db.session.commit()
    resumed = admin.put(f"/api/v1/integrations/{made['id']}", json={"status": "active"}).get_json()["data"]
    assert resumed["status"] == "active" and resumed["disabled_reason"] is None


@pytest.mark.parametrize("role", ["branch_manager", "teacher", "student"])
def test_nobody_but_org_admins_reaches_any_of_it(api, tenant, login_as, role):
    made = create_webhook(api(tenant, login_as(tenant, "org_admin")))
    other = api(tenant, login_as(tenant, role))
    base = f"/api/v1/integrations/{made['id']}"
    for method, path, body in (
        ("GET", "/api/v1/integrations", None),
        ("POST", "/api/v1/integrations", {"kind": "webhook", "name": "Mine"}),
        ("GET", base, None),
        ("PUT", base, {"name": "Mine"}),
        ("DELETE", base, None),
        ("POST", f"{base}/rotate-secret", None),
        ("GET", f"{base}/webhooks", None),
        ("POST", f"{base}/webhooks", {"url": RECEIVER}),
    ):
        assert other.open(method, path, json=body).status_code == 403, (method, path)


def test_another_organizations_integration_is_not_found(api, make_tenant, login_as):
    a, b = make_tenant(), make_tenant()
    theirs = create_webhook(api(a, login_as(a, "org_admin")), subscription={"url": RECEIVER})
    sub_id = (
        api(a, login_as(a, "org_admin"))
        .get(f"/api/v1/integrations/{theirs['id']}/webhooks")
        .get_json()["data"][0]["id"]
    )
    mine = api(b, login_as(b, "org_admin"))
    base = f"/api/v1/integrations/{theirs['id']}"
    for method, path, body in (
        ("GET", base, None),
        ("PUT", base, {"name": "Taken"}),
        ("DELETE", base, None),
        ("POST", f"{base}/rotate-secret", None),
        ("GET", f"{base}/webhooks", None),
        ("POST", f"{base}/webhooks", {"url": RECEIVER}),
        ("GET", f"{base}/webhooks/{sub_id}", None),
        ("PUT", f"{base}/webhooks/{sub_id}", {"status": "disabled"}),
        ("DELETE", f"{base}/webhooks/{sub_id}", None),
    ):
        assert mine.open(method, path, json=body).status_code == 404, (method, path)


def test_an_overlap_written_with_an_offset_or_z_reads_the_same(app, api, tenant, login_as):
    admin = api(tenant, login_as(tenant, "org_admin"))
    for until in ("2099-01-01T00:00:00Z", "2099-01-01T01:00:00+01:00", "2099-01-01T00:00:00"):
        integration_id, _sub, _secret = make_webhook_integration(
            app, tenant, RECEIVER, name=f"Rotated {until}", previous=signing.new_signing_secret(), until=until
        )
        shown = admin.get(f"/api/v1/integrations/{integration_id}").get_json()["data"]
        assert shown["previous_secret_until"].startswith("2099-01-01T00:00:00"), (until, shown)
