"""The demo tenant's home page in a real Chromium, on a desktop and on a 375 px phone."""

import os
import threading

import pytest
from werkzeug.serving import make_server

from tests.services import free_port

pytestmark = pytest.mark.browser
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
]


@pytest.fixture(scope="module")
def live_server(app):
    port = free_port()
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield port
    server.shutdown()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.mark.parametrize("width, height", [(1280, 800), (375, 740)])
def test_tenant_home_page_renders(browser, live_server, make_tenant, width, height, tmp_path):
    tenant = make_tenant(name="Harbour Training College")
    page = browser.new_page(viewport={"width": width, "height": height})
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda msg: msg.type == "error" and errors.append(msg.text))
    response = page.goto(f"http://{tenant.slug}.localhost:{live_server}/")
    assert response.status == 200
    heading = page.locator("h1")
    assert heading.inner_text() == "Harbour Training College"
    assert heading.is_visible()
    # Styles loaded (Pico, ours, the tenant's branding) and nothing wider than the screen.
    assert page.evaluate("getComputedStyle(document.body).fontFamily") != "Times New Roman"
    assert page.evaluate("getComputedStyle(document.documentElement).getPropertyValue('--brand-primary')").strip()
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert page.evaluate("typeof htmx") == "object"
    assert errors == []
    page.screenshot(path=str(tmp_path / f"home-{width}.png"), full_page=True)
    if os.environ.get("SCREENSHOT_DIR"):
        page.screenshot(path=os.path.join(os.environ["SCREENSHOT_DIR"], f"home-{width}.png"), full_page=True)
    page.close()


def test_unknown_tenant_shows_the_not_found_page(browser, live_server):
    page = browser.new_page(viewport={"width": 375, "height": 740})
    response = page.goto(f"http://no-such-org.localhost:{live_server}/")
    assert response.status == 404
    assert "Not found" in page.locator("h1").inner_text()
    page.close()
