"""A page left open until its CSRF token expired, in a real Chromium at 375 px: clicking an htmx button reloads
the page, which says why, and the second click works."""

import os

import pytest
from playwright.sync_api import expect

from app.security.expired_forms import RELOADED_NOTICE
from tests.support.browser import Browser, open_signed_in

pytestmark = pytest.mark.browser

MAKE_TOKENS_STALE = """() => {
  for (const input of document.querySelectorAll('input[name=csrf_token]')) input.value = 'stale';
  document.body.setAttribute('hx-headers', JSON.stringify({"X-CSRFToken": "stale"}));
}"""


def test_an_htmx_click_on_an_expired_page_reloads_it_with_a_notice(app, tenant, browser, live_server):
    admin = Browser(app, tenant)
    admin.sign_in("admin@example.org")
    admin.post("/settings/api-keys", {"name": "Nightly sync", "roles": ["teacher"]}, csrf_from="/settings/api-keys")
    page = open_signed_in(
        browser, live_server, tenant, "admin@example.org", "/settings/api-keys", width=375, height=812
    )
    page.wait_for_load_state("load")  # htmx is loaded: the click is an hx-post
    page.on("dialog", lambda dialog: dialog.accept())  # hx-confirm
    page.evaluate(MAKE_TOKENS_STALE)

    with page.expect_navigation():  # HX-Refresh: the whole page loads again, with fresh tokens
        page.get_by_role("button", name="Revoke").click()
    expect(page.locator(".flash")).to_have_text(RELOADED_NOTICE)
    row = page.locator("tr", has_text="Nightly sync")
    expect(row).not_to_contain_text("revoked")
    if os.environ.get("SCREENSHOT_DIR"):
        page.screenshot(path=os.path.join(os.environ["SCREENSHOT_DIR"], "expired-page-reloaded-375.png"))

    page.wait_for_load_state("load")
    row.get_by_role("button", name="Revoke").click()  # trying again works
    expect(row).to_contain_text("revoked")
    page.close()
