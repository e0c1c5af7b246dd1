"""The Credentials page in Chromium at 375 px and 1 280 px: it fits, passes axe (WCAG 2.2 AA), and its audit
button answers in place (htmx)."""

import os
from pathlib import Path

import pytest

from app.extensions import db
from app.tenancy.context import tenant_context
from blueprints.credentials import keys, ledger
from tests.support.browser import accessibility_violations, layout_problems, open_signed_in
from tests.support.credentials import actor_of

pytestmark = pytest.mark.browser


def shot(page, name, width):
    folder = Path(os.environ.get("SCREENSHOTS_DIR", "instance/screenshots"))
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{name}-{width}.png"), full_page=True)


@pytest.mark.parametrize(("width", "height"), [(375, 812), (1280, 800)])
def test_the_credentials_page_fits_and_audits_in_place(app, tenant, browser, live_server, width, height):
    with tenant_context(tenant, app):
        keys.active_key()
        db.session.commit()
        keys.rotate_key(actor_of(app, tenant))
        for n in range(1, 13):
            ledger.append("issued" if n % 4 else "revoked", "certificate" if n % 3 else "badge_award", n, {"n": n})
        db.session.commit()
    page = open_signed_in(browser, live_server, tenant, "admin@example.org", "/settings/credentials", width, height)
    assert layout_problems(page) == []
    assert accessibility_violations(page) == []
    shot(page, "credentials", width)
    page.get_by_role("button", name="Audit the log").click()
    page.get_by_text("The log is intact:").wait_for()
    assert "12 entries checked" in page.locator("#audit-result").inner_text()
    assert page.url.endswith("/settings/credentials")  # answered in place, no navigation
    assert layout_problems(page) == []
    shot(page, "credentials-audited", width)
