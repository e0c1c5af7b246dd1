"""The course page shows and changes what was API-only: due days, prerequisites, self-enrollment, branches
(widening a course to the whole organization stays an org admin's decision)."""

import re

from tests.support.browser import Browser


def _signed_in(app, tenant, email):
    browser = Browser(app, tenant)
    browser.sign_in(email)
    return browser


def _checked(page, name):
    return sorted(int(v) for v in re.findall(rf'name="{name}" value="(\d+)" checked', page))


def test_teacher_sets_due_days_prerequisites_and_self_enrollment_on_the_course_page(app, tenant, district):
    courses, teacher_api = district["courses"], district["teacher"]
    teacher = _signed_in(app, tenant, "teach@example.org")
    editor = f"/teach/{courses['north']}"
    page = teacher.get(editor).get_data(as_text=True)
    assert 'name="due_days"' in page and "Safety for everyone" in page
    assert "North<br><small>Branch managers and org admins change this." in page  # a teacher sees, not edits

    saved = teacher.post(
        f"{editor}/settings",
        {"due_days": "14", "self_enrollment": "y", "prerequisite_ids": [str(courses["everyone"])]},
        csrf_from=editor,
        follow_redirects=True,
    )
    assert "Settings saved." in saved.get_data(as_text=True)
    course = teacher_api.get(f"/api/v1/courses/{courses['north']}").get_json()["data"]
    assert (course["due_days"], course["self_enrollment"], course["prerequisite_ids"]) == (
        14,
        True,
        [courses["everyone"]],
    )
    page = teacher.get(editor).get_data(as_text=True)
    assert _checked(page, "prerequisite_ids") == [courses["everyone"]] and 'value="14"' in page

    cleared = teacher.post(f"{editor}/settings", {"due_days": ""}, csrf_from=editor)
    assert cleared.status_code == 302
    course = teacher_api.get(f"/api/v1/courses/{courses['north']}").get_json()["data"]
    assert (course["due_days"], course["self_enrollment"], course["prerequisite_ids"]) == (None, False, [])
    assert course["branch_ids"] != []  # a teacher's save leaves the branches alone


def test_bad_settings_are_refused_next_to_their_field_and_change_nothing(app, tenant, district):
    courses, admin = district["courses"], district["admin"]
    hidden = admin.post("/api/v1/courses", json={"title": "Not yours"}).get_json()["data"]["id"]
    teacher = _signed_in(app, tenant, "teach@example.org")
    editor = f"/teach/{courses['north']}"
    zero = teacher.post(f"{editor}/settings", {"due_days": "0"}, csrf_from=editor)
    assert zero.status_code == 422 and 'id="due_days-errors"' in zero.get_data(as_text=True)
    unseen = teacher.post(f"{editor}/settings", {"prerequisite_ids": [str(hidden)]}, csrf_from=editor)
    assert unseen.status_code == 422 and "Not yours" not in unseen.get_data(as_text=True)
    course = district["teacher"].get(f"/api/v1/courses/{courses['north']}").get_json()["data"]
    assert course["prerequisite_ids"] == [] and course["due_days"] is None


def test_only_an_org_admin_opens_a_course_to_the_whole_organization_from_the_page(app, tenant, district):
    courses, teacher_api = district["courses"], district["teacher"]
    north = teacher_api.get(f"/api/v1/courses/{courses['north']}").get_json()["data"]["branch_ids"]
    boss = _signed_in(app, tenant, "boss@example.org")
    editor = f"/teach/{courses['north']}"
    page = boss.get(editor).get_data(as_text=True)
    assert _checked(page, "branch_ids") == north and "South" not in page  # only their own branches on offer

    widened = boss.post(
        f"{editor}/settings", {"due_days": "7", "branch_choice": "1"}, csrf_from=editor
    )  # no branch ticked
    text = widened.get_data(as_text=True)
    assert widened.status_code == 422 and "Choose at least one of your branches." in text
    course = teacher_api.get(f"/api/v1/courses/{courses['north']}").get_json()["data"]
    assert course["branch_ids"] == north and course["due_days"] is None  # nothing half-written

    admin = _signed_in(app, tenant, "admin@example.org")
    opened = admin.post(f"{editor}/settings", {"branch_choice": "1"}, csrf_from=editor)
    assert opened.status_code == 302
    assert teacher_api.get(f"/api/v1/courses/{courses['north']}").get_json()["data"]["branch_ids"] == []


def test_adding_an_item_uses_the_rich_text_editor_and_keeps_formatting_not_scripts(app, tenant, district):
    courses, teacher_api = district["courses"], district["teacher"]
    teacher = _signed_in(app, tenant, "teach@example.org")
    editor = f"/teach/{courses['everyone']}"
    page = teacher.get(editor).get_data(as_text=True)
    add_form = page[page.index('id="add-item"') :]
    assert re.search(r'<textarea[^>]*data-rich-text[^>]*name="body"', add_form)
    assert "trix.umd.min.js" in page and 'type="url" id="item-url" name="body"' in add_form
    module = re.search(r'<option value="([1-9]\d*)"', add_form[add_form.index('name="module_id"') :]).group(1)
    added = teacher.post(
        editor,
        {
            "form": "item",
            "kind": "text",
            "title": "Formatted",
            "module_id": module,
            "body": "<div><strong>Bold</strong> and <em>more</em><script>alert(1)</script></div>",
        },
        csrf_from=editor,
    )
    assert added.status_code == 302
    outline = teacher_api.get(f"/api/v1/courses/{courses['everyone']}/content").get_json()["data"]
    item_id = next(i["id"] for m in outline for i in m["items"] if i["title"] == "Formatted")
    body = teacher_api.get(f"/api/v1/content/{item_id}").get_json()["data"]["published_body"]
    assert body == "<div><strong>Bold</strong> and <em>more</em></div>"
