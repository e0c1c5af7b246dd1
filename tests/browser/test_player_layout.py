"""The course player on a phone and a desktop (issue 10, "Broken" item 1).

The outline is a vertical list: beside the lesson at 1280 px, after it (folded in a disclosure) at 375 px,
where the video and "Next" are on the first screen. Its ✓ appears as soon as a lesson is completed."""

import io
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.support.browser import layout_problems, open_signed_in, published_course

pytestmark = pytest.mark.browser
LESSONS = ["Watch first", "Check the scene", "Call for help", "Recovery position", "Breathing", "Handover"]


@pytest.fixture
def first_aid(app, api, make_tenant):
    """A published course: a 10 s video, then five text lessons, and an enrolled learner."""
    tenant = make_tenant()
    items = [{"kind": "video", "title": LESSONS[0]}]
    items += [{"kind": "text", "title": t, "body": f"<p>{t}.</p>"} for t in LESSONS[1:]]
    teacher, course_id, item_ids = published_course(app, api, tenant, "First Aid", items, "sam@example.org")
    clip = Path(app.root_path, "assets", "demo-lesson.webm").read_bytes()
    uploaded = teacher.post(
        f"/api/v1/content/{item_ids[0]}/media",
        content_type="multipart/form-data",
        data={"file": (io.BytesIO(clip), "lesson.webm")},
    )
    assert uploaded.status_code == 201
    return tenant, course_id, item_ids


def box(page, selector):
    return page.locator(selector).bounding_box()


def test_on_a_phone_the_lesson_fits_and_the_outline_ticks_without_a_reload(browser, live_server, first_aid):
    tenant, course_id, item_ids = first_aid
    page = open_signed_in(browser, live_server, tenant, "sam@example.org", f"/learn/{course_id}", 375, 812)
    assert layout_problems(page) == []
    for selector in ("video", "#next-item"):  # the lesson and the way on, on the first screen
        where = box(page, selector)
        assert where["x"] >= 0 and where["x"] + where["width"] <= 375, (selector, where)
        assert where["y"] + where["height"] <= 812, (selector, where)
    # The outline comes after the lesson, one lesson under the other, and folds away.
    outline = page.locator("details.outline")
    assert box(page, "details.outline")["y"] > box(page, "article.lesson")["y"]
    tops = [item.bounding_box()["y"] for item in page.locator(".outline li").all()]
    assert len(tops) == len(LESSONS) and tops == sorted(tops) and len(set(tops)) == len(tops)
    page.locator("details.outline > summary").click()
    expect(page.locator(".outline li").first).to_be_hidden()
    page.locator("details.outline > summary").click()
    expect(outline.get_by_role("link", name=LESSONS[1])).to_be_visible()

    outline.get_by_role("link", name=LESSONS[1]).click()
    page.wait_for_url(f"**/learn/{course_id}/{item_ids[1]}")
    expect(page.locator("#lesson-title")).to_have_text(LESSONS[1])  # that lesson has loaded (a busy machine)
    page.wait_for_load_state()
    page.evaluate("window.notReloaded = true")
    tick = page.locator(f"#outline-done-{item_ids[1]}")
    expect(tick).to_have_text("")
    page.get_by_role("button", name="Mark complete").click()
    expect(tick).to_contain_text("✓")  # swapped in with the answer, not after a reload
    expect(page.locator("#course-percent")).not_to_have_text("0 %")
    assert page.evaluate("window.notReloaded") is True
    assert layout_problems(page) == []
    page.close()


def test_on_a_desktop_the_outline_is_a_column_beside_the_lesson(browser, live_server, first_aid):
    tenant, course_id, _ = first_aid
    page = open_signed_in(browser, live_server, tenant, "sam@example.org", f"/learn/{course_id}", 1280, 800)
    assert layout_problems(page) == []
    outline, lesson = box(page, "details.outline"), box(page, "article.lesson")
    assert outline["x"] + outline["width"] <= lesson["x"]  # beside, not on top of, the lesson
    assert abs(outline["y"] - lesson["y"]) < 5
    items = page.locator(".outline li").all()
    assert len(items) == len(LESSONS)
    for item in items:  # every lesson visible, one under the other, inside the column
        where = item.bounding_box()
        assert item.is_visible() and where["x"] >= outline["x"] and where["x"] + where["width"] <= lesson["x"]
    tops = [item.bounding_box()["y"] for item in items]
    assert tops == sorted(tops) and len(set(tops)) == len(tops)
    page.close()
