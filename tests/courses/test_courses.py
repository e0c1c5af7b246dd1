"""Courses through the API: outline, versions, enrollments (with classes), progress, events, prerequisites."""

import io
import math
import time
from datetime import timedelta

import sqlalchemy as sa
from PIL import Image

from app import events
from app.events import emit_after_commit
from app.events.catalog import Event, define, forget
from app.extensions import db
from app.storage import media_storage
from app.tenancy.context import tenant_context
from blueprints.api_keys.services import create_api_key
from blueprints.learning.models import Enrollment
from tests.conftest import make_user, run_jobs
from tests.support.browser import Browser
from tests.support.courses import PDF, _image, make_course
from tests.support.statements import count_statements


def test_teacher_builds_a_course_that_learners_see_once_published(school):
    teacher, learner = school["teacher"], school["learners"][0]
    course_id, _ = make_course(teacher, publish=False)
    body = teacher.get(f"/api/v1/courses/{course_id}").get_json()["data"]
    assert body["description_html"] == "<p>Hi</p>" and body["status"] == "draft" and body["teacher_ids"]
    assert learner.get(f"/api/v1/courses/{course_id}").status_code == 404
    assert learner.get("/api/v1/courses").get_json()["meta"]["total"] == 0
    teacher.put(f"/api/v1/courses/{course_id}", json={"status": "published"})
    assert [c["title"] for c in learner.get("/api/v1/courses").get_json()["data"]] == ["Algebra"]
    outline = learner.get(f"/api/v1/courses/{course_id}/content").get_json()["data"]
    assert [m["title"] for m in outline] == ["Week 1"]
    assert [i["title"] for i in outline[0]["items"]] == ["Lesson 1", "Lesson 2", "Lesson 3"]
    assert (
        learner.post(
            f"/api/v1/courses/{course_id}/content", json={"kind": "text", "title": "x", "module_title": "y"}
        ).status_code
        == 403
    )


def test_versions_compare_and_restore(school):
    teacher = school["teacher"]
    course_id, (item_id, *_) = make_course(teacher, items=1)
    teacher.post(f"/api/v1/courses/{course_id}/enrollments", json={"user_ids": [school["students"][0]]})
    teacher.put(
        f"/api/v1/content/{item_id}", json={"body": "<p>Lesson 1</p>\n<p>Now with more</p>", "change_note": "Expanded"}
    )
    assert (
        school["learners"][0]
        .get(f"/api/v1/content/{item_id}")
        .get_json()["data"]["published_body"]
        .endswith("more</p>")
    )
    draft = teacher.put(f"/api/v1/content/{item_id}", json={"body": "<p>Draft</p>", "publish": False})
    assert draft.get_json()["data"]["number"] == 3
    assert teacher.get(f"/api/v1/content/{item_id}").get_json()["data"]["published_version"] == 2
    diff = teacher.get(f"/api/v1/content/{item_id}/diff?from=1&to=2").get_json()["data"]["diff"]
    assert "+<p>Now with more</p>" in diff
    restored = teacher.post(f"/api/v1/content/{item_id}/versions", json={"restore_from": 1})
    assert restored.status_code == 201 and restored.get_json()["data"]["number"] == 4
    versions = teacher.get(f"/api/v1/content/{item_id}/versions").get_json()["data"]
    assert [v["number"] for v in versions] == [4, 3, 2, 1]
    assert versions[0]["body"] == versions[-1]["body"] and versions[0]["change_note"] == "Restored version 1"


def test_video_and_link_urls_are_checked(school):
    teacher = school["teacher"]
    course_id, _ = make_course(teacher, items=1)
    bad_host = teacher.post(
        f"/api/v1/courses/{course_id}/content",
        json={"kind": "video", "title": "V", "module_title": "M", "body": "https://evil.example/v"},
    )
    assert bad_host.status_code == 422
    ok = teacher.post(
        f"/api/v1/courses/{course_id}/content",
        json={"kind": "video", "title": "V", "module_title": "M", "body": "https://www.youtube.com/embed/x"},
    )
    assert ok.status_code == 201


