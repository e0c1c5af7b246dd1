"""The reports page in Chromium, on a phone and a desktop: a report asked for through the form shows its progress in
my reports, which updates itself (htmx polling) while a real worker makes it and stops once done; its download is
the file, and its own page says it is done. The schedules page fits the screen too. Each page passes axe's WCAG
2.2 AA checks."""

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.conftest import make_user, spawn_worker
from tests.support.browser import accessibility_violations, layout_problems, open_signed_in
from tests.support.courses import make_course

pytestmark = pytest.mark.browser
SHOTS = Path(os.environ["SCREENSHOT_DIR"]) if os.environ.get("SCREENSHOT_DIR") else None


def _check(page, name, width):
    assert layout_problems(page) == [], name
    assert accessibility_violations(page) == [], name
    if SHOTS:
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"reports-{name}-{width}.png"), full_page=True)


@pytest.mark.parametrize("width", [375, 1280])
def test_the_progress_bar_reaches_done_and_the_download_is_the_file(app, school, browser, live_server, width):
    tenant = school["tenant"]
    course_id, _items = make_course(school["teacher"], title="Algebra", items=2)
    school["teacher"].post(f"/api/v1/courses/{course_id}/enrollments", json={"user_ids": school["students"]})
    make_user(app, tenant, "org_admin", email="chief@example.org")
    page = open_signed_in(
        browser, live_server, tenant, "chief@example.org", "/reports", width, 812 if width == 375 else 800
    )
    _check(page, "index", width)

    page.select_option("#kind", "learner_transcript")  # the form follows the kind: a learner, and its formats
    expect(page.locator("#learner_email")).to_be_visible()
    expect(page.locator("#format option")).to_have_count(3)
    page.select_option("#kind", "course_completion")
    expect(page.locator("#learner_email")).to_have_count(0)
    page.select_option("#format", "xlsx")
    page.get_by_role("button", name="Make the report").click()
    row = page.locator("#report-list ~ .table-wrap tbody tr").first
    expect(row).to_have_attribute("data-status", "queued")
    assert row.get_attribute("hx-trigger") == "every 1s" and row.locator("progress").count() == 1

    worker = spawn_worker(app)  # a forking RQ worker process, as in production
    try:
        expect(row).to_have_attribute("data-status", "done", timeout=60_000)  # the row asked for itself again
    finally:
        worker.wait(timeout=60)
    assert row.get_attribute("hx-get") is None  # polling stopped
    _check(page, "done", width)
    with page.expect_download() as download:
        row.get_by_role("link", name="Download").click()
    assert download.value.suggested_filename.endswith(".xlsx")
    assert Path(download.value.path()).read_bytes()[:2] == b"PK"  # an XLSX is a ZIP

    row.get_by_role("link", name="Course completion").click()  # the report's own page, as mails link to it
    expect(page.locator("#report-percent")).to_have_text("100 %")
    assert page.locator("#report-bar").get_attribute("value") == "100"
    assert "3 rows" in page.locator("#report-state").inner_text()
    assert page.locator("#report-progress").get_attribute("hx-get") is None
    _check(page, "report", width)

    page.goto(f"http://{tenant.slug}.localhost:{live_server}/reports/schedules")
    page.select_option("#cadence", "monthly")
    expect(page.locator("#month_day")).to_be_visible()
    page.fill("#picker_q", "teacher")
    expect(page.locator("#people-picker-results")).to_contain_text("teacher@example.org")
    _check(page, "schedules", width)
    page.close()
