"""Versions on the teacher's pages: a rendered, word-level compare of any two versions, and a "draft"
marker wherever the newest version is not the one learners see."""

import re

from tests.support.courses import teacher_with_course as _teacher


def _save(teacher, item_url, body, note, publish=True):
    data = {"title": "Lesson 1", "body": body, "change_note": note, **({"publish": "y"} if publish else {})}
    assert teacher.post(item_url, data, csrf_from=item_url).status_code == 302


def test_any_two_versions_compare_word_by_word_rendered(app, tenant, api):
    teacher_api, teacher, course_id, ids = _teacher(app, api, tenant)
    item_url = f"/teach/{course_id}/items/{ids['Lesson 1']}"
    _save(teacher, item_url, "<p>Atoms are <strong>small</strong> things.</p>", "Second")
    _save(teacher, item_url, "<p>Atoms are <strong>tiny</strong> things.</p><p>Electrons circle them.</p>", "Third")

    page = teacher.get(item_url).get_data(as_text=True)
    picker = page[page.index('id="compare-from"') : page.index("</form>", page.index('id="compare-from"'))]
    assert re.findall(r'<option value="(\d)"( selected)?', picker) == [
        ("3", ""),
        ("2", " selected"),
        ("1", ""),
        ("3", " selected"),
        ("2", ""),
        ("1", ""),
    ]  # from the one before the newest, to the newest

    one_to_three = teacher.get(f"{item_url}?from=1&to=3").get_data(as_text=True)
    shown = re.search(r'<article class="word-diff lesson-body" id="version-diff">(.*?)</article>', one_to_three, re.S)
    assert shown.group(1) == (
        "<p><del>Lesson</del><ins>Atoms</ins> <del>1</del><ins>are </ins><strong><ins>tiny</ins></strong>"
        "<ins> things.</ins></p><p><ins>Electrons circle them.</ins></p>"
    )
    two_to_three = teacher.get(f"{item_url}?from=2&to=3").get_data(as_text=True)
    assert "<strong><del>small</del><ins>tiny</ins></strong> things.</p><p><ins>Electrons circle them.</ins></p>" in (
        two_to_three
    )
    backwards = teacher.get(f"{item_url}?from=3&to=2").get_data(as_text=True)
    assert "<del>Electrons circle them.</del>" in backwards and "Version 3 → version 2" in backwards
    assert 'id="version-diff">No difference.' in teacher.get(f"{item_url}?from=2&to=2").get_data(as_text=True)

    api_compare = teacher_api.get(f"/api/v1/content/{ids['Lesson 1']}/diff?from=2&to=3").get_json()["data"]
    assert "<del>small</del><ins>tiny</ins>" in api_compare["html"] and api_compare["diff"].startswith("--- version 2")


def test_a_compare_shows_no_markup_it_was_not_allowed_to_keep(app, tenant, api):
    teacher_api, teacher, course_id, _ = _teacher(app, api, tenant)
    link = teacher_api.post(
        f"/api/v1/courses/{course_id}/content",
        json={"kind": "link", "title": "Site", "module_title": "Links", "body": "https://example.org/a?x=1&y=<b>"},
    ).get_json()["data"]["id"]
    teacher_api.put(f"/api/v1/content/{link}", json={"body": "https://example.org/b?x=1&y=<b>"})
    page = teacher.get(f"/teach/{course_id}/items/{link}?from=1&to=2").get_data(as_text=True)
    diff = re.search(r'id="version-diff">(.*?)</article>', page, re.S).group(1)
    assert (
        diff
        == "<del>https://example.org/a?x=1&amp;y=&lt;b&gt;</del><ins>https://example.org/b?x=1&amp;y=&lt;b&gt;</ins>"
    )


def test_an_unpublished_newest_version_is_marked_draft_in_the_outline_and_on_the_item(app, tenant, api):
    teacher_api, teacher, course_id, ids = _teacher(app, api, tenant)
    item_url = f"/teach/{course_id}/items/{ids['Lesson 1']}"
    editor = f"/teach/{course_id}"
    assert "draft-marker" not in teacher.get(editor).get_data(as_text=True)
    _save(teacher, item_url, "<p>Not ready yet</p>", "Work in progress", publish=False)

    outline = teacher.get(editor).get_data(as_text=True)
    row = outline[outline.index('data-item="Lesson 1"') : outline.index('data-item="Lesson 2"')]
    assert "v1</small>" in row and '<mark class="draft-marker"' in row and "draft v2</mark>" in row
    item_page = teacher.get(item_url).get_data(as_text=True)
    assert "Version 2 is not published:\n  learners see version 1." in item_page
    assert re.search(r"<td>2 <mark class=\"draft-marker\">draft</mark></td>", item_page)
    assert (
        teacher_api.get(f"/api/v1/content/{ids['Lesson 1']}").get_json()["data"]["published_body"] == "<p>Lesson 1</p>"
    )

    _save(teacher, item_url, "<p>Ready</p>", "Done")
    assert "draft-marker" not in teacher.get(editor).get_data(as_text=True)
    assert 'id="draft-notice"' not in teacher.get(item_url).get_data(as_text=True)
