"""The operators' pages, the outbox and the sign-up page in Chromium at 375 and 1280 px: nothing overflows
sideways, and the screenshots are kept (TESSERA_SHOTS_DIR) to be looked at."""

import os
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from app.mail import build_message
from app.tenancy.context import tenant_context
from tests.conftest import PASSWORD, build_app
from tests.support.browser import CHROMIUM, CHROMIUM_ARGS
from tests.support.services import free_port

pytestmark = pytest.mark.browser
SIZES = [(375, 812), (1280, 800)]
OVERFLOW = "document.documentElement.scrollWidth <= window.innerWidth"


@pytest.fixture
def served(app_config, tmp_path, operator_token):
    outbox = tmp_path / "outbox"
    outbox.mkdir()
    app = build_app(app_config, OUTBOX_DIR=str(outbox))
    port = free_port()
    server = make_server("127.0.0.1", port, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield app, port, outbox
    server.shutdown()


@pytest.fixture
def chromium():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def shoot(page, name, width):
    folder = Path(os.environ.get("TESSERA_SHOTS_DIR", "/tmp/tessera-shots"))
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{name}-{width}.png"), full_page=True)
    assert page.evaluate(OVERFLOW), f"{name} overflows sideways at {width} px"


def test_operator_pages_and_sign_up_fit_a_phone_and_a_desktop(served, chromium, make_tenant):
    app, port, outbox = served
    tenant = make_tenant(name="Riverside Secondary School of the Long Names")
    with app.app_context():
        from app.extensions import db
        from app.tenancy.models import Tenant

        record = db.session.get(Tenant, tenant.id)
        record.settings = {**record.settings, "self_registration": True}
        db.session.commit()
    with tenant_context(tenant, app):
        for n in range(3):
            message = build_message(f"a-rather-long-address-{n}@riverside-secondary.example", f"Your account {n}", "Hi")
            (outbox / f"20261125T1200{n:02d}-{n}.eml").write_bytes(message.as_bytes())
    app.test_cli_runner().invoke(args=["organizations", "refresh-figures"])

    for width, height in SIZES:
        page = chromium.new_page(viewport={"width": width, "height": height})
        page.goto(f"http://localhost:{port}/login")
        page.fill("input[name=email]", "operator@example.org")
        page.fill("input[name=password]", PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(f"http://localhost:{port}/")
        for name, path in [
            ("console", "/organizations"),
            ("organization", f"/organizations/{tenant.id}"),
            ("new-organization", "/organizations/new"),
            ("outbox", "/outbox"),
        ]:
            page.goto(f"http://localhost:{port}{path}")
            shoot(page, name, width)
        page.goto(f"http://{tenant.slug}.localhost:{port}/register")
        shoot(page, "register", width)
        page.goto(f"http://{tenant.slug}.localhost:{port}/login")
        assert page.get_by_role("link", name="Create an account").is_visible()
        page.close()

    with app.app_context():
        from app.tenancy.provisioning import get_tenant, suspend_tenant

        suspend_tenant(get_tenant(tenant.id))
    for width, height in SIZES:
        page = chromium.new_page(viewport={"width": width, "height": height})
        response = page.goto(f"http://{tenant.slug}.localhost:{port}/login")
        assert response.status == 403 and page.get_by_text("This organization is suspended").is_visible()
        shoot(page, "suspended", width)
        page.close()
