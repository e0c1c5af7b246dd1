"""The teacher changes a course's outline on the course page and through the API: rename, move to another
module, delete after a question that says what learners lose."""

import re

from tests.conftest import make_user, user_token
from tests.support.courses import csrf_header, item_order, teacher_with_course


def _outline(teacher_api, course_id):
    return {
        m["title"]: [i["title"] for i in m["items"]]
        for m in teacher_api.get(f"/api/v1/courses/{course_id}/content").get_json()["data"]
    }


def test_teacher_renames_and_moves_items_and_modules_from_the_outline(app, tenant, api):
    teacher_api, teacher, course_id, ids = teacher_with_course(app, api, tenant)
    editor = f"/teach/{course_id}"
    headers = csrf_header(teacher, editor)

    renamed = teacher.client.post(
        f"{editor}/items/{ids['Lesson 2']}/rename",
        data={"title": "Fractions"},
        headers={"Host": teacher.host, **headers},
    )
    assert renamed.status_code == 200 and "<html" not in renamed.get_data(as_text=True)
    assert item_order(renamed.get_data(as_text=True)) == ["Lesson 1", "Fractions", "Lesson 3", "Quiz"]

    moved = teacher.client.post(
        f"{editor}/items/{ids['Lesson 3']}/module",
        data={"module_id": str(ids["Week 2"])},
        headers={"Host": teacher.host, **headers},
    )
    assert moved.status_code == 200
    assert _outline(teacher_api, course_id) == {"Week 1": ["Lesson 1", "Fractions"], "Week 2": ["Quiz", "Lesson 3"]}

    teacher.client.post(
        f"{editor}/modules/{ids['Week 2']}/rename",
        data={"title": "Practice"},
        headers={"Host": teacher.host, **headers},
    )
    assert list(_outline(teacher_api, course_id)) == ["Week 1", "Practice"]

    # The same without JavaScript: a plain form post comes back to the editor.
    plain = teacher.post(f"{editor}/items/{ids['Quiz']}/rename", {"title": "Final quiz"}, csrf_from=editor)
    assert plain.status_code == 302 and plain.headers["Location"] == editor
    assert _outline(teacher_api, course_id)["Practice"] == ["Final quiz", "Lesson 3"]

    # A rename keeps the content's versions: no new version is written.
    versions = teacher_api.get(f"/api/v1/content/{ids['Lesson 2']}/versions").get_json()["data"]
    assert [v["number"] for v in versions] == [1]


def test_a_refused_outline_change_is_shown_at_its_row_and_changes_nothing(app, tenant, api):
    teacher_api, teacher, course_id, ids = teacher_with_course(app, api, tenant)
    other_id = teacher_api.post("/api/v1/courses", json={"title": "Other"}).get_json()["data"]["id"]
    foreign = teacher_api.post(
        f"/api/v1/courses/{other_id}/content", json={"kind": "text", "title": "X", "module_title": "Elsewhere"}
    ).get_json()["data"]["module_id"]
    editor = f"/teach/{course_id}"
    headers = {"Host": teacher.host, **csrf_header(teacher, editor)}

    empty = teacher.client.post(f"{editor}/items/{ids['Lesson 1']}/rename", data={"title": "  "}, headers=headers)
    assert empty.status_code == 422
    assert f'id="error-item-{ids["Lesson 1"]}"' in empty.get_data(as_text=True)
    elsewhere = teacher.client.post(
        f"{editor}/items/{ids['Lesson 1']}/module", data={"module_id": str(foreign)}, headers=headers
    )
    assert elsewhere.status_code == 422 and "Not in this course." in elsewhere.get_data(as_text=True)
    junk = teacher.client.post(f"{editor}/items/{ids['Lesson 1']}/module", data={"module_id": "x"}, headers=headers)
    assert junk.status_code == 422 and "Choose a module." in junk.get_data(as_text=True)
    assert _outline(teacher_api, course_id) == {"Week 1": ["Lesson 1", "Lesson 2", "Lesson 3"], "Week 2": ["Quiz"]}

    # Another course's module or item through this course's address: not found.
    assert (
        teacher.client.post(f"{editor}/modules/{foreign}/rename", data={"title": "Y"}, headers=headers).status_code
        == 404
    )
    assert teacher.get(f"{editor}/modules/{foreign}/delete").status_code == 404


