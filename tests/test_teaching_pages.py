"""The teacher's pages: create a course, add and reorder items, versions, roster and enrollment."""

import re

from tests.conftest import make_user
from tests.test_auth_pages import Browser


def csrf_header(browser, path):
    page = browser.get(path).get_data(as_text=True)
    return {"HX-Request": "true", "X-CSRFToken": re.search(r"X-CSRFToken\": \"([^\"]+)\"", page).group(1)}


def item_order(html):
    return re.findall(r'data-item="([^"]+)"', html)


def test_teacher_builds_reorders_versions_and_enrolls(app, tenant, mailbox):
    make_user(app, tenant, "teacher", email="teach@example.org")
    student = make_user(app, tenant, "student", email="stu@example.org")
    assert student
    teacher = Browser(app, tenant)
    teacher.sign_in("teach@example.org")
    created = teacher.post("/teach", {"title": "Chemistry", "summary": "Atoms"}, csrf_from="/teach")
    assert created.status_code == 302
    editor_url = created.headers["Location"]

    for title in ("Atoms", "Bonds", "Reactions"):
        page = teacher.get(editor_url).get_data(as_text=True)
        module = re.search(r'<option value="(\d+)">Unit 1</option>', page)
        data = {
            "form": "item",
            "kind": "text",
            "title": title,
            "body": f"<p>{title}</p>",
            "module_id": module.group(1) if module else "0",
            "module_title": "" if module else "Unit 1",
        }
        assert teacher.post(editor_url, data, csrf_from=editor_url).status_code == 302
    assert item_order(teacher.get(editor_url).get_data(as_text=True)) == ["Atoms", "Bonds", "Reactions"]

    page = teacher.get(editor_url).get_data(as_text=True)
    move_url = re.search(r'aria-label="Move Reactions up" hx-post="([^"]+)"', page).group(1)
    fragment = teacher.client.post(move_url, headers={"Host": teacher.host, **csrf_header(teacher, editor_url)})
    assert fragment.status_code == 200 and "<html" not in fragment.get_data(as_text=True)
    assert item_order(fragment.get_data(as_text=True)) == ["Atoms", "Reactions", "Bonds"]

    item_url = re.search(r'href="(/teach/\d+/items/\d+)">Atoms</a>', page).group(1)
    saved = teacher.post(
        item_url,
        {"title": "Atoms", "body": "<p>Atoms and electrons</p>", "change_note": "More", "publish": "y"},
        csrf_from=item_url,
    )
    assert saved.status_code == 302
    history = teacher.get(f"{item_url}?from=1&to=2").get_data(as_text=True)
    assert "+&lt;p&gt;Atoms and electrons&lt;/p&gt;" in history and "(published)" in history
    teacher.post(f"{item_url}/restore/1", csrf_from=item_url)
    assert "Restored version 1" in teacher.get(item_url).get_data(as_text=True)

    teacher.post(
        editor_url,
        {"form": "course", "title": "Chemistry", "summary": "Atoms", "status": "published"},
        csrf_from=editor_url,
    )
    roster_url = f"{editor_url}/roster"
    enrolled = teacher.post(
        roster_url,
        {"class_id": "0", "emails": "stu@example.org\nnobody@example.org"},
        csrf_from=roster_url,
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "1 enrolled." in enrolled and "nobody@example.org" in enrolled and "1 enrolled</p>" in enrolled

    learner = Browser(app, tenant)
    learner.sign_in("stu@example.org")
    assert learner.get("/teach").status_code == 403
    assert "Chemistry" in learner.get("/learn").get_data(as_text=True)
