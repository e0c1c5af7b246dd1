"""The audit trail page in Chromium: at 375 px the table becomes cards and nothing sticks out, at 1280 px it is a
table; a row opens to its details; no serious WCAG 2.2 AA violation at either width."""

import os
from pathlib import Path

import pytest

from tests.support.browser import accessibility_violations, layout_problems, open_signed_in

pytestmark = pytest.mark.browser
SHOTS = Path(os.environ["SCREENSHOT_DIR"]) if os.environ.get("SCREENSHOT_DIR") else None
WIDTHS = [(375, 812), (1280, 800)]


@pytest.mark.parametrize(("width", "height"), WIDTHS, ids=[f"{w}px" for w, _h in WIDTHS])
def test_the_trail_fits_and_opens_its_details(browser, live_server, app, api, tenant, login_as, width, height):
    client = api(tenant)
    long_address = '=HYPERLINK("http://evil.example","x")-a-very-long-address-to-wrap@long-domain.example.org'
    for email in [long_address, "nobody@example.org"]:
        client.post("/api/v1/auth/login", json={"email": email, "password": "wrong-pass-123"})
    admin = api(tenant, login_as(tenant, "org_admin"))
    person = admin.post(
        "/api/v1/users",
        json={"email": "tess@example.org", "role": "student", "first_name": "Tess", "last_name": "T"},
    ).get_json()["data"]["id"]
    admin.put(f"/api/v1/users/{person}", json={"role": "teacher"})

    page = open_signed_in(browser, live_server, tenant, "admin@example.org", "/settings/audit-trail", width, height)
    assert page.locator("h1").inner_text() == "Audit trail"
    problems = layout_problems(page)
    assert problems == [], problems
    summary = page.locator("summary", has_text="Changed a person's roles")
    summary.click()
    details = page.locator("details[open] .audit-details")
    assert "org_admin" not in details.inner_text() and "teacher" in details.inner_text()
    problems = layout_problems(page)
    assert problems == [], problems
    assert accessibility_violations(page) == []
    if SHOTS:
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"audit-trail-{width}.png"), full_page=True)
    page.close()