def test_class_enrollment_follows_new_members_and_progress_completes_the_course(app, school):
    teacher, admin = school["teacher"], school["admin"]
    course_id, item_ids = make_course(teacher)
    seen = []
    handlers = {
        name: (lambda payload, n=name: seen.append((n, payload["user_id"])))
        for name in ("enrollment.created", "content.completed", "course.completed")
    }
    for name, handler in handlers.items():
        events.subscribe(name)(handler)
    try:
        enrolled = teacher.post(f"/api/v1/courses/{course_id}/enrollments", json={"class_id": school["class_id"]})
        assert enrolled.get_json()["data"]["created"] == 2
        late = school["students"][2]
        admin.post(f"/api/v1/classes/{school['class_id']}/members", json={"user_ids": [late], "role": "student"})
        run_jobs(app)  # deliver class.members_added
        rows = teacher.get(f"/api/v1/courses/{course_id}/progress").get_json()["data"]
        assert sorted(r["email"] for r in rows) == ["s0@example.org", "s1@example.org", "s2@example.org"]

        learner = school["learners"][0]
        for item_id in item_ids:
            done = learner.post(f"/api/v1/content/{item_id}/complete")
            assert done.status_code == 200
        learner.post(f"/api/v1/content/{item_ids[0]}/complete")  # again: nothing new happens
        assert done.get_json()["data"]["percent"] == 100 and done.get_json()["data"]["completed_at"]
        run_jobs(app)  # deliver the events to this test's subscribers
    finally:
        for name, handler in handlers.items():
            events.unsubscribe(name, handler)
    me = school["students"][0]
    assert seen.count(("course.completed", me)) == 1
    assert seen.count(("content.completed", me)) == 3
    assert sum(1 for name, _ in seen if name == "enrollment.created") == 3
    mine = learner.get(f"/api/v1/users/{me}/enrollments").get_json()["data"]
    assert mine[0]["percent"] == 100 and mine[0]["last_item_id"] == item_ids[0]
    detail = learner.get(f"/api/v1/users/{me}/progress").get_json()["data"]
    assert [entry["item_id"] for entry in detail[0]["completed_items"]] == item_ids
    assert learner.get(f"/api/v1/users/{school['students'][1]}/enrollments").status_code == 404


def test_events_are_emitted_after_commit_and_never_after_a_rollback(app, tenant):
    @define
    class Thing(Event):
        name = "test.thing"
        n: int

    seen = []
    events.subscribe("test.thing")(seen.append)
    try:
        with tenant_context(tenant, app):
            emit_after_commit(db.session, "test.thing", n=1)
            assert seen == []
            db.session.rollback()
            db.session.commit()
            assert seen == []
            emit_after_commit(db.session, "test.thing", n=2)
            db.session.commit()
            db.session.commit()
        run_jobs(app)  # deliver
    finally:
        events.unsubscribe("test.thing", seen.append)
        forget("test.thing")
    assert [payload["n"] for payload in seen] == [2]


def test_prerequisites_gate_the_course(school):
    teacher, learner, me = school["teacher"], school["learners"][0], school["students"][0]
    basics_id, basics_items = make_course(teacher, title="Basics", items=1)
    advanced_id, advanced_items = make_course(teacher, title="Advanced", items=1)
    teacher.put(f"/api/v1/courses/{advanced_id}", json={"prerequisite_ids": [basics_id]})
    for course_id in (basics_id, advanced_id):
        teacher.post(f"/api/v1/courses/{course_id}/enrollments", json={"user_ids": [me]})
    blocked = learner.post(f"/api/v1/content/{advanced_items[0]}/complete")
    assert blocked.status_code == 403
    assert blocked.get_json()["error"]["code"] == "PREREQUISITES_NOT_MET"
    assert blocked.get_json()["error"]["message"] == "Complete Basics first."
    learner.post(f"/api/v1/content/{basics_items[0]}/complete")
    assert learner.post(f"/api/v1/content/{advanced_items[0]}/complete").status_code == 200


def test_outline_and_progress_take_the_same_queries_for_3_or_30(app, school):
    teacher = school["teacher"]
    small_id, _ = make_course(teacher, title="Small", items=3)
    big_id, _ = make_course(teacher, title="Big", items=30)
    extra = [make_user(app, school["tenant"], "student", email=f"x{n}@example.org") for n in range(27)]
    teacher.post(f"/api/v1/courses/{small_id}/enrollments", json={"user_ids": school["students"]})
    teacher.post(f"/api/v1/courses/{big_id}/enrollments", json={"user_ids": school["students"] + extra})
    tenant = school["tenant"]
    for path in ("content", "progress"):
        small = count_statements(app, tenant, lambda p=path: teacher.get(f"/api/v1/courses/{small_id}/{p}"))
        big = count_statements(app, tenant, lambda p=path: teacher.get(f"/api/v1/courses/{big_id}/{p}"))
        assert small == big, path


