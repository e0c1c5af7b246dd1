"""The teacher's pages: create a course, add and reorder items, versions, roster and enrollment."""

import re

import sqlalchemy as sa

from app.extensions import db
from tests.conftest import make_user, user_token
from tests.support.browser import Browser
from tests.support.courses import csrf_header, item_order


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


def api_as(app, api, tenant, role, email):
    """A person of that role signed in on both sides: an API client and their e-mail for the pages."""

    user_id = make_user(app, tenant, role, email=email)
    with app.app_context():
        return api(tenant, user_token(app, tenant, user_id, role))


def test_teacher_uploads_and_removes_files_on_the_item_page_and_learners_get_them(app, tenant, api):
    import io
    from pathlib import Path

    from tests.support.courses import PDF, make_course

    teacher_api = api_as(app, api, tenant, "teacher", "teach@example.org")
    learner_id = make_user(app, tenant, "student", email="stu@example.org")
    course_id, _ = make_course(teacher_api, items=0)
    video_id = teacher_api.post(
        f"/api/v1/courses/{course_id}/content", json={"kind": "video", "title": "Clip", "module_title": "M"}
    ).get_json()["data"]["id"]
    teacher_api.post(f"/api/v1/courses/{course_id}/enrollments", json={"user_ids": [learner_id]})

    teacher = Browser(app, tenant)
    teacher.sign_in("teach@example.org")
    item_url = f"/teach/{course_id}/items/{video_id}"
    assert "No files yet." in teacher.get(item_url).get_data(as_text=True)
    lying = teacher.post(
        f"{item_url}/media",
        {"file": (io.BytesIO(PDF), "clip.webm")},
        csrf_from=item_url,
        content_type="multipart/form-data",
    )
    assert lying.status_code == 422
    assert "This file is application/pdf; a video item takes video/mp4, video/webm." in lying.get_data(as_text=True)

    webm = Path(app.root_path, "assets", "demo-lesson.webm").read_bytes()
    uploaded = teacher.post(
        f"{item_url}/media",
        {"file": (io.BytesIO(webm), "lesson.webm")},
        csrf_from=item_url,
        content_type="multipart/form-data",
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "lesson.webm uploaded." in uploaded and "video/webm" in uploaded

    learner = Browser(app, tenant)
    learner.sign_in("stu@example.org")
    player = learner.get(f"/learn/{course_id}/{video_id}").get_data(as_text=True)
    media_url = re.search(r'<video[^>]*src="([^"]+)"', player).group(1)
    assert learner.get(media_url).data == webm

    remove_url = re.search(r'action="([^"]+/delete)"', teacher.get(item_url).get_data(as_text=True)).group(1)
    removed = teacher.post(remove_url, csrf_from=item_url, follow_redirects=True).get_data(as_text=True)
    assert "lesson.webm removed." in removed and "No files yet." in removed
    assert learner.get(media_url).status_code == 404
    assert "<video" not in learner.get(f"/learn/{course_id}/{video_id}").get_data(as_text=True)


def test_a_teacher_cannot_reach_another_course_through_their_own(app, tenant, api):
    """Every teaching route that names an item checks that the item belongs to the course in the URL."""
    from tests.support.courses import make_course

    mine, _ = make_course(api_as(app, api, tenant, "teacher", "mine@example.org"), title="Mine", items=1)
    other_api = api_as(app, api, tenant, "teacher", "other@example.org")
    other, other_items = make_course(other_api, title="Other", items=2)
    module_id = other_api.get(f"/api/v1/courses/{other}/content").get_json()["data"][0]["id"]

    teacher = Browser(app, tenant)
    teacher.sign_in("mine@example.org")
    assert teacher.get(f"/teach/{other}").status_code == 403
    editor = f"/teach/{mine}"
    foreign = f"/teach/{mine}/items/{other_items[0]}"
    assert teacher.get(foreign).status_code == 404
    for path in (
        foreign,
        f"{foreign}/restore/1",
        f"{foreign}/media",
        f"/teach/{mine}/move/item/{other_items[1]}/up",
        f"/teach/{mine}/move/module/{module_id}/down",
    ):
        assert teacher.post(path, {"title": "Hijacked", "body": "x"}, csrf_from=editor).status_code == 404, path
    outline = other_api.get(f"/api/v1/courses/{other}/content").get_json()["data"][0]["items"]
    assert [item["title"] for item in outline] == ["Lesson 1", "Lesson 2"]


def test_teacher_sets_a_cover_that_the_catalogue_and_my_learning_show(app, tenant, api):
    import io

    from tests.support.courses import _image, make_course

    teacher_api = api_as(app, api, tenant, "teacher", "teach@example.org")
    learner_id = make_user(app, tenant, "student", email="stu@example.org")
    course_id, _ = make_course(teacher_api, items=1)
    teacher = Browser(app, tenant)
    teacher.sign_in("teach@example.org")
    editor = f"/teach/{course_id}"
    assert "No cover yet" in teacher.get(editor).get_data(as_text=True)
    refused = teacher.post(
        f"{editor}/cover",
        {"file": (io.BytesIO(b"not a picture"), "c.png")},
        csrf_from=editor,
        content_type="multipart/form-data",
    )
    assert refused.status_code == 422 and "This file is not an image we can read." in refused.get_data(as_text=True)
    saved = teacher.post(
        f"{editor}/cover",
        {"file": (io.BytesIO(_image((800, 450))), "c.jpg")},
        csrf_from=editor,
        content_type="multipart/form-data",
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "Cover saved." in saved
    cover = re.search(r'<img src="(/courses/\d+/cover\?v=\w+)" alt="The current cover"', saved).group(1)

    learner = Browser(app, tenant)
    learner.sign_in("stu@example.org")
    assert f'<img src="{cover}"' in learner.get("/catalog").get_data(as_text=True)
    assert learner.get(cover).mimetype == "image/jpeg"
    teacher_api.post(f"/api/v1/courses/{course_id}/enrollments", json={"user_ids": [learner_id]})
    assert f'<img src="{cover}"' in learner.get("/learn").get_data(as_text=True)

    removed = teacher.post(f"{editor}/cover/delete", csrf_from=editor, follow_redirects=True).get_data(as_text=True)
    assert "Cover removed." in removed and "No cover yet" in removed
    assert learner.get(cover).status_code == 404


def test_only_pages_with_the_rich_text_editor_allow_its_styles_by_a_fresh_nonce(app, tenant, api):
    from tests.support.courses import make_course

    course_id, _ = make_course(api_as(app, api, tenant, "teacher", "teach@example.org"), items=1)
    teacher = Browser(app, tenant)
    teacher.sign_in("teach@example.org")
    nonces = []
    for _ in range(2):
        response = teacher.get(f"/teach/{course_id}")
        nonce = re.search(r'<meta name="trix-csp-nonce" content="([^"]+)">', response.get_data(as_text=True)).group(1)
        assert f"style-src 'self' 'nonce-{nonce}';" in response.headers["Content-Security-Policy"]
        nonces.append(nonce)
    assert nonces[0] != nonces[1] and len(nonces[0]) >= 16
    for path in ("/teach", "/learn", "/catalog"):
        assert "nonce-" not in teacher.get(path).headers["Content-Security-Policy"], path


def test_comparing_versions_by_anything_but_their_numbers_is_a_clear_400_or_404_page(app, tenant, api):
    from tests.support.courses import make_course

    teacher_api = api_as(app, api, tenant, "teacher", "teach@example.org")
    course_id, (item_id,) = make_course(teacher_api, items=1)
    teacher_api.put(f"/api/v1/content/{item_id}", json={"body": "<p>second</p>"})
    teacher = Browser(app, tenant)
    teacher.sign_in("teach@example.org")
    item_url = f"/teach/{course_id}/items/{item_id}"

    assert teacher.get(f"{item_url}?from=1&to=2").status_code == 200
    for query in ("from=a&to=b", "from=1&to=", "from=1", "from=-1&to=2", "from=1&to=99999999999999999999"):
        page = teacher.get(f"{item_url}?{query}")
        assert page.status_code == 400, query
        assert "Compare two versions by their numbers" in page.get_data(as_text=True)
        assert page.mimetype == "text/html"
    for query in ("from=1&to=3", "from=0&to=1", "from=1&to=999999999"):
        missing = teacher.get(f"{item_url}?{query}")
        assert missing.status_code == 404 and missing.mimetype == "text/html", query
    junk_api = teacher_api.get(f"/api/v1/content/{item_id}/diff?from=1&to=4294967296")
    # past the column's range: the API names the parameter (422), never a database error
    assert junk_api.status_code == 422 and "to" in str(junk_api.get_json()["error"]["details"])


def test_a_file_missing_from_the_storage_is_a_404_and_a_warning_not_a_500(app, tenant, api, caplog):
    import io

    from app.storage import media_storage
    from app.tenancy.context import tenant_context
    from blueprints.courses.models import Course, MediaFile
    from tests.support.courses import PDF, _image, make_course

    teacher_api = api_as(app, api, tenant, "teacher", "teach@example.org")
    course_id, _ = make_course(teacher_api, items=0)
    item_id = teacher_api.post(
        f"/api/v1/courses/{course_id}/content", json={"kind": "file", "title": "Sheet", "module_title": "M"}
    ).get_json()["data"]["id"]
    saved = teacher_api.post(
        f"/api/v1/content/{item_id}/media",
        content_type="multipart/form-data",
        data={"file": (io.BytesIO(PDF), "a.pdf")},
    ).get_json()["data"]
    teacher_api.put(
        f"/api/v1/courses/{course_id}/cover",
        content_type="multipart/form-data",
        data={"file": (io.BytesIO(_image((40, 30))), "cover.jpg")},
    )
    with tenant_context(tenant, app):
        keys = [*db.session.scalars(sa.select(MediaFile.storage_key)), *db.session.scalars(sa.select(Course.cover_key))]
        for key in keys:
            media_storage().delete(key)  # the rows stay: a lost volume, a restore without its files

    teacher = Browser(app, tenant)
    teacher.sign_in("teach@example.org")
    with caplog.at_level("WARNING", logger="app.storage"):
        assert teacher_api.get(saved["url"]).status_code == 404
        assert teacher_api.get(saved["url"]).get_json()["error"]["code"] == "NOT_FOUND"
        page = teacher.get(saved["page_url"])
        assert page.status_code == 404 and page.mimetype == "text/html"
        assert teacher_api.get(f"/api/v1/courses/{course_id}/cover").status_code == 404
    assert sum("missing from storage" in record.getMessage() for record in caplog.records) == 4
    assert teacher.get(f"/teach/{course_id}/items/{item_id}").status_code == 200  # the item page still lists it
