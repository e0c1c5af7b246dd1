"""A student in Chromium, on a phone and a desktop: finishing a course ends on its summary, and a course
they joined themselves can be left after confirming."""

import os

import pytest
from playwright.sync_api import expect

from tests.support.browser import lesson_opened, open_signed_in, published_course

pytestmark = pytest.mark.browser


def shoot(page, name):
    """Screenshots for the people who look at the pages (`SCREENSHOT_DIR`)."""
    if os.environ.get("SCREENSHOT_DIR"):
        page.screenshot(path=os.path.join(os.environ["SCREENSHOT_DIR"], f"{name}.png"), full_page=True)


@pytest.mark.parametrize("width, height", [(375, 812), (1280, 800)])
def test_a_student_finishes_a_course_then_joins_and_leaves_another(
    browser,
    live_server,
    app,
    api,
    make_tenant,
    width,
    height,
):
    tenant = make_tenant()
    items = [{"kind": "text", "title": t, "body": f"<p>{t}.</p>"} for t in ("Check the scene", "Call for help")]
    teacher, course_id, _ = published_course(app, api, tenant, "First Aid", items, "sam@example.org")
    open_id = teacher.post("/api/v1/courses", json={"title": "Study skills", "summary": "Learn well"}).get_json()[
        "data"
    ]["id"]
    teacher.post(f"/api/v1/courses/{open_id}/content", json={"kind": "text", "title": "Plan", "module_title": "One"})
    teacher.put(f"/api/v1/courses/{open_id}", json={"status": "published", "self_enrollment": True})

    page = open_signed_in(browser, live_server, tenant, "sam@example.org", f"/learn/{course_id}", width, height)
    errors = []
    page.on("console", lambda msg: msg.type == "error" and errors.append(msg.text))
    page.get_by_role("button", name="Mark complete").click()
    expect(page.get_by_text("✓ Done")).to_be_visible()  # as a learner sees it before moving on (a busy machine)
    page.locator("#next-item").click()
    lesson_opened(page, "Call for help")
    page.get_by_role("button", name="Mark complete").click()
    page.get_by_role("button", name="See your summary").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Congratulations, you completed First Aid!")
    expect(page.get_by_text("Call for help")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    shoot(page, f"finished-{width}")

    page.get_by_role("button", name="Enroll in Study skills").click()
    expect(page.locator("#lesson-title")).to_have_text("Plan")
    shoot(page, f"player-{width}")
    page.get_by_role("link", name="Leave this course").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Leave Study skills?")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    shoot(page, f"leave-{width}")
    page.get_by_role("button", name="Yes, leave this course").click()
    expect(page.get_by_text("You left Study skills.")).to_be_visible()
    expect(page.locator('header a[href="/catalog"]')).to_have_count(1)  # in the navigation (a menu on phones)
    shoot(page, f"my-learning-{width}")

    page.goto(f"http://{tenant.slug}.localhost:{live_server}/learn/{course_id}/leave")
    expect(page.get_by_text("Your teachers enrolled you in this course")).to_be_visible()
    shoot(page, f"leave-refused-{width}")
    assert errors == []
    page.close()
