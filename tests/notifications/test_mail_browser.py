"""The e-mail and the unsubscribe page in Chromium at a phone's and a desktop's width: nothing wider than the
screen, no serious WCAG 2.2 AA problem, and the page's button really stops the e-mails."""

import os
import re

import pytest

from app.extensions import db
from app.tenancy.context import tenant_context
from blueprints.notifications.producing import notify
from tests.conftest import make_user, run_jobs
from tests.support.browser import accessibility_violations, layout_problems

pytestmark = pytest.mark.browser
WIDTHS = [(375, 812), (1280, 800)]


def _shot(page, name):
    if os.environ.get("SCREENSHOT_DIR"):
        os.makedirs(os.environ["SCREENSHOT_DIR"], exist_ok=True)
        page.screenshot(path=os.path.join(os.environ["SCREENSHOT_DIR"], name), full_page=True)


def test_the_email_and_its_unsubscribe_page_read_well_on_a_phone_and_a_desktop(
    app, tenant, mailbox, browser, live_server
):
    ada = make_user(app, tenant, "student", email="ada@example.org", first_name="Ada")
    with tenant_context(tenant, app):
        long_title = "Occupational health, safety and environmental management for site supervisors"
        notify(
            "enrolled",
            [ada],
            source_key="e1",
            context={"course": {"title": long_title}, "due_date": "Tuesday 1 December 2026"},
            link="/learn/7",
        )
        db.session.commit()
    run_jobs(app)
    [mail] = mailbox.to("ada@example.org")
    html = mail.get_body(("html",)).get_content()
    link = re.fullmatch(r"<(.+)>", mail["List-Unsubscribe"]).group(1)
    path = link.split("localhost:5000", 1)[1]

    for width, height in WIDTHS:
        page = browser.new_page(viewport={"width": width, "height": height})
        page.set_content(html)
        assert layout_problems(page) == [], f"the e-mail at {width}px"
        assert accessibility_violations(page) == [], f"the e-mail at {width}px"
        _shot(page, f"notification-email-{width}.png")
        page.goto(f"http://{tenant.slug}.localhost:{live_server}{path}")
        assert layout_problems(page) == [], f"the unsubscribe page at {width}px"
        assert accessibility_violations(page) == [], f"the unsubscribe page at {width}px"
        _shot(page, f"notification-unsubscribe-{width}.png")
        page.close()

    page = browser.new_page(viewport={"width": 375, "height": 812})
    page.goto(f"http://{tenant.slug}.localhost:{live_server}{path}")
    page.get_by_role("button", name="Stop these e-mails").click()
    page.wait_for_selector("text=You are unsubscribed")
    assert layout_problems(page) == []
    _shot(page, "notification-unsubscribed-375.png")
    page.close()
