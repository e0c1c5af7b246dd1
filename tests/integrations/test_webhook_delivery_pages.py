"""The delivery log's pages: an org admin sees the table (event, attempts, status code, duration, next attempt,
the answer), filters it, opens a delivery's attempts, redelivers one and every failed one, sends a test event;
the receiver gets each. Other roles are refused; another integration's delivery is not found."""

import os
import re
from pathlib import Path

import pytest

from app.events import emit_after_commit
from app.extensions import db
from app.tenancy.context import tenant_context
from tests.conftest import make_user
from tests.support.browser import Browser, accessibility_violations, layout_problems, open_signed_in
from tests.support.integrations import (
    deliver_until_settled,
    deliveries,
    forget_scheduled_webhook_retries,
    make_webhook_integration,
)
from tests.support.webhook_receiver import WebhookReceiver

WANTED = ["user.registered", "course.completed"]
MANY = 8
SHOTS = Path(os.environ["SCREENSHOT_DIR"]) if os.environ.get("SCREENSHOT_DIR") else None


@pytest.fixture(autouse=True)
def _no_retries_left_behind(app):
    yield
    forget_scheduled_webhook_retries(app)


def emit(app, tenant, name, **fields):
    with tenant_context(tenant, app):
        emit_after_commit(db.session, name, **fields)
        db.session.commit()


def csrf(html):
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def a_failed_and_a_delivered(app, tenant, receiver):
    integration_id, subscription_id, secret = make_webhook_integration(
        app, tenant, receiver.url, event_types=WANTED, name="Student records"
    )
    receiver.secrets.append(secret)
    receiver.answer(503, body=b"<html>maintenance</html>", times=MANY)
    emit(app, tenant, "user.registered", user_id=7)
    deliver_until_settled(app, tenant, timeout=40, sweep_grace=0)
    emit(app, tenant, "course.completed", course_id=3, user_id=7)
    deliver_until_settled(app, tenant)
    return integration_id, subscription_id, secret


def test_an_org_admin_reads_filters_redelivers_and_tests_from_the_pages(app, tenant):
    make_user(app, tenant, "org_admin", email="hooks-admin@example.org")
    page = Browser(app, tenant)
    page.sign_in("hooks-admin@example.org")
    with WebhookReceiver() as receiver:
        integration_id, subscription_id, secret = a_failed_and_a_delivered(app, tenant, receiver)
        failed, delivered = deliveries(app, tenant)
        log = page.get(f"/integrations/{integration_id}/deliveries")
        assert log.status_code == 200
        html = log.get_data(as_text=True)
        assert "Deliveries of Student records" in html and receiver.url in html
        assert html.index("course.completed") < html.index("user.registered")  # newest first
        assert "HTTP 503: not a 2xx answer" in html and ">503<" in html and ">200<" in html
        assert "Redeliver all failed (1)" in html

        only = page.get(f"/integrations/{integration_id}/deliveries?status=failed").get_data(as_text=True)
        assert "user.registered" in only and "course.completed</a>" not in only
        bad = page.get(f"/integrations/{integration_id}/deliveries?subscription_id=abc")
        assert bad.status_code == 400

        one = page.get(f"/integrations/{integration_id}/deliveries/{failed.id}").get_data(as_text=True)
        assert one.count("Attempt ") == MANY and failed.message_id in one
        assert "&lt;html&gt;maintenance&lt;/html&gt;" in one  # the answer, escaped

        token = csrf(html)
        back = page.post(
            f"/integrations/{integration_id}/deliveries/{failed.id}/redeliver",
            {"csrf_token": token, "back": "delivery"},
        )
        assert back.status_code == 302 and back.location.endswith(f"/deliveries/{failed.id}")
        deliver_until_settled(app, tenant)
        assert receiver.received[-1].message_id == failed.message_id

        sent = page.post(
            f"/integrations/{integration_id}/deliveries/test", {"csrf_token": token, "subscription_id": subscription_id}
        )
        assert sent.status_code == 302
        deliver_until_settled(app, tenant)
        assert receiver.received[-1].json["type"] == "webhook.test"
        assert receiver.received[-1].verified_with == [secret]
        nothing = page.post(f"/integrations/{integration_id}/deliveries/redeliver", {"csrf_token": token})
        assert nothing.status_code == 302
        assert "Nothing had failed." in page.get(nothing.location).get_data(as_text=True)
        refused = page.post(f"/integrations/{integration_id}/deliveries/redeliver", {})  # no CSRF token
        assert refused.status_code == 400

        other_id, _, _ = make_webhook_integration(app, tenant, receiver.url, event_types=WANTED)
        assert page.get(f"/integrations/{other_id}/deliveries/{failed.id}").status_code == 404
        assert page.get("/integrations/424242/deliveries").status_code == 404
    assert delivered.status == "succeeded"


@pytest.mark.parametrize("role", ["branch_manager", "teacher", "student"])
def test_nobody_but_org_admins_reads_the_log(app, tenant, role):
    make_user(app, tenant, role, email=f"{role}@example.org")
    integration_id, _, _ = make_webhook_integration(app, tenant, "http://127.0.0.1:9/hooks", event_types=WANTED)
    page = Browser(app, tenant)
    page.sign_in(f"{role}@example.org")
    assert page.get(f"/integrations/{integration_id}/deliveries").status_code == 403


@pytest.mark.browser
@pytest.mark.parametrize("width", [375, 1280])
def test_the_log_fits_a_phone_and_a_desktop_and_passes_axe(app, tenant, browser, live_server, width):
    make_user(app, tenant, "org_admin", email="hooks-admin@example.org")
    with WebhookReceiver() as receiver:
        integration_id, _, _ = a_failed_and_a_delivered(app, tenant, receiver)
        failed = deliveries(app, tenant)[0]
        path = f"/integrations/{integration_id}/deliveries"
        height = 812 if width == 375 else 800
        page = open_signed_in(browser, live_server, tenant, "hooks-admin@example.org", path, width, height)
        for name, where in (("log", path), ("delivery", f"{path}/{failed.id}")):
            page.goto(f"http://{tenant.slug}.localhost:{live_server}{where}")
            assert layout_problems(page) == [], name
            assert accessibility_violations(page) == [], name
            if SHOTS:
                SHOTS.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(SHOTS / f"webhook-deliveries-{name}-{width}.png"), full_page=True)
        page.goto(f"http://{tenant.slug}.localhost:{live_server}{path}")
        page.get_by_role("button", name="Send a test event").click()
        page.wait_for_selector("p.flash:has-text('Test event sent')")
        page.close()