def test_a_course_with_enrollments_is_archived_not_deleted(school):
    teacher = school["teacher"]
    empty_id, _ = make_course(teacher, title="Empty", items=1)
    taken_id, _ = make_course(teacher, title="Taken", items=1)
    teacher.post(f"/api/v1/courses/{taken_id}/enrollments", json={"user_ids": school["students"][:1]})
    assert teacher.delete(f"/api/v1/courses/{empty_id}").get_json()["data"]["outcome"] == "deleted"
    assert teacher.delete(f"/api/v1/courses/{taken_id}").get_json()["data"]["outcome"] == "archived"
    assert teacher.get(f"/api/v1/courses/{taken_id}").get_json()["data"]["status"] == "archived"


def test_dashboard_queries_do_not_grow_with_enrollments_and_self_enrollment(app, school):
    teacher, me = school["teacher"], school["students"][0]
    for n in range(12):
        course_id, _ = make_course(teacher, title=f"Course {n:02d}", items=2)
        if n < 2 or n >= 4:
            teacher.post(f"/api/v1/courses/{course_id}/enrollments", json={"user_ids": [me]})
    browser = Browser(app, school["tenant"])
    browser.sign_in("s0@example.org")
    tenant = school["tenant"]
    ten = count_statements(app, tenant, lambda: browser.get("/learn"))
    page = browser.get("/learn").get_data(as_text=True)
    assert page.count('class="course-card"') == 10
    other = Browser(app, tenant)
    other.sign_in("s1@example.org")
    teacher.post("/api/v1/courses/1/enrollments", json={"user_ids": [school["students"][1]]})
    one = count_statements(app, tenant, lambda: other.get("/learn"))
    assert ten == one

    open_id, _ = make_course(teacher, title="Open course", items=1)
    teacher.put(f"/api/v1/courses/{open_id}", json={"self_enrollment": True})
    catalog = other.get("/catalog?q=open").get_data(as_text=True)
    assert "Open course" in catalog and "Course 03" not in catalog
    joined = other.post(f"/catalog/{open_id}/enroll", csrf_from="/catalog")
    assert joined.status_code == 302 and joined.headers["Location"].endswith(f"/learn/{open_id}")
    closed = other.post("/catalog/3/enroll", csrf_from="/catalog")
    assert closed.status_code == 403


MP4 = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 4000


def test_media_is_checked_by_content_and_served_with_ranges_to_the_course_only(app, school):
    teacher, learner = school["teacher"], school["learners"][0]
    course_id, _ = make_course(teacher, items=0)
    video = teacher.post(
        f"/api/v1/courses/{course_id}/content", json={"kind": "video", "title": "Demo", "module_title": "M"}
    ).get_json()["data"]["id"]
    lying = teacher.post(
        f"/api/v1/content/{video}/media",
        content_type="multipart/form-data",
        data={"file": (io.BytesIO(PDF), "clip.mp4")},
    )
    assert lying.status_code == 422 and "application/pdf" in lying.get_json()["error"]["message"]
    uploaded = teacher.post(
        f"/api/v1/content/{video}/media",
        content_type="multipart/form-data",
        data={"file": (io.BytesIO(MP4), "clip.bin")},
    )
    assert uploaded.status_code == 201
    media = uploaded.get_json()["data"]
    assert media["content_type"] == "video/mp4" and media["size"] == len(MP4)

    assert learner.get(media["url"]).status_code == 404  # not enrolled: invisible
    teacher.put(f"/api/v1/courses/{course_id}", json={"status": "published"})
    teacher.post(f"/api/v1/courses/{course_id}/enrollments", json={"user_ids": [school["students"][0]]})
    whole = learner.get(media["url"])
    assert whole.status_code == 200 and whole.data == MP4 and whole.mimetype == "video/mp4"
    part = learner.get(media["url"], headers={"Range": "bytes=100-199"})
    assert part.status_code == 206 and part.data == MP4[100:200]
    assert part.headers["Content-Range"] == f"bytes 100-199/{len(MP4)}"
    assert school["learners"][1].get(media["url"]).status_code == 404  # enrolled elsewhere only

    text_item = teacher.post(
        f"/api/v1/courses/{course_id}/content",
        json={"kind": "link", "title": "L", "module_title": "M", "body": "https://example.org/x"},
    )
    refused = teacher.post(
        f"/api/v1/content/{text_item.get_json()['data']['id']}/media",
        content_type="multipart/form-data",
        data={"file": (io.BytesIO(PDF), "x.pdf")},
    )
    assert refused.status_code == 422


