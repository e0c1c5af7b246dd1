"""The demo tenant's home page in a real Chromium, on a desktop and on a 375 px phone."""

import io
import os
import re
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.conftest import PASSWORD, make_user, spawn_worker
from tests.support.browser import lesson_opened, open_signed_in, published_course

pytestmark = pytest.mark.browser


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


def test_a_student_signs_in_on_a_phone(browser, live_server, app, make_tenant, tmp_path):
    tenant = make_tenant(name="Harbour Training College")
    make_user(app, tenant, "student", email="sam@example.org", first_name="Sam")
    page = browser.new_page(viewport={"width": 375, "height": 740})
    page.goto(f"http://{tenant.slug}.localhost:{live_server}/profile")
    assert page.url.endswith("/login?next=/profile")
    page.fill("input[name=email]", "sam@example.org")
    page.fill("input[name=password]", "not-my-password")
    page.click("button[type=submit]")
    assert "Invalid e-mail or password." in page.locator(".form-error").inner_text()
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/profile")
    assert page.locator("h1").inner_text() == "Your profile"
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    if os.environ.get("SCREENSHOT_DIR"):
        page.screenshot(path=os.path.join(os.environ["SCREENSHOT_DIR"], "profile-375.png"), full_page=True)
    page.get_by_text("Menu").click()  # on a phone the navigation is folded into a menu
    page.click("text=Sign out")
    page.wait_for_url("**/login")
    assert (
        page.locator("h1").inner_text() == "Sign in to Harbour Training College"
    )  # the display name heads the sign-in page
    page.close()


def test_api_keys_page_creates_and_revokes_with_htmx(browser, live_server, app, make_tenant):
    tenant = make_tenant()
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto(f"http://{tenant.slug}.localhost:{live_server}/login?next=/settings/api-keys")
    page.fill("input[name=email]", "admin@example.org")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/settings/api-keys")
    page.fill("input[name=name]", "Payroll sync")
    page.check("input[value=teacher]")
    page.click("text=Create key")
    assert page.locator("#new-api-key").inner_text().startswith("tsk_")
    if os.environ.get("SCREENSHOT_DIR"):
        page.screenshot(path=os.path.join(os.environ["SCREENSHOT_DIR"], "api-keys-1280.png"), full_page=True)
    revoke = page.get_by_role("button", name="Revoke")
    revoke.click()
    page.locator("td", has_text="revoked").wait_for()
    assert revoke.count() == 0
    assert page.url.endswith("/settings/api-keys")  # swapped in place by htmx, no navigation
    page.close()


