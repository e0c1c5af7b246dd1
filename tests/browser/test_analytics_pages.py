"""The analytics pages in a real Chromium at 1280 x 800 and 375 x 812: a branch manager filters the dashboard
and follows a tile to the learners behind it (their branch's only), the engagement chart's table adds up to the
API's overview, and each page fits the width and passes axe for an org admin, a teacher and a student.

`SCREENSHOT_DIR=...` keeps a full-page PNG of each page at each width."""

import os
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.support.analytics import signed_in
from tests.support.browser import accessibility_violations, browser, layout_problems, live_server, open_signed_in  # noqa: F401
from tests.support.dashboards import crowded_organization, district_learning

pytestmark = pytest.mark.browser
WIDE, PHONE = (1280, 800), (375, 812)


@pytest.fixture
def picture(app, api, tenant, district):
    return district_learning(app, api, tenant, district)


def _shot(page, name, width):
    if os.environ.get("SCREENSHOT_DIR"):
        page.screenshot(
            path=os.path.join(os.environ["SCREENSHOT_DIR"], f"analytics-{name}-{width}.png"), full_page=True
        )


def _column_total(page, table_id, column):
    """The sum of a column of a chart's figures table (cells keep the raw figure in data-value)."""
    values = page.eval_on_selector_all(
        f"#{table_id} tbody tr td:nth-child({column})", "cells => cells.map(c => c.dataset.value)"
    )
    return sum(int(value or 0) for value in values)


def test_a_branch_manager_filters_and_follows_a_tile_to_their_learners(browser, live_server, tenant, picture):  # noqa: F811
    page = open_signed_in(browser, live_server, tenant, "boss@example.org", "/analytics", *WIDE)
    assert page.locator("h1").inner_text() == "Analytics"
    # the filter form offers the manager's branch and class only
    assert page.locator("#filter-branch_id option").all_inner_texts() == ["Every branch", "North"]
    assert "south 7" not in page.locator("#filter-class_id").inner_text()
    # the engagement chart's table holds the overview's sums (the API, as this manager)
    overview = picture.manager.get("/api/v1/analytics/overview").get_json()["data"]
    assert _column_total(page, "engagement-table", 7) == overview["seconds_spent"] == 120
    assert _column_total(page, "engagement-table", 6) == overview["items_completed"] == 1
    assert _column_total(page, "engagement-table", 4) == overview["enrollments"]
    assert page.locator("[data-figure=learners] .tile-value").inner_text() == str(overview["learners"]) == "2"
    assert page.locator("svg[role=img]").first.get_attribute("aria-labelledby") == "active-chart-title"

    page.select_option("#filter-course_id", label="Safety for everyone")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url("**course_id=*")
    query = parse_qs(urlsplit(page.url).query)
    assert query["course_id"] == [str(picture.courses["everyone"])]
    assert page.locator("#filter-course_id option:checked").inner_text() == "Safety for everyone"
    filtered = picture.manager.get(f"/api/v1/analytics/overview?course_id={picture.courses['everyone']}").get_json()
    assert page.locator("[data-figure=seconds_spent] .tile-value").inner_text() == "2 min"
    assert filtered["data"]["seconds_spent"] == 120

    page.locator("[data-figure=learners] a").click()
    page.wait_for_url("**/analytics/learners?*")
    assert parse_qs(urlsplit(page.url).query)["figure"] == ["all"]
    assert page.locator("h1").inner_text() == "All learners"
    emails = page.locator(".learner-table tbody th small").all_inner_texts()
    assert sorted(emails) == ["nia@example.org", "north@example.org"]
    page.get_by_role("link", name="Time spent").click()  # sort by time, most first
    page.wait_for_url("**sort=-seconds*")
    assert page.locator(".learner-table tbody th small").all_inner_texts() == ["north@example.org", "nia@example.org"]
    page.close()


PAGES = {  # who -> the pages they see
    "admin@example.org": ["/analytics", "/analytics/learners?figure=all", "/analytics/courses/{everyone}"],
    "teach@example.org": ["/analytics", "/analytics/courses/{everyone}"],
    "north@example.org": ["/learn/progress"],
}


@pytest.mark.parametrize("width, height", [WIDE, PHONE])
def test_the_analytics_pages_fit_and_pass_axe(browser, live_server, tenant, picture, width, height):  # noqa: F811
    problems = []
    for email, paths in PAGES.items():
        page = None
        for pattern in paths:
            path = pattern.format(everyone=picture.courses["everyone"])
            if page is None:
                page = open_signed_in(browser, live_server, tenant, email, path, width, height)
            else:
                page.goto(f"http://{tenant.slug}.localhost:{live_server}{path}")
            if path == "/analytics":  # its slower panels come in requests of their own, once it is there
                page.wait_for_selector("#risk-heading")
                page.wait_for_selector("#performance-panel", state="detached")
                page.wait_for_selector("#quizzes-panel", state="detached")
            name = f"{email.split('@')[0]}-{path.strip('/').replace('/', '-').split('?')[0]}"
            _shot(page, name, width)
            problems += [f"{name} at {width}: {problem}" for problem in layout_problems(page)]
            problems += [f"{name} at {width}: axe {v}" for v in accessibility_violations(page)]
            assert page.locator("svg[role=img] title").count() == page.locator("svg[role=img]").count()
        page.close()
    assert problems == []


@pytest.mark.parametrize("width, height", [WIDE, PHONE])
def test_many_rows_draw_a_dozen_bars_and_lead_to_the_table(browser, live_server, app, api, tenant, width, height):  # noqa: F811
    """16 courses and 16 classes: each chart draws the 12 lowest and says so, its caption's link opens the table
    of every row (even inside its closed "Show the figures"), and the pages still fit and pass axe."""
    crowd = crowded_organization(app, tenant)
    page = open_signed_in(browser, live_server, tenant, "admin@example.org", "/analytics", width, height)
    page.wait_for_selector("#performance-panel", state="detached")
    assert page.locator("svg[aria-labelledby=course-chart-title] .bar-row").count() == 12
    assert page.locator("svg[aria-labelledby=classes-chart-title] .bar-row").count() == 12
    caption = page.locator("#course-chart-subset")
    assert caption.is_visible() and "The 12 courses with the lowest completion rate, of 16." in caption.inner_text()
    assert page.locator("#course-table tbody tr").count() == 16
    problems = layout_problems(page) + [f"axe {v}" for v in accessibility_violations(page)]
    _shot(page, "crowded-dashboard", width)

    admin = signed_in(api, tenant, "admin@example.org")
    classes = {c: admin.get(f"/api/v1/courses/{c}/analytics").get_json()["data"]["classes"] for c in crowd.course_ids}
    course_id = max(classes, key=lambda c: len(classes[c]))
    page.goto(f"http://{tenant.slug}.localhost:{live_server}/analytics/courses/{course_id}")
    assert page.locator("svg[aria-labelledby=class-chart-title] .bar-row").count() == 12
    assert not page.locator("#classes-table").is_visible()  # in its closed disclosure
    page.get_by_role("link", name="Every class is in the table below.").click()
    page.wait_for_url("**#classes-table")
    assert page.locator("#classes-table").is_visible()
    assert page.locator("#classes-table tbody tr").count() == len(classes[course_id]) > 12
    problems += layout_problems(page) + [f"axe {v}" for v in accessibility_violations(page)]
    _shot(page, "crowded-course", width)
    page.close()
    assert problems == []