def test_unenroll_keeps_history_and_content_lists_only_visible_courses(school):
    teacher, learner, me = school["teacher"], school["learners"][0], school["students"][0]
    course_id, items = make_course(teacher, items=2)
    draft_id, draft_items = make_course(teacher, title="Draft", items=1, publish=False)
    teacher.post(f"/api/v1/courses/{course_id}/enrollments", json={"user_ids": [me]})
    learner.post(f"/api/v1/content/{items[0]}/complete")
    gone = teacher.delete(f"/api/v1/courses/{course_id}/enrollments/{me}")
    assert gone.get_json()["data"]["outcome"] == "unenrolled"
    assert learner.post(f"/api/v1/content/{items[1]}/complete").status_code == 404
    teacher.post(f"/api/v1/courses/{course_id}/enrollments", json={"user_ids": [me]})
    assert learner.post(f"/api/v1/content/{items[1]}/complete").get_json()["data"]["percent"] == 100

    listed = learner.get("/api/v1/content?per_page=100").get_json()
    ids = {row["id"] for row in listed["data"]}
    assert set(items) <= ids and not set(draft_items) & ids
    assert teacher.get(f"/api/v1/content?filter[course]={draft_id}").get_json()["meta"]["total"] == 1


def test_branch_courses_are_invisible_outside_the_branch_and_to_keys(app, school, tenant):
    admin, teacher = school["admin"], school["teacher"]
    south = admin.post(f"/api/v1/organizations/{tenant.id}/branches", json={"code": "south", "name": "South"})
    south_id = south.get_json()["data"]["id"]
    course_id, _ = make_course(teacher, title="South only")
    assert teacher.put(f"/api/v1/courses/{course_id}", json={"branch_ids": [south_id]}).status_code == 403
    assert admin.put(f"/api/v1/courses/{course_id}", json={"branch_ids": [south_id]}).status_code == 200
    first = school["learners"][0]
    assert first.get(f"/api/v1/courses/{course_id}").status_code == 404  # student of North
    admin.post(
        f"/api/v1/organizations/{tenant.id}/branches/{south_id}/users",
        json={"user_id": school["students"][0], "role": "student"},
    )
    assert first.get(f"/api/v1/courses/{course_id}").status_code == 200
    with tenant_context(tenant, app):
        # A key whose id equals the South student's user id: it must not borrow that user's branches.
        created = create_api_key("reader", ["student"], None)
        while created.key.id < school["students"][0]:
            created = create_api_key("reader", ["student"], None)
        assert created.key.id == school["students"][0]
        key = created.secret
    response = app.test_client().get(
        f"/api/v1/courses/{course_id}", headers={"Host": f"{tenant.slug}.localhost:5000", "X-API-Key": key}
    )
    assert response.status_code == 404


