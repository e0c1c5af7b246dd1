"""The teacher's pages in a real Chromium at 1280 x 800 and 375 x 812: the editor's columns and the
rich-text toolbar fit, the outline's tools work with htmx, adding a lesson keeps its formatting, and the
roster, a learner's detail and a compare of versions have no horizontal overflow."""

import os

import pytest

from tests.conftest import make_user, user_token
from tests.support.browser import browser, live_server, open_signed_in  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser
WIDE, PHONE = (1280, 800), (375, 812)


def _course(app, api, tenant):
    teacher_id = make_user(app, tenant, "teacher", email="teach@example.org", first_name="Tess")
    with app.app_context():
        teacher = api(tenant, user_token(app, tenant, teacher_id, "teacher"))
    course_id = teacher.post("/api/v1/courses", json={"title": "Introduction to chemistry"}).get_json()["data"]["id"]
    ids = {}
    for title, module in (
        ("What is matter? A long lesson title that has to wrap on a phone", "Week 1: atoms and molecules"),
        ("Atoms", "Week 1: atoms and molecules"),
        ("Bonds", "Week 2"),
    ):
        outline = teacher.get(f"/api/v1/courses/{course_id}/content").get_json()["data"]
        existing = next((m["id"] for m in outline if m["title"] == module), None)
        where = {"module_id": existing} if existing else {"module_title": module}
        ids[title] = teacher.post(
            f"/api/v1/courses/{course_id}/content",
            json={"kind": "text", "title": title, "body": f"<p>{title} are small.</p>", **where},
        ).get_json()["data"]["id"]
    teacher.put(f"/api/v1/content/{ids['Atoms']}", json={"body": "<p>Atoms are tiny, with electrons.</p>"})
    teacher.put(f"/api/v1/content/{ids['Atoms']}", json={"body": "<p>Draft</p>", "publish": False})
    teacher.put(f"/api/v1/courses/{course_id}", json={"status": "published"})
    learners = [
        make_user(app, tenant, "student", email=f"learner{n}@example.org", first_name="Learner", last_name=str(n))
        for n in range(3)
    ]
    teacher.post(f"/api/v1/courses/{course_id}/enrollments", json={"user_ids": learners})
    return teacher, course_id, ids, learners


def _fits(page, width, name):
    if os.environ.get("SCREENSHOT_DIR"):
        page.screenshot(path=os.path.join(os.environ["SCREENSHOT_DIR"], f"{name}-{width}.png"), full_page=True)
    outside = page.evaluate(
        """() => [...document.querySelectorAll('body *')].filter((el) => {
               const box = el.getBoundingClientRect();
               return box.width > 0 && box.right > window.innerWidth + 1 && getComputedStyle(el).visibility !== 'hidden'
                      && !(el.parentElement && el.parentElement.closest('.table-wrap'));
             }).map((el) => el.tagName + '.' + el.className + ' ' + Math.round(el.getBoundingClientRect().right))
               .slice(0, 5)"""
    )
    assert outside == [], f"{name} at {width}: {outside}"
    overflow = page.evaluate("document.documentElement.scrollWidth")
    assert overflow <= width, f"{name} is {overflow} px wide at {width} px"


@pytest.mark.parametrize("width, height", [WIDE, PHONE])
def test_the_teachers_pages_fit_and_the_editor_has_two_columns_only_when_wide(
    browser,  # noqa: F811
    live_server,  # noqa: F811
    app,
    api,
    make_tenant,
    width,
    height,
):
    tenant = make_tenant()
    _, course_id, ids, learners = _course(app, api, tenant)
    page = open_signed_in(browser, live_server, tenant, "teach@example.org", f"/teach/{course_id}", width, height)
    page.wait_for_selector("trix-toolbar")
    page.locator("#outline-editor details.row-tools summary").first.click()
    main, side = page.locator(".editor-main").bounding_box(), page.locator(".editor-side").bounding_box()
    if width == WIDE[0]:
        assert side["x"] > main["x"] + main["width"] - 1 and abs(side["y"] - main["y"]) < 2  # side by side
    else:
        assert side["y"] >= main["y"] + main["height"] - 1  # stacked
    for toolbar in page.locator("trix-toolbar").all():
        box, column = toolbar.bounding_box(), toolbar.locator("xpath=ancestor::article").bounding_box()
        assert box["x"] + box["width"] <= column["x"] + column["width"] + 1, "the toolbar overflows its column"
    _fits(page, width, "editor")
    for path, name in (
        (f"/teach/{course_id}/items/{ids['Atoms']}?from=1&to=2#compare", "compare"),
        (f"/teach/{course_id}/roster", "roster"),
        (f"/teach/{course_id}/roster/{learners[0]}", "learner"),
        (f"/teach/{course_id}/items/{ids['Bonds']}/delete", "delete-item"),
        (f"/teach/{course_id}/roster/{learners[1]}/unenroll", "unenroll"),
    ):
        page.goto(f"http://{tenant.slug}.localhost:{live_server}{path}")
        _fits(page, width, name)
    page.close()


def test_a_teacher_adds_formatted_text_and_a_link_and_renames_with_htmx(
    browser,  # noqa: F811
    live_server,  # noqa: F811
    app,
    api,
    make_tenant,
):
    tenant = make_tenant()
    teacher, course_id, _, _ = _course(app, api, tenant)
    page = open_signed_in(browser, live_server, tenant, "teach@example.org", f"/teach/{course_id}", *WIDE)
    form = page.locator("#add-item form")
    form.locator("select[name=module_id]").select_option(label="Week 2")
    form.locator("input[name=title]").fill("Formatted")
    editor = form.locator("trix-editor")
    editor.click()
    page.keyboard.type("Plain and ")
    form.locator("trix-toolbar button[data-trix-attribute=bold]").click()
    page.keyboard.type("bold")
    form.get_by_role("button", name="Add").click()
    page.wait_for_selector("text=Item added.")
    outline = teacher.get(f"/api/v1/courses/{course_id}/content").get_json()["data"]
    added = next(i["id"] for m in outline for i in m["items"] if i["title"] == "Formatted")
    body = teacher.get(f"/api/v1/content/{added}").get_json()["data"]["published_body"]
    assert "<strong>bold</strong>" in body and "Plain and" in body

    form = page.locator("#add-item form")
    form.locator("select[name=kind]").select_option("link")
    assert not form.locator("trix-editor").is_visible() and form.locator("#item-url").is_visible()
    form.locator("select[name=module_id]").select_option(label="Week 2")
    form.locator("input[name=title]").fill("Periodic table")
    form.locator("#item-url").fill("https://example.org/periodic")
    form.get_by_role("button", name="Add").click()
    page.wait_for_selector("text=Item added.")
    outline = teacher.get(f"/api/v1/courses/{course_id}/content").get_json()["data"]
    link = next(i["id"] for m in outline for i in m["items"] if i["title"] == "Periodic table")
    assert teacher.get(f"/api/v1/content/{link}").get_json()["data"]["published_body"] == "https://example.org/periodic"

    row = page.locator("li.item-row", has_text="Bonds")
    row.locator("summary").click()
    row.get_by_label("Rename").fill("Chemical bonds")
    row.get_by_role("button", name="Rename").click()
    page.wait_for_selector('li.item-row[data-item="Chemical bonds"]')
    assert page.url.endswith(f"/teach/{course_id}")  # swapped in place by htmx
    page.close()