def test_delete_asks_first_and_says_what_learners_lose(app, tenant, api):
    teacher_api, teacher, course_id, ids = teacher_with_course(app, api, tenant)
    teacher_api.put(f"/api/v1/courses/{course_id}", json={"status": "published"})
    learner_id = make_user(app, tenant, "student", email="stu@example.org")
    teacher_api.post(f"/api/v1/courses/{course_id}/enrollments", json={"user_ids": [learner_id]})
    with app.app_context():
        learner = api(tenant, user_token(app, tenant, learner_id, "student"))
    assert learner.post(f"/api/v1/content/{ids['Lesson 1']}/complete").status_code == 200
    editor = f"/teach/{course_id}"

    page = teacher.get(editor).get_data(as_text=True)
    ask_url = re.search(rf'href="({editor}/items/{ids["Lesson 1"]}/delete)"', page).group(1)
    question = teacher.get(ask_url)
    text = question.get_data(as_text=True)
    assert question.status_code == 200 and "Delete the item “Lesson 1”?" in text
    assert "1 learner has completed or spent time on it" in text
    assert _outline(teacher_api, course_id)["Week 1"] == ["Lesson 1", "Lesson 2", "Lesson 3"]  # asking removes nothing

    quiet = teacher.get(f"{editor}/items/{ids['Lesson 2']}/delete").get_data(as_text=True)
    assert "No learner has started it: nobody loses progress." in quiet

    done = teacher.post(ask_url, csrf_from=ask_url, follow_redirects=True).get_data(as_text=True)
    assert "“Lesson 1” removed." in done
    assert _outline(teacher_api, course_id)["Week 1"] == ["Lesson 2", "Lesson 3"]
    progress = learner.get(f"/api/v1/users/{learner_id}/progress").get_json()["data"][0]
    assert progress["completed_items"] == [] and progress["total"] == 3

    module_question = teacher.get(f"{editor}/modules/{ids['Week 1']}/delete").get_data(as_text=True)
    assert "It holds 2 items, removed with it:" in module_question and "Lesson 3" in module_question
    teacher.post(f"{editor}/modules/{ids['Week 1']}/delete", csrf_from=editor)
    assert _outline(teacher_api, course_id) == {"Week 2": ["Quiz"]}
    assert teacher.post(f"{editor}/items/{ids['Lesson 2']}/delete", csrf_from=editor).status_code == 404


def test_the_api_renames_moves_and_deletes_modules_and_items_for_managers_only(app, tenant, api):
    teacher_api, _, course_id, ids = teacher_with_course(app, api, tenant)
    moved = teacher_api.open(
        "PATCH", f"/api/v1/content/{ids['Lesson 1']}", json={"title": "Intro", "module_id": ids["Week 2"]}
    )
    assert moved.status_code == 200, moved.get_json()
    assert moved.get_json()["data"]["module_id"] == ids["Week 2"] and moved.get_json()["data"]["title"] == "Intro"
    assert teacher_api.open("PATCH", f"/api/v1/content/{ids['Quiz']}", json={}).status_code == 422
    renamed = teacher_api.open("PATCH", f"/api/v1/courses/{course_id}/modules/{ids['Week 2']}", json={"title": "Two"})
    assert renamed.status_code == 200 and renamed.get_json()["data"]["title"] == "Two"
    assert _outline(teacher_api, course_id) == {"Week 1": ["Lesson 2", "Lesson 3"], "Two": ["Quiz", "Intro"]}
    first = teacher_api.open("PATCH", f"/api/v1/content/{ids['Lesson 1']}", json={"position": 1})
    assert first.status_code == 200 and first.get_json()["data"]["position"] == 0
    teacher_api.open("PATCH", f"/api/v1/courses/{course_id}/modules/{ids['Week 2']}", json={"position": 1})
    assert _outline(teacher_api, course_id) == {"Two": ["Intro", "Quiz"], "Week 1": ["Lesson 2", "Lesson 3"]}
    teacher_api.open("PATCH", f"/api/v1/content/{ids['Lesson 2']}", json={"position": 99})  # past the end: last
    teacher_api.open("PATCH", f"/api/v1/courses/{course_id}/modules/{ids['Week 2']}", json={"position": 2})
    assert _outline(teacher_api, course_id) == {"Week 1": ["Lesson 3", "Lesson 2"], "Two": ["Intro", "Quiz"]}
    zero = teacher_api.open("PATCH", f"/api/v1/content/{ids['Quiz']}", json={"position": 0})
    assert zero.status_code == 422 and "position" in zero.get_json()["error"]["details"]

    other_id = make_user(app, tenant, "teacher", email="other@example.org")
    with app.app_context():
        other = api(tenant, user_token(app, tenant, other_id, "teacher"))
    teacher_api.put(f"/api/v1/courses/{course_id}", json={"status": "published"})
    refused = other.delete(f"/api/v1/courses/{course_id}/modules/{ids['Week 1']}")
    assert refused.status_code == 403
    assert other.open("PATCH", f"/api/v1/content/{ids['Quiz']}", json={"title": "Mine"}).status_code == 403

    deleted = teacher_api.delete(f"/api/v1/courses/{course_id}/modules/{ids['Week 1']}")
    assert deleted.get_json()["data"] == {"id": ids["Week 1"], "outcome": "deleted", "items_removed": 2}
    assert _outline(teacher_api, course_id) == {"Two": ["Intro", "Quiz"]}
    assert teacher_api.delete(f"/api/v1/courses/{course_id}/modules/{ids['Week 1']}").status_code == 404
