"""The integrations pages in Chromium at 375 px: a webhook connected from the page, its signing secret copied with
the Copy button (announced politely, on the clipboard), gone from the page once loaded again; no layout or WCAG 2.2
AA problems on the pages it passes through."""

import pytest
from playwright.sync_api import expect

from tests.conftest import make_user
from tests.support.browser import accessibility_violations, layout_problems, open_signed_in

pytestmark = pytest.mark.browser


def test_connecting_a_webhook_and_copying_its_secret_once(browser, live_server, app, tenant):
    make_user(app, tenant, "org_admin", email="ada@example.org")
    page = open_signed_in(browser, live_server, tenant, "ada@example.org", "/integrations", 375, 812)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    problems = []

    def look(name):
        problems.extend(f"{name}: {problem}" for problem in layout_problems(page) + accessibility_violations(page))

    page.get_by_role("button", name="New webhook").click()
    page.get_by_label("Name").fill("Warehouse")
    page.get_by_label("Receiver URL").fill("ftp://nowhere")
    page.get_by_role("button", name="Create webhook").click()
    expect(page.locator("#sub-url-errors")).to_have_text("Only http:// and https:// URLs.")
    look("new, with errors")
    page.get_by_label("Receiver URL").fill("https://receiver.example.org/hooks")
    page.get_by_label("The events I tick").check()
    page.get_by_label("course.completed").check()
    page.get_by_role("button", name="Create webhook").click()

    secret = page.locator("#signing-secret").input_value()
    assert secret.startswith("whsec_")
    status = page.get_by_role("status")
    expect(status).to_have_text("")
    page.get_by_role("button", name="Copy secret").click()
    expect(status).to_have_text("Secret copied.")
    assert page.evaluate("navigator.clipboard.readText()") == secret
    look("the new integration")

    page.get_by_role("link", name="← Integrations").click()  # the POST answered the secret; never again
    page.get_by_role("link", name="Warehouse").click()
    expect(page.locator("#signing-secret")).to_have_count(0)
    assert secret not in page.content()
    expect(page.locator(".subscription-card").get_by_text("course.completed")).to_be_visible()
    look("the integration")
    page.close()
    assert not problems, problems
