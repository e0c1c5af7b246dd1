"""The integrations pages (org admins): create a webhook with its first subscription, its secret shown on that page
only, pause and resume, rotate, subscriptions added, edited, enabled again and deleted, errors next to their fields,
delete after a confirmation, a key narrowed from the API keys page; nobody else reaches them."""

import re

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.tenancy.context import tenant_context
from blueprints.api_keys.models import ApiKey
from blueprints.integrations.models import Integration, WebhookSubscription
from tests.conftest import make_user
from tests.support.browser import Browser

RECEIVER = "https://receiver.example.org/hooks"


@pytest.fixture
def admin_pages(app, tenant):
    make_user(app, tenant, "org_admin", email="ada@example.org")
    pages = Browser(app, tenant)
    assert pages.sign_in("ada@example.org").status_code == 302
    return pages


def secret_on(html):
    found = re.search(r'id="signing-secret"[^>]*value="(whsec_[^"]+)"', html)
    return found.group(1) if found else None


def create_webhook(pages, **fields):
    form = {"kind": "webhook", "name": "Warehouse", "url": RECEIVER, "events": "all", **fields}
    return pages.post("/integrations", form, csrf_from="/integrations/new?kind=webhook")


def only_integration(app, tenant):
    with tenant_context(tenant, app):
        integration = db.session.scalar(sa.select(Integration))
        db.session.expunge(integration)
        return integration


def test_a_new_webhook_shows_its_secret_once_then_pause_rotate_and_delete(app, tenant, admin_pages):
    listing = admin_pages.get("/integrations").get_data(as_text=True)
    assert "New webhook" in listing and "New OneRoster sync" in listing and "No integration yet" in listing
    made = create_webhook(admin_pages)
    assert made.status_code == 201 and made.headers["Cache-Control"] == "no-store"
    secret = secret_on(made.get_data(as_text=True))
    assert secret and "Copy secret" in made.get_data(as_text=True)
    integration = only_integration(app, tenant)
    assert secret not in integration.secrets_sealed
    page = f"/integrations/{integration.id}"
    shown = admin_pages.get(page).get_data(as_text=True)
    assert secret_on(shown) is None and secret not in shown and RECEIVER in shown
    assert "Every event" in shown

    listing = admin_pages.get("/integrations").get_data(as_text=True)
    assert "Warehouse" in listing and "Webhook endpoint" in listing

    paused = admin_pages.post(f"{page}/status", {"status": "paused"}, csrf_from=page)
    assert paused.status_code == 303 and only_integration(app, tenant).status == "paused"
    assert "Resume" in admin_pages.get(page).get_data(as_text=True)
    admin_pages.post(f"{page}/status", {"status": "active"}, csrf_from=page)
    assert only_integration(app, tenant).status == "active"

    rotated = admin_pages.post(f"{page}/rotate-secret", {}, csrf_from=page)
    fresh = secret_on(rotated.get_data(as_text=True))
    assert fresh and fresh != secret and "previous secret signs too until" in rotated.get_data(as_text=True)

    renamed = admin_pages.post(page, {"name": "Lake"}, csrf_from=page)
    assert renamed.status_code == 303 and only_integration(app, tenant).name == "Lake"

    confirm = admin_pages.get(f"{page}/delete").get_data(as_text=True)
    assert "Delete “Lake”?" in confirm and "1 subscription" in confirm
    gone = admin_pages.post(f"{page}/delete", {}, csrf_from=f"{page}/delete")
    assert gone.status_code == 303 and admin_pages.get(page).status_code == 404
    with tenant_context(tenant, app):
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Integration)) == 0


def test_errors_are_shown_next_to_their_fields_and_nothing_is_written(app, tenant, admin_pages):
    refused = create_webhook(admin_pages, name="", url="ftp://nowhere", events="chosen")
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert 'id="name-errors"' in html and 'id="sub-url-errors"' in html and 'id="sub-events-errors"' in html
    assert 'value="ftp://nowhere"' in html  # what was typed is kept
    with tenant_context(tenant, app):
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Integration)) == 0


