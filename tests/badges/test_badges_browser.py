"""Badge pages in Chromium, on a phone and a desktop: the editor's criteria fields swap with the strategy and the
preview follows the colours; a learner is found by search and given the badge; the award's page. Each page fits
the screen and passes axe's WCAG 2.2 AA checks."""

import os
from pathlib import Path

import pytest

from tests.support.badges import badge_course, create_badge
from tests.support.browser import accessibility_violations, layout_problems, open_signed_in

pytestmark = pytest.mark.browser
SHOTS = Path(os.environ.get("SCREENSHOT_DIR", "")) if os.environ.get("SCREENSHOT_DIR") else None


def _check(page, name, width):
    assert layout_problems(page) == [], name
    assert accessibility_violations(page) == [], name
    if SHOTS:
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"badges-{name}-{width}.png"), full_page=True)


@pytest.mark.parametrize("width", [375, 1280])
def test_a_teacher_edits_and_gives_a_badge_on_a_phone_and_a_desktop(app, school, browser, live_server, width):
    tenant = school["tenant"]
    course_id, _items, _quiz = badge_course(app, school)
    badge = create_badge(school["teacher"], name="Kind helper", course_id=course_id, description="Helped others learn.")
    create_badge(school["teacher"], name="Algebra finisher", course_id=course_id, criteria_strategy="course_completed")
    height = 812 if width == 375 else 800

    page = open_signed_in(browser, live_server, tenant, "teacher@example.org", "/badges", width, height)
    _check(page, "list", width)

    page.goto(f"http://{tenant.slug}.localhost:{live_server}/badges/new?course_id={course_id}")
    _check(page, "new", width)
    page.select_option("#criteria_strategy", "courses")
    page.wait_for_selector("input[name=criteria-course_ids]")
    page.select_option("#criteria_strategy", "assessment_score")
    page.wait_for_selector("#criteria-min_percent")
    page.fill("#initials", "QZ")
    page.wait_for_selector("#badge-preview text:has-text('QZ')")
    _check(page, "editor", width)

    page.goto(f"http://{tenant.slug}.localhost:{live_server}/badges/{badge['id']}")
    page.fill("#learner-search", "s1")
    page.wait_for_selector("#learner-results form")
    _check(page, "awards-search", width)
    page.fill("#learner-results input[name=reason]", "Explained fractions")
    page.get_by_role("button", name="Give").click()
    page.wait_for_selector("#award-rows td:has-text('Explained fractions')")
    _check(page, "awards", width)

    page.locator("#award-rows a:has-text('valid')").first.click()
    page.wait_for_selector("h1:has-text('Kind helper')")
    _check(page, "award", width)
    page.close()