def test_time_spent_is_credited_no_faster_than_the_clock_and_reported_everywhere(app, school):
    teacher, learner, me = school["teacher"], school["learners"][0], school["students"][0]
    course_id, items = make_course(teacher, items=2)
    assert learner.post(f"/api/v1/content/{items[0]}/time", json={"seconds": 30}).status_code == 404  # not enrolled
    teacher.post(f"/api/v1/courses/{course_id}/enrollments", json={"user_ids": [me]})

    def report(item_id, seconds):  # the answer, and how many whole seconds the request itself may have taken
        started = time.monotonic()
        answer = learner.post(f"/api/v1/content/{item_id}/time", json={"seconds": seconds}).get_json()["data"]
        return answer, math.ceil(time.monotonic() - started)

    started = time.monotonic()
    first, _ = report(items[0], 30)
    assert first == {"item_id": items[0], "credited": 30, "item_seconds": 30, "course_seconds": 30}
    replayed, _ = report(items[0], 30)
    since_first = math.ceil(time.monotonic() - started)  # 0 or 1 on a quiet machine, more under load
    assert replayed["credited"] <= since_first < 30  # no more than the clock gave since the first report
    assert replayed["course_seconds"] == 30 + replayed["credited"]
    item_0 = 30 + replayed["credited"]

    def rewind(seconds):  # as if the last report came `seconds` ago
        with app.app_context(), tenant_context(school["tenant"]):
            enrollment = db.session.scalar(sa.select(Enrollment).where(Enrollment.user_id == me))
            enrollment.last_reported_at -= timedelta(seconds=seconds)
            db.session.commit()

    rewind(45)
    later, slack = report(items[1], 60)
    assert 45 <= later["credited"] <= 45 + slack + 1 and later["item_seconds"] == later["credited"]
    assert later["course_seconds"] == item_0 + later["credited"]
    rewind(3600)
    capped, _ = report(items[1], 120)
    total = item_0 + later["credited"] + 120
    assert capped["credited"] == 120 and capped["course_seconds"] == total
    for bad in (0, -5, 121, "soon"):
        refused = learner.post(f"/api/v1/content/{items[0]}/time", json={"seconds": bad})
        assert refused.status_code == 422 and "seconds" in refused.get_json()["error"]["details"], bad
    assert teacher.post(f"/api/v1/content/{items[0]}/time", json={"seconds": 5}).status_code == 404

    row = teacher.get(f"/api/v1/courses/{course_id}/progress").get_json()["data"][0]
    assert row["seconds_spent"] == total
    mine = learner.get(f"/api/v1/users/{me}/enrollments").get_json()["data"][0]
    assert mine["seconds_spent"] == total
    progress = learner.get(f"/api/v1/users/{me}/progress").get_json()["data"][0]
    assert progress["time_by_item"] == [
        {"item_id": items[0], "seconds": item_0},
        {"item_id": items[1], "seconds": later["credited"] + 120},
    ]
    others = school["learners"][1].get(f"/api/v1/users/{me}/progress")
    assert others.status_code == 404


def test_a_cover_is_re_encoded_bounded_stripped_and_shown_to_who_sees_the_course(app, school):
    teacher, learner = school["teacher"], school["learners"][0]
    course_id, _ = make_course(teacher, items=1)
    assert teacher.get(f"/api/v1/courses/{course_id}/cover").status_code == 404

    exif = Image.Exif()
    exif[0x8825] = {2: (48.0, 51.0, 24.0)}  # GPSInfo: where the photo was taken
    exif[0x0112] = 6  # taken with the phone turned: the picture must come out upright
    photo = _image((3000, 2000), exif=exif.tobytes())

    def put(data, name="cover.jpg"):
        return teacher.put(
            f"/api/v1/courses/{course_id}/cover",
            content_type="multipart/form-data",
            data={"file": (io.BytesIO(data), name)},
        )

    saved = put(photo)
    assert saved.status_code == 200, saved.get_json()
    cover_url = saved.get_json()["data"]["cover_url"]
    assert cover_url.startswith(f"/api/v1/courses/{course_id}/cover?v=")
    served = learner.get(cover_url)
    assert served.status_code == 200 and served.mimetype == "image/jpeg"
    with Image.open(io.BytesIO(served.data)) as cover:
        assert cover.format == "JPEG" and cover.size == (600, 900)  # turned upright, then fit in 1600 x 900
        assert not cover.getexif() and "exif" not in cover.info

    for data, name, why in (
        (b"just text, honestly", "cover.png", "not an image we can read"),
        (b"%PDF-1.4\n" + b"x" * 500, "cover.jpg", "not an image we can read"),
        (_image((10_000, 5_000), mode="1", fmt="PNG"), "huge.png", "too large to use as a cover"),
        (_image((20, 20), fmt="TIFF"), "cover.tif", "PNG, JPEG, GIF or WebP"),
    ):
        refused = put(data, name)
        assert refused.status_code == 422 and why in refused.get_json()["error"]["message"], name
        assert "file" in refused.get_json()["error"]["details"]
    assert learner.get(cover_url).status_code == 200  # a refused upload leaves the cover as it was

    with app.app_context(), tenant_context(school["tenant"]):
        root = media_storage().root / school["tenant"].slug
    transparent = _image((64, 64), mode="RGBA", fmt="PNG")
    replaced = put(transparent, "logo.png").get_json()["data"]["cover_url"]
    assert replaced != cover_url and len(list(root.iterdir())) == 1  # the old cover's file is gone
    assert learner.get(replaced).status_code == 200
    listed = learner.get(f"/api/v1/users/{school['students'][0]}/enrollments").get_json()["data"]
    assert listed == []  # not enrolled yet; the catalogue still shows the cover:
    assert learner.get(f"/api/v1/courses/{course_id}").get_json()["data"]["cover_url"] == replaced

    assert teacher.delete(f"/api/v1/courses/{course_id}/cover").get_json()["data"]["cover_url"] is None
    assert learner.get(replaced).status_code == 404 and list(root.iterdir()) == []


