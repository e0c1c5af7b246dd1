"""What authors type into courses: titles in any script make slugs; rich text is bounded and sanitised."""

import pytest


@pytest.fixture
def teacher(school):
    return school["teacher"]


def create(client, title, **fields):
    return client.post("/api/v1/courses", json={"title": title, **fields})


def test_titles_in_any_script_get_a_readable_slug(teacher):
    slugs = {
        title: create(teacher, title).get_json()["data"]["slug"]
        for title in ("Основы алгебры", "Ελληνική ιστορία", "数学入门", "Álgebra básica", "🎉")
    }
    assert slugs == {
        "Основы алгебры": "osnovy-algebry",
        "Ελληνική ιστορία": "elliniki-istoria",
        "数学入门": "shuxuerumen",
        "Álgebra básica": "algebra-basica",
        "🎉": "tada",
    }


def test_a_generated_slug_is_never_a_conflict(teacher):
    first, second, third = (create(teacher, "Основы алгебры") for _ in range(3))
    assert [r.status_code for r in (first, second, third)] == [201, 201, 201]
    assert [r.get_json()["data"]["slug"] for r in (first, second, third)] == [
        "osnovy-algebry",
        "osnovy-algebry-2",
        "osnovy-algebry-3",
    ]
    nothing = [create(teacher, title).get_json()["data"]["slug"] for title in ("!!!", "???")]
    assert nothing == ["course", "course-2"]
    long_titles = [create(teacher, "x" * 150).get_json()["data"]["slug"] for _ in range(2)]
    assert long_titles == ["x" * 110, "x" * 110 + "-2"]


def test_a_slug_the_author_chose_is_still_refused_when_taken(teacher):
    assert create(teacher, "Algebra", slug="algebra").status_code == 201
    taken = create(teacher, "Algebra again", slug="algebra")
    assert taken.status_code == 409 and "slug" in taken.get_json()["error"]["details"]
    assert create(teacher, "Algebra").get_json()["data"]["slug"] == "algebra-2"


def test_a_slug_taken_by_a_concurrent_request_gets_a_random_suffix(app, teacher, monkeypatch):
    from blueprints.courses import services

    assert create(teacher, "Geometry").status_code == 201
    monkeypatch.setattr(services, "_free_slug", lambda base: base)  # as if another request took it meanwhile
    again = create(teacher, "Geometry")
    assert again.status_code == 201
    assert again.get_json()["data"]["slug"].startswith("geometry-") and len(again.get_json()["data"]["slug"]) == 15


KB = 1024
EVIL = '<p>Notes<script>alert(1)</script><img src="x.png" onerror="alert(2)"><a href="javascript:alert(3)">x</a></p>'


def lesson(client, kind="text", body="<p>Hi</p>"):
    course_id = create(client, "Biology").get_json()["data"]["id"]
    item = client.post(
        f"/api/v1/courses/{course_id}/content", json={"kind": kind, "title": "One", "body": body, "module_title": "W1"}
    )
    return course_id, item


def test_rich_text_has_a_size_limit_and_an_oversized_save_keeps_no_version(teacher):
    course_id, item = lesson(teacher)
    item_id = item.get_json()["data"]["id"]
    big = "<p>" + "a" * (600 * KB) + "</p>"
    refused = teacher.put(f"/api/v1/content/{item_id}", json={"body": big})
    assert refused.status_code == 422 and "512 KB" in refused.get_json()["error"]["details"]["body"][0]
    huge = teacher.put(f"/api/v1/content/{item_id}", json={"body": "<p>" + "a" * (20 * 1024 * KB)})
    assert huge.status_code == 422 and "body" in huge.get_json()["error"]["details"]
    assert len(teacher.get(f"/api/v1/content/{item_id}/versions").get_json()["data"]) == 1

    # the limit counts what is stored: markup that sanitising removes does not count
    padded = "<p>kept</p>" + "<script>x</script>" * (30 * KB)  # 540 KB in, 11 bytes out
    saved = teacher.put(f"/api/v1/content/{item_id}", json={"body": padded})
    assert saved.status_code == 200
    assert teacher.get(f"/api/v1/content/{item_id}").get_json()["data"]["published_body"] == "<p>kept</p>"

    new_item = teacher.post(
        f"/api/v1/courses/{course_id}/content", json={"kind": "text", "title": "Two", "body": big, "module_title": "W1"}
    )
    assert new_item.status_code == 422 and "body" in new_item.get_json()["error"]["details"]
    description = teacher.put(f"/api/v1/courses/{course_id}", json={"description": big})
    assert description.status_code == 422 and "description" in description.get_json()["error"]["details"]


def test_the_item_editor_shows_the_limit_next_to_the_content(app, school):
    from tests.support.browser import Browser

    course_id, item = lesson(school["teacher"])
    browser = Browser(app, school["tenant"])
    browser.sign_in("teacher@example.org")
    page_url = f"/teach/{course_id}/items/{item.get_json()['data']['id']}"
    saved = browser.post(
        page_url, {"title": "One", "body": "<p>" + "a" * (600 * KB) + "</p>", "publish": "y"}, csrf_from=page_url
    )
    assert saved.status_code == 422 and "At most 512 KB of formatted text" in saved.get_data(as_text=True)


@pytest.mark.parametrize("kind", ["file", "assessment"])
def test_file_and_assessment_bodies_are_sanitised_like_lessons(teacher, kind):
    _, item = lesson(teacher, kind=kind, body=EVIL)
    assert item.status_code == 201, item.get_json()
    item_id = item.get_json()["data"]["id"]
    teacher.put(f"/api/v1/content/{item_id}", json={"body": EVIL + "<p>v2</p>"})
    for version in teacher.get(f"/api/v1/content/{item_id}/versions").get_json()["data"]:
        for bad in ("<script", "onerror", "javascript:"):
            assert bad not in version["body"], (version["number"], bad)
        assert "<p>Notes" in version["body"]
