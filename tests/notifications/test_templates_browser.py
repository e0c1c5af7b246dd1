"""The template editor in Chromium, on a phone and a desktop: the preview follows the words as they are typed
(subject, text and the HTML e-mail in its sandboxed frame), a problem shows next to its field with its line, an
insert button puts a variable at the cursor, and the pages fit the screen and pass axe's WCAG 2.2 AA checks."""

import os
from pathlib import Path

import pytest

from tests.conftest import make_user
from tests.support.browser import accessibility_violations, layout_problems, open_signed_in

pytestmark = pytest.mark.browser
SHOTS = Path(os.environ.get("SCREENSHOT_DIR", "")) if os.environ.get("SCREENSHOT_DIR") else None


def _check(page, name, width):
    assert layout_problems(page) == [], name
    assert accessibility_violations(page) == [], name
    if SHOTS:
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"notification-templates-{name}-{width}.png"), full_page=True)
        if page.locator("iframe.preview-email").count():
            page.locator("iframe.preview-email").screenshot(
                path=str(SHOTS / f"notification-templates-{name}-email-{width}.png")
            )


@pytest.mark.parametrize("width", [375, 1280])
def test_an_admin_sees_the_preview_follow_the_words_and_the_problem_at_its_line(
    app, tenant, browser, live_server, width
):
    make_user(app, tenant, "org_admin", email="words@example.org")
    height = 812 if width == 375 else 800
    page = open_signed_in(browser, live_server, tenant, "words@example.org", "/notifications/templates", width, height)
    _check(page, "list", width)

    page.get_by_role("link", name="Course due soon").click()
    page.wait_for_selector("h1:has-text('Course due soon')")
    assert page.locator(".preview-subject").inner_text() == "Fire safety is due in 3 days"
    frame = page.frame_locator("iframe.preview-email")
    assert frame.locator("h1").inner_text() == "Fire safety is due in 3 days"
    _check(page, "editor", width)

    page.fill("#subject", "Only {{ days }} days left for {{ course.title }}")
    page.wait_for_selector(".preview-subject:has-text('Only 3 days left for Fire safety')")
    assert frame.locator("h1").inner_text() == "Only 3 days left for Fire safety"

    page.fill("#body", "Hello {{ person.first_name }},\n\nkeep going:\n{{ course.price }}")
    problem = page.locator("#body-problems li")
    problem.wait_for()
    assert problem.inner_text() == "line 4: course has no 'price' (it has: title)"
    assert page.locator("#template-preview").inner_text().startswith("Not yet: 1 field has a problem")
    _check(page, "problem", width)

    # an insert button: at the cursor of the field last used, and the preview follows
    page.fill("#body", "Hello , see you.")
    page.locator("#body").evaluate("field => { field.focus(); field.setSelectionRange(6, 6); }")
    page.get_by_role("button", name="Insert person.first_name").click()
    assert page.input_value("#body") == "Hello {{ person.first_name }}, see you."
    page.wait_for_selector(".preview-text:has-text('Hello Ada, see you.')")
    assert page.locator("#body-problems li").count() == 0

    page.get_by_role("button", name="Save").first.click()
    page.wait_for_selector(".flash:has-text('Saved')")
    assert page.input_value("#body") == "Hello {{ person.first_name }}, see you."
    page.locator("summary:has-text('Go back to the default words')").click()
    page.get_by_role("button", name="Yes, use the default words").click()
    page.wait_for_selector(".flash:has-text('Back to the default words')")
    assert page.input_value("#subject") == "{{ course.title }} is due in {{ days }} day{{ 's' if days != 1 else '' }}"
    page.close()
