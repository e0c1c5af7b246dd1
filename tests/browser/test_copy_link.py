"""My achievements' "Copy link": the link lands on the clipboard, and a polite live region says so for a screen
reader (a button's changed name is not announced)."""

import pytest
from playwright.sync_api import expect

from tests.support.browser import open_signed_in
from tests.support.certificate_rows import make_certificate
from tests.support.quizzes import make_classroom

pytestmark = pytest.mark.browser


def test_copying_a_share_link_is_announced_politely(browser, live_server, app, api, tenant):
    classroom = make_classroom(app, api, tenant)
    certificate_id, code = make_certificate(app, tenant, classroom.course_id, classroom.ids["learner"], pdf=b"%PDF-x")
    page = open_signed_in(browser, live_server, tenant, "ada@example.org", "/achievements", 375, 812)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    card = page.locator(f"#certificate-{certificate_id}")
    status = card.get_by_role("status")
    expect(status).to_have_attribute("aria-live", "polite")
    expect(status).to_have_text("")  # the region is there, empty, before the click

    card.get_by_role("button", name="Copy link").click()
    expect(status).to_have_text("Link copied.")
    expect(card.get_by_role("button", name="Copied")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()").endswith(f"/verify/{code}")
    page.close()
