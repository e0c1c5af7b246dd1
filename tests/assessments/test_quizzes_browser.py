"""The quiz builder in Chromium, on a phone and a desktop: search the banks, add with htmx, reorder, publish; the
pages fit the screen and pass axe's WCAG 2.2 AA checks."""

import os
from pathlib import Path

import pytest

from tests.support.browser import (  # noqa: F401 (fixtures)
    accessibility_violations,
    browser,
    layout_problems,
    live_server,
    open_signed_in,
)
from tests.support.quizzes import make_classroom, make_question

pytestmark = pytest.mark.browser
SHOTS = Path(os.environ.get("SCREENSHOT_DIR", "")) if os.environ.get("SCREENSHOT_DIR") else None


def _check(page, name, width):
    assert layout_problems(page) == [], name
    assert accessibility_violations(page) == [], name
    if SHOTS:
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"quiz-{name}-{width}.png"), full_page=True)


@pytest.mark.parametrize("width", [375, 1280])
def test_a_teacher_builds_a_quiz_with_the_picker_on_a_phone_and_a_desktop(
    app,
    api,
    tenant,
    browser,  # noqa: F811
    live_server,  # noqa: F811
    width,
):
    room = make_classroom(app, api, tenant)
    make_question(app, tenant, room.course_id, "Speed of light in a vacuum", tags=("optics",))
    make_question(app, tenant, None, "Thin lens formula (shared by the organization)", tags=("optics",))
    make_question(app, tenant, room.course_id, "Refraction at a boundary", tags=("optics",))
    quiz = room.teacher.post(
        "/api/v1/assessments",
        json={"course_id": room.course_id, "title": "Light and lenses", "module_id": room.module_id},
    ).get_json()["data"]
    path = f"/courses/{room.course_id}/quizzes/{quiz['id']}"
    page = open_signed_in(browser, live_server, tenant, "quizmaster@example.org", path, width=width, height=800)

    page.fill("#picker-q", "light")
    page.wait_for_selector("#question-picker .picker-row")
    page.get_by_role("button", name="Add Speed of light in a vacuum").click()
    page.wait_for_selector('[data-slot="Speed of light in a vacuum"]')
    # the picker's results come back without the question added
    page.wait_for_selector("#question-picker >> text=No question of the banks matches “light”")
    page.fill("#picker-q", "lens")
    page.get_by_role("button", name="Add Thin lens formula (shared by the organization)").click()
    page.wait_for_selector('[data-slot="Thin lens formula (shared by the organization)"]')
    page.get_by_text("Add a random draw by tag").click()
    page.select_option("#draw-tag", "optics")
    page.get_by_role("button", name="Add the draw").click()
    page.wait_for_selector('[data-slot="Random: 1 tagged “optics”"]')
    page.get_by_role("button", name="Move Random: 1 tagged “optics” up").click()
    page.wait_for_selector('.slot-row:nth-child(2)[data-slot^="Random"]')  # swapped by htmx, no reload
    _check(page, "builder", width)

    page.check("#published")
    page.get_by_role("button", name="Save settings").click()
    page.wait_for_selector(".flash")
    assert "The quiz is published." in page.inner_text(".flash")
    page.goto(f"http://{tenant.slug}.localhost:{live_server}/courses/{room.course_id}/quizzes")
    assert "published" in page.inner_text("#quiz-list")
    _check(page, "index", width)
    page.close()