def test_passing_the_linked_assessment_completes_its_item_once(app, school):
    """The contract the assessments feature will use: emit `assessment.passed` after its commit."""
    teacher, learner, me = school["teacher"], school["learners"][0], school["students"][0]
    course_id, (lesson,) = make_course(teacher, items=1)
    quiz = teacher.post(
        f"/api/v1/courses/{course_id}/content", json={"kind": "assessment", "title": "Quiz", "module_title": "End"}
    ).get_json()["data"]["id"]
    teacher.post(f"/api/v1/courses/{course_id}/enrollments", json={"user_ids": [me]})
    completed = []
    events.subscribe("content.completed")(completed.append)
    try:
        for item_id in (lesson, quiz, quiz):  # a lesson is not an assessment; passing twice completes once
            with app.app_context(), tenant_context(school["tenant"]):
                emit_after_commit(db.session, "assessment.passed", item_id=item_id, user_id=me, score=90)
                db.session.commit()
            run_jobs(app)  # deliver
    finally:
        events.unsubscribe("content.completed", completed.append)
    refused = learner.post(f"/api/v1/content/{quiz}/complete")
    assert refused.status_code == 403 and refused.get_json()["error"]["code"] == "PASS_TO_COMPLETE"
    assert [event["item_id"] for event in completed] == [quiz]
    progress = learner.get(f"/api/v1/users/{me}/progress").get_json()["data"][0]
    assert [done["item_id"] for done in progress["completed_items"]] == [quiz] and progress["percent"] == 50


def test_removing_an_item_or_a_course_removes_the_bytes_of_its_files(app, school):
    teacher = school["teacher"]
    course_id, _ = make_course(teacher, items=0, publish=False)

    def stored():
        with app.app_context():
            folder = media_storage().root / school["tenant"].slug
            return {path.name for path in folder.iterdir()} if folder.exists() else set()

    before = stored()
    items = [
        teacher.post(
            f"/api/v1/courses/{course_id}/content", json={"kind": "file", "title": f"Sheet {n}", "module_title": "M"}
        ).get_json()["data"]["id"]
        for n in range(2)
    ]
    for item_id in items:
        teacher.post(f"/api/v1/content/{item_id}/media", data={"file": (io.BytesIO(PDF), "a.pdf")})
    teacher.put(f"/api/v1/courses/{course_id}/cover", data={"file": (io.BytesIO(_image((40, 30))), "c.jpg")})
    assert len(stored() - before) == 3

    assert teacher.delete(f"/api/v1/content/{items[0]}").status_code == 200
    assert len(stored() - before) == 2
    assert teacher.delete(f"/api/v1/courses/{course_id}").get_json()["data"]["outcome"] == "deleted"
    assert stored() == before


def test_one_course_read_gives_the_same_links_as_the_list_for_every_reader(app, district, tenant):
    """A course's read (one statement with its links as lists) and the list (links for a page at once) agree, for
    several branches, teachers and prerequisites, as org admin, as teacher and as branch manager."""
    admin, teacher = district["admin"], district["teacher"]
    course = district["courses"]["north"]
    branches = sorted(b["id"] for b in admin.get(f"/api/v1/organizations/{tenant.id}/branches").get_json()["data"])
    second_teacher = make_user(app, tenant, "teacher", email="second@example.org")
    first_teacher = teacher.get("/api/v1/auth/me").get_json()["data"]["id"]
    prerequisites = sorted([district["courses"]["south"], district["courses"]["everyone"]])
    changed = admin.put(
        f"/api/v1/courses/{course}",
        json={
            "branch_ids": branches[::-1],
            "teacher_ids": [second_teacher, first_teacher],
            "prerequisite_ids": prerequisites[::-1],
        },
    )
    assert changed.status_code == 200, changed.get_json()
    for reader in (admin, teacher, district["manager"]):
        one = reader.get(f"/api/v1/courses/{course}").get_json()["data"]
        listed = next(c for c in reader.get("/api/v1/courses?per_page=100").get_json()["data"] if c["id"] == course)
        assert one == listed
        assert one["branch_ids"] == branches and one["prerequisite_ids"] == prerequisites
        assert one["teacher_ids"] == sorted([first_teacher, second_teacher])
    assert admin.get("/api/v1/courses/999999").status_code == 404