def test_subscriptions_are_added_edited_enabled_again_and_deleted(app, tenant, admin_pages):
    create_webhook(admin_pages)
    integration = only_integration(app, tenant)
    page = f"/integrations/{integration.id}"
    added = admin_pages.post(
        f"{page}/webhooks",
        {"url": RECEIVER + "/courses", "events": "chosen", "event_types": ["course.completed", "badge.awarded"]},
        csrf_from=page,
    )
    assert added.status_code == 303
    with tenant_context(tenant, app):
        sub = db.session.scalar(sa.select(WebhookSubscription).where(WebhookSubscription.url.endswith("/courses")))
        assert sub.event_types == ["badge.awarded", "course.completed"]
        sub.status, sub.disabled_reason = "disabled", "The receiver answered 410 Gone."
        db.session.commit()
        sub_id = sub.id
    bad = admin_pages.post(f"{page}/webhooks", {"url": "https://u:p@x.org/", "events": "all"}, csrf_from=page)
    assert bad.status_code == 422 and "Credentials in the URL are not sent" in bad.get_data(as_text=True)

    edit = f"{page}/webhooks/{sub_id}"
    shown = admin_pages.get(edit).get_data(as_text=True)
    assert "410 Gone" in shown and "Save and enable again" in shown
    assert re.search(r'value="course.completed" checked', shown)
    saved = admin_pages.post(edit, {"url": RECEIVER + "/v2", "events": "all", "status": "active"}, csrf_from=edit)
    assert saved.status_code == 303
    with tenant_context(tenant, app):
        sub = db.session.get(WebhookSubscription, sub_id)
        assert (sub.status, sub.disabled_reason, sub.event_types, sub.url) == ("active", None, ["*"], RECEIVER + "/v2")
    assert admin_pages.post(f"{edit}/delete", {}, csrf_from=page).status_code == 303
    assert admin_pages.get(edit).status_code == 404


def test_a_oneroster_sync_from_the_page(app, tenant, admin_pages):
    made = admin_pages.post(
        "/integrations",
        {
            "kind": "oneroster",
            "name": "SIS",
            "source_url": "https://sis.example.org/r.zip",
            "processing": "delta",
            "source_token": "tok-1",
        },
        csrf_from="/integrations/new?kind=oneroster",
    )
    assert made.status_code == 201 and "tok-1" not in made.get_data(as_text=True)
    integration = only_integration(app, tenant)
    assert integration.settings == {"source_url": "https://sis.example.org/r.zip", "processing": "delta"}
    page = f"/integrations/{integration.id}"
    assert "Rotate signing secret" not in admin_pages.get(page).get_data(as_text=True)


def test_a_key_narrowed_from_the_api_keys_page(app, tenant, admin_pages):
    create_webhook(admin_pages)
    integration = only_integration(app, tenant)
    keys_page = admin_pages.get("/settings/api-keys").get_data(as_text=True)
    assert f'<option value="{integration.id}">Warehouse</option>' in keys_page
    made = admin_pages.post(
        "/settings/api-keys",
        {"name": "Warehouse sync", "integration_id": str(integration.id)},
        csrf_from="/settings/api-keys",
    )
    assert made.status_code == 200, made.get_data(as_text=True)[:500]
    assert "the integration “Warehouse” only" in made.get_data(as_text=True)
    with tenant_context(tenant, app):
        key = db.session.scalar(sa.select(ApiKey))
        assert key.integration_id == integration.id and key.roles == []
    refused = admin_pages.post("/settings/api-keys", {"name": "No roles"}, csrf_from="/settings/api-keys")
    assert refused.status_code == 422


@pytest.mark.parametrize("role", ["branch_manager", "teacher", "student"])
def test_nobody_else_reaches_the_pages(app, tenant, admin_pages, role):
    create_webhook(admin_pages)
    integration = only_integration(app, tenant)
    make_user(app, tenant, role, email=f"{role}@example.org")
    other = Browser(app, tenant)
    other.sign_in(f"{role}@example.org")
    for path in (
        "/integrations",
        "/integrations/new",
        f"/integrations/{integration.id}",
        f"/integrations/{integration.id}/delete",
    ):
        assert other.get(path).status_code == 403, path
    assert "/integrations" not in re.findall(r'href="([^"]+)"', other.get("/").get_data(as_text=True))