def test_import_page_shows_progress_to_100_percent_and_the_summary(
    browser, live_server, app, api, make_tenant, login_as, tmp_path
):
    tenant = make_tenant()
    admin = api(tenant, login_as(tenant, "org_admin"))
    admin.post(f"/api/v1/organizations/{tenant.id}/branches", json={"code": "north", "name": "North"})
    rows = ["email,first_name,last_name,role,branch"]
    rows += [f"learner{n}@example.org,L{n},N{n},student,north" for n in range(20_000)]
    rows += ["not-an-email,Bad,Row,student,north", "zed@example.org,Zed,Z,student,atlantis"]
    csv_path = tmp_path / "people.csv"
    csv_path.write_text("\n".join(rows) + "\n")

    page = browser.new_page(viewport={"width": 375, "height": 740})
    page.goto(f"http://{tenant.slug}.localhost:{live_server}/login?next=/people/import")
    page.fill("input[name=email]", "admin@example.org")
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/people/import")
    page.set_input_files("input[name=file]", str(csv_path))
    page.check("input[value=commit]")
    page.uncheck("input[name=send_invitations]")
    page.get_by_role("button", name="Upload").click()
    page.wait_for_url("**/people/import/*")
    assert "Waiting for a worker" in page.locator(".import-state").inner_text()

    worker = spawn_worker(app, IMPORT_BATCH_SIZE=1000)
    try:
        expect(page.locator("#import-percent")).to_have_text("100 %", timeout=60_000)
    finally:
        worker.wait(timeout=60)
    assert page.locator("#import-bar").get_attribute("value") == "100"
    assert page.locator("[data-count=created]").inner_text() == "20,000"
    assert page.locator("[data-count=invalid]").inner_text() == "2"
    problems = page.locator("table tbody tr")
    assert problems.count() == 2 and "20002" in problems.first.inner_text()
    if os.environ.get("SCREENSHOT_DIR"):
        page.screenshot(path=os.path.join(os.environ["SCREENSHOT_DIR"], "import-375.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.close()


def test_a_learner_completes_a_short_course_on_a_phone(browser, live_server, app, api, make_tenant):
    tenant = make_tenant()
    steps = ["Check the scene", "Call for help", "Recovery position"]
    items = [{"kind": "text", "title": t, "body": f"<p>Step {n}: {t}.</p>"} for n, t in enumerate(steps, start=1)]
    _, course_id, _ = published_course(app, api, tenant, "First Aid", items, "sam@example.org")

    page = open_signed_in(browser, live_server, tenant, "sam@example.org", "/learn")
    errors = []
    page.on("console", lambda msg: msg.type == "error" and errors.append(msg.text))
    page.get_by_role("link", name="First Aid").click()
    lesson_opened(page, "Check the scene")

    page.get_by_role("button", name="Mark complete").click()
    expect(page.locator("#course-percent")).to_have_text("33 %")
    page.locator("#next-item").click()
    lesson_opened(page, "Call for help")

    page.goto(f"http://{tenant.slug}.localhost:{live_server}/learn/{course_id}")  # resume where I left off
    lesson_opened(page, "Call for help")
    page.get_by_role("button", name="Mark complete").click()
    expect(page.locator("#course-percent")).to_have_text("67 %")
    page.locator("#next-item").click()
    lesson_opened(page, "Recovery position")
    page.get_by_role("button", name="Mark complete").click()
    expect(page.locator(".done")).to_contain_text("course completed!")
    expect(page.locator("#course-percent")).to_have_text("100 %")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375

    page.goto(f"http://{tenant.slug}.localhost:{live_server}/learn")
    expect(page.get_by_role("heading", name="Completed")).to_be_visible()
    if os.environ.get("SCREENSHOT_DIR"):
        page.screenshot(path=os.path.join(os.environ["SCREENSHOT_DIR"], "learn-375.png"), full_page=True)
    assert errors == []
    page.close()


def test_reading_a_text_to_its_end_completes_it(browser, live_server, app, api, make_tenant):
    tenant = make_tenant()
    long_text = "".join(f"<p>Paragraph {n} of a long lesson.</p>" for n in range(120))
    items = [{"kind": "text", "title": "Chapter", "body": long_text}]
    _, course_id, _ = published_course(app, api, tenant, "Long read", items, "reader@example.org")

    page = open_signed_in(browser, live_server, tenant, "reader@example.org", f"/learn/{course_id}")
    page.wait_for_timeout(2500)
    expect(page.locator("#course-percent")).to_have_text("0 %")  # the top of a long text is not its end
    page.locator(".lesson-end").scroll_into_view_if_needed()
    expect(page.locator("#course-percent")).to_have_text("100 %", timeout=10_000)
    expect(page.locator(".done")).to_contain_text("course completed!")
    page.close()


def test_a_short_text_is_not_completed_by_merely_opening_it(browser, live_server, app, api, make_tenant):
    tenant = make_tenant()
    items = [{"kind": "text", "title": "Note", "body": "<p>One line.</p>"}]
    _, course_id, _ = published_course(app, api, tenant, "Short", items, "skimmer@example.org")

    page = open_signed_in(browser, live_server, tenant, "skimmer@example.org", f"/learn/{course_id}", 1280, 800)
    page.wait_for_timeout(3000)
    expect(page.locator("#course-percent")).to_have_text("0 %")
    expect(page.get_by_role("button", name="Mark complete")).to_be_visible()
    page.close()


def test_watching_90_percent_of_a_video_completes_it(browser, live_server, app, api, make_tenant):
    """A real WebM (10 s) played in Chromium: half of it keeps the button, the last tenth completes the lesson."""
    tenant = make_tenant()
    items = [{"kind": "video", "title": "Watch this"}, {"kind": "text", "title": "After", "body": "<p>Next.</p>"}]
    teacher, course_id, (video_id, _) = published_course(app, api, tenant, "Film", items, "viewer@example.org")
    clip = Path(app.root_path, "assets", "demo-lesson.webm").read_bytes()
    uploaded = teacher.post(
        f"/api/v1/content/{video_id}/media",
        content_type="multipart/form-data",
        data={"file": (io.BytesIO(clip), "lesson.webm")},
    )
    assert uploaded.status_code == 201

    page = open_signed_in(browser, live_server, tenant, "viewer@example.org", f"/learn/{course_id}")
    video = page.locator("video")
    expect(video).to_have_js_property("readyState", 4, timeout=10_000)
    assert round(video.evaluate("v => v.duration")) == 10
    video.evaluate("v => { v.muted = true; v.currentTime = 5; return v.play(); }")
    page.wait_for_timeout(1500)
    expect(page.locator("#course-percent")).to_have_text("0 %")  # half-way is not watched
    expect(page.get_by_role("button", name="Mark complete")).to_be_visible()
    video.evaluate("v => { v.currentTime = 8.5; return v.play(); }")
    expect(page.locator("#course-percent")).to_have_text("50 %", timeout=10_000)
    expect(page.locator(".done")).to_be_visible()
    page.close()


def test_time_on_a_lesson_is_reported_when_the_learner_moves_on(browser, live_server, app, api, make_tenant):
    tenant = make_tenant()
    items = [{"kind": "text", "title": t, "body": f"<p>{t}.</p>"} for t in ("One", "Two")]
    teacher, course_id, _ = published_course(app, api, tenant, "Timed", items, "clock@example.org")
    page = open_signed_in(browser, live_server, tenant, "clock@example.org", "/")
    # The player counts the seconds the lesson is in view on the page's clock: a clock the test moves, so that a
    # busy machine (timers firing late, a lesson loading slowly) cannot change how many it counts.
    page.clock.install()
    page.clock.pause_at(datetime.now(UTC) + timedelta(seconds=1))
    page.goto(f"http://{tenant.slug}.localhost:{live_server}/learn/{course_id}")
    expect(page.locator("#lesson-title")).to_have_text("One")
    page.clock.run_for(4000)
    page.locator("#next-item").click()
    expect(page.locator("#lesson-title")).to_have_text("Two")
    page.close()

    row = {"seconds_spent": 0}
    for _ in range(50):  # the report is a beacon the page does not wait for: it lands a moment later
        row = teacher.get(f"/api/v1/courses/{course_id}/progress").get_json()["data"][0]
        if row["seconds_spent"]:
            break
        time.sleep(0.1)
    assert row["seconds_spent"] == 4, row
    page = open_signed_in(browser, live_server, tenant, "teacher@example.org", f"/teach/{course_id}/roster")
    expect(page.locator("tbody tr").first).to_contain_text("under a minute")
    page.close()


def test_a_teacher_writes_a_lesson_in_the_rich_text_editor(browser, live_server, app, api, make_tenant):
    tenant = make_tenant()
    items = [{"kind": "text", "title": "Intro", "body": "<p>Old text.</p>"}]
    teacher, course_id, (item_id,) = published_course(app, api, tenant, "Writing", items, "reader@example.org")
    page = open_signed_in(
        browser, live_server, tenant, "teacher@example.org", f"/teach/{course_id}/items/{item_id}", 1280, 800
    )
    errors = []
    page.on("console", lambda msg: msg.type == "error" and errors.append(msg.text))
    page.reload()
    editor = page.locator("trix-editor")
    expect(editor).to_contain_text("Old text.")
    expect(page.locator("textarea[name=body]")).to_have_count(0)  # the editor took the textarea's place
    page.fill("input[name=change_note]", "Rewritten")
    editor.click()
    page.keyboard.press("Control+A")
    page.keyboard.type("Safety first. ")
    page.locator("trix-toolbar [data-trix-attribute=bold]").click()
    page.keyboard.type("Always.")
    expect(page.locator("input[name=body]")).to_have_value(re.compile(r"<strong>Always\.</strong>"))
    page.get_by_role("button", name="Save as a new version").click()
    expect(page.locator("body")).to_contain_text("Saved as a new version.")
    assert errors == []  # Trix's own <style> elements carry the page's nonce: no CSP violation
    page.close()

    body = teacher.get(f"/api/v1/content/{item_id}").get_json()["data"]["published_body"]
    assert "<strong>Always.</strong>" in body and "Safety first." in body and "Old text." not in body
