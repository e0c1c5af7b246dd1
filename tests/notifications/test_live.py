"""The bell, live: the stream sends the count at once and again when a notification is written for that person
(not for anyone else), says it is alive, ends after its time, and a full server answers 204; in Chromium, an open
page's bell changes without a reload when something happens meanwhile."""

import os
import time
from contextlib import contextmanager

import pytest
from playwright.sync_api import expect

from app.extensions import db
from app.tenancy.context import tenant_context
from blueprints.notifications import live
from blueprints.notifications.producing import notify
from tests.conftest import make_user
from tests.support.browser import Browser, open_signed_in

COURSE = {"course": {"title": "Fire safety"}, "due_date": ""}
THREADED = {"environ_overrides": {"wsgi.multithread": True}}  # as Werkzeug's and gunicorn's threaded servers say


def _tell(app, tenant, user_id, key):
    with tenant_context(tenant, app):
        notify("enrolled", [user_id], source_key=key, context=COURSE, link="/learn")
        db.session.commit()


@contextmanager
def configured(app, **values):
    before = {key: app.config.get(key) for key in values}
    app.config.update(values)
    try:
        yield
    finally:
        app.config.update(before)


@pytest.fixture
def slots(monkeypatch):
    """This test's own count of open streams (a browser test's pages in this process may still hold some)."""
    monkeypatch.setattr(live, "SLOTS", live.StreamSlots())
    return live.SLOTS


def test_the_stream_sends_the_count_then_each_change_of_mine_only_and_ends(app, tenant, slots):
    ada = make_user(app, tenant, "student", email="ada@example.org")
    bob = make_user(app, tenant, "student", email="bob@example.org")
    _tell(app, tenant, ada, "first")
    browser = Browser(app, tenant)
    browser.sign_in("ada@example.org")
    with configured(app, NOTIFICATIONS_STREAM_SECONDS=4):
        response = browser.get("/notifications/stream", buffered=False, **THREADED)
        assert response.status_code == 200 and response.mimetype == "text/event-stream"
        assert response.headers["Cache-Control"] == "no-store"
        events = response.response
        first = _next_text(events)
        assert first.startswith("retry: 10000\nevent: unread\n")
        assert '<span class="bell-badge">1</span>' in first
        _tell(app, tenant, bob, "theirs")  # someone else's news: nothing on this stream
        _tell(app, tenant, ada, "second")
        second = _next_text(events)
        assert second.startswith("event: unread\n") and '<span class="bell-badge">2</span>' in second
        started = time.monotonic()
        rest = "".join(_texts(events))  # the stream ends by itself
        assert time.monotonic() - started < 6 and "bell-badge" not in rest
        response.close()
    assert slots.open == 0


def _next_text(events):
    return next(events).decode()


def _texts(events):
    for chunk in events:
        yield chunk.decode()


def test_a_quiet_stream_says_it_is_alive_and_a_full_server_answers_204(app, tenant, slots):
    make_user(app, tenant, "student", email="ada@example.org")
    browser = Browser(app, tenant)
    browser.sign_in("ada@example.org")
    with configured(app, NOTIFICATIONS_STREAM_SECONDS=3, NOTIFICATIONS_STREAMS_PER_PROCESS=1):
        original, live.KEEP_ALIVE_SECONDS = live.KEEP_ALIVE_SECONDS, 1
        try:
            first = browser.get("/notifications/stream", buffered=False, **THREADED)
            chunks = first.response
            assert "bell-badge" not in _next_text(chunks)  # nothing unread
            assert _next_text(chunks) == ": still here\n\n"
            second = Browser(app, tenant)
            second.sign_in("ada@example.org")
            assert second.get("/notifications/stream", **THREADED).status_code == 204  # no room: that page polls
            first.close()
            assert slots.open == 0
            again = second.get("/notifications/stream", buffered=False, **THREADED)
            assert again.status_code == 200
            again.close()
        finally:
            live.KEEP_ALIVE_SECONDS = original
    assert slots.open == 0
    # a server of one request at a time per process (gunicorn's default sync workers) never holds one
    assert browser.get("/notifications/stream").status_code == 204


@pytest.mark.browser
@pytest.mark.parametrize("width, height", [(375, 812), (1280, 800)])
def test_an_open_pages_bell_counts_up_without_a_reload(browser, live_server, app, make_tenant, width, height):
    tenant = make_tenant()
    sam = make_user(app, tenant, "student", email="sam@example.org", first_name="Sam")
    page = open_signed_in(browser, live_server, tenant, "sam@example.org", "/learn", width, height)
    bell = page.locator("#notification-bell a")
    expect(bell).to_have_accessible_name("Notifications")
    page.wait_for_function("() => document.querySelector('[sse-connect]') && window.htmx")
    page.evaluate("window.stillTheSamePage = true")
    _tell(app, tenant, sam, "live-1")
    expect(bell).to_have_accessible_name("Notifications, 1 unread", timeout=10_000)
    _tell(app, tenant, sam, "live-2")
    expect(page.locator("#notification-bell .bell-badge")).to_have_text("2", timeout=10_000)
    assert page.evaluate("window.stillTheSamePage") is True  # no reload
    assert page.locator("#notification-bell").get_attribute("aria-live") == "polite"
    if os.environ.get("SCREENSHOT_DIR"):
        page.screenshot(path=os.path.join(os.environ["SCREENSHOT_DIR"], f"bell-{width}.png"))
    bell.click()
    page.wait_for_url("**/notifications")
    assert page.locator("li.notification.unread").count() == 2
    page.close()


@pytest.mark.browser
@pytest.mark.parametrize("limits", [{"NOTIFICATIONS_STREAMS_PER_PROCESS": 0}, {"NOTIFICATIONS_STREAM_SECONDS": 1}])
def test_a_full_server_or_an_ended_stream_is_no_error_on_the_page(browser, live_server, app, make_tenant, limits):
    """A 204 (no room for a stream) and a stream that ended are how the bell is meant to work, not errors: the page
    says nothing in the console (the SSE extension logged each) and its bell stays."""
    tenant = make_tenant()
    make_user(app, tenant, "student", email="sam@example.org")
    with configured(app, **limits):
        page = open_signed_in(browser, live_server, tenant, "sam@example.org", "/learn", 1280, 800)
        errors = []
        page.on("console", lambda message: message.type == "error" and errors.append(message.text))
        page.reload()
        page.wait_for_function("() => document.querySelector('[sse-connect]') && window.htmx")
        page.wait_for_timeout(2500)  # past the stream's end, and past the extension's first reconnect (0.5 s)
        assert errors == []
        expect(page.locator("#notification-bell a")).to_have_accessible_name("Notifications")
        page.close()
