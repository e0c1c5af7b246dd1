"""Simultaneous writes answer as if one came first: real requests, at once, to a threaded server on loopback.

Each request runs in its own server thread with its own application context and database session, as in
production; a barrier releases them together. Run on SQLite and on PostgreSQL (TEST_DB=postgres).
"""

import http.client
import json
import threading
import time

import pytest
import sqlalchemy as sa
from werkzeug.serving import make_server

from app import events
from app.extensions import db
from app.tenancy.context import tenant_context
from blueprints.courses.models import ContentVersion
from blueprints.learning.models import Enrollment, ItemProgress, ItemTime
from tests.conftest import make_user, run_jobs, tenant_host, user_token
from tests.support.services import free_port

AT_ONCE = 20


@pytest.fixture(scope="module")
def server(app):
    port = free_port()
    httpd = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield port
    httpd.shutdown()


class Remote:
    """One caller of the live server: a tenant's host and a bearer token."""

    def __init__(self, port, tenant, token):
        self.port, self.host, self.token = port, tenant_host(tenant), token

    def call(self, method, path, body=None):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            headers = {"Host": self.host, "Authorization": f"Bearer {self.token}", "Content-Type": "application/json"}
            connection.request(method, path, body=None if body is None else json.dumps(body), headers=headers)
            response = connection.getresponse()
            return response.status, json.loads(response.read() or b"null")
        finally:
            connection.close()


def at_once(calls):
    """Run the calls (functions of no argument) in threads released together; their results, in order."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(index, call):
        barrier.wait()
        results[index] = call()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    return results


def statuses(results):
    return sorted(status for status, _ in results)


@pytest.fixture
def course(app, api, tenant, server, login_as):
    """A published one-lesson course, its teacher and a learner on the live server (not yet enrolled)."""
    teacher_id = make_user(app, tenant, "teacher")
    learner_id = make_user(app, tenant, "student")
    teacher_token = user_token(app, tenant, teacher_id, "teacher")
    learner_token = user_token(app, tenant, learner_id, "student")
    teacher = api(tenant, teacher_token)
    course_id = teacher.post("/api/v1/courses", json={"title": "Races"}).get_json()["data"]["id"]
    item = teacher.post(
        f"/api/v1/courses/{course_id}/content",
        json={"kind": "text", "title": "Only lesson", "body": "<p>v1</p>", "module_title": "Week 1"},
    ).get_json()["data"]
    assert teacher.put(f"/api/v1/courses/{course_id}", json={"status": "published"}).status_code == 200
    return {
        "tenant": tenant,
        "id": course_id,
        "item_id": item["id"],
        "learner_id": learner_id,
        "teacher": teacher,
        "remote_teacher": Remote(server, tenant, teacher_token),
        "remote_learner": Remote(server, tenant, learner_token),
    }


def _rows(app, tenant, stmt):
    with app.app_context(), tenant_context(tenant):
        return db.session.execute(stmt).all()


@pytest.fixture
def emitted():
    """The domain events emitted during the test, by name."""
    seen = []
    names = ("content.completed", "course.completed", "enrollment.created")
    handlers = {name: (lambda payload: seen.append(payload["event"])) for name in names}
    for name, handler in handlers.items():
        events.subscribe(name)(handler)
    yield seen
    for name, handler in handlers.items():
        events.unsubscribe(name, handler)


def test_simultaneous_edits_and_restores_number_versions_without_gaps_or_losses(app, course):
    remote, item_id = course["remote_teacher"], course["item_id"]
    edits = at_once(
        [
            (lambda n=n: remote.call("PUT", f"/api/v1/content/{item_id}", {"body": f"<p>edit {n}</p>"}))
            for n in range(AT_ONCE)
        ]
    )
    assert statuses(edits) == [200] * AT_ONCE, edits
    assert sorted(body["data"]["number"] for _, body in edits) == list(range(2, AT_ONCE + 2))

    restores = at_once(
        [(lambda: remote.call("POST", f"/api/v1/content/{item_id}/versions", {"restore_from": 1}))] * AT_ONCE
    )
    assert statuses(restores) == [201] * AT_ONCE, restores

    rows = _rows(
        app,
        course["tenant"],
        sa.select(ContentVersion.number, ContentVersion.body)
        .where(ContentVersion.item_id == item_id)
        .order_by(ContentVersion.number),
    )
    assert [number for number, _ in rows] == list(range(1, 2 * AT_ONCE + 2))  # 1..41: no gap, no duplicate
    bodies = [body for _, body in rows]
    assert sorted(bodies[1 : AT_ONCE + 1]) == sorted(f"<p>edit {n}</p>" for n in range(AT_ONCE))  # none lost
    assert bodies[AT_ONCE + 1 :] == ["<p>v1</p>"] * AT_ONCE
    shown = course["teacher"].get(f"/api/v1/content/{item_id}").get_json()["data"]
    assert shown["published_version"] == 2 * AT_ONCE + 1  # the last to commit published the newest


def test_enrolling_one_person_many_times_at_once_enrolls_them_once(app, course, emitted):
    remote, learner_id = course["remote_teacher"], course["learner_id"]
    results = at_once(
        [(lambda: remote.call("POST", f"/api/v1/courses/{course['id']}/enrollments", {"user_ids": [learner_id]}))]
        * AT_ONCE
    )
    assert statuses(results) == [201] * AT_ONCE, results
    assert sum(body["data"]["created"] for _, body in results) == 1
    enrollments = _rows(app, course["tenant"], sa.select(Enrollment.id).where(Enrollment.user_id == learner_id))
    assert len(enrollments) == 1
    run_jobs(app)  # deliver the events
    assert emitted.count("enrollment.created") == 1


def test_completing_one_item_many_times_at_once_completes_it_once(app, course, emitted):
    learner, item_id = course["remote_learner"], course["item_id"]
    course["teacher"].post(f"/api/v1/courses/{course['id']}/enrollments", json={"user_ids": [course["learner_id"]]})
    results = at_once([(lambda: learner.call("POST", f"/api/v1/content/{item_id}/complete"))] * AT_ONCE)
    assert statuses(results) == [200] * AT_ONCE, results
    assert all(body["data"]["completed_items"] == 1 and body["data"]["percent"] == 100 for _, body in results)
    progress = _rows(app, course["tenant"], sa.select(ItemProgress.id).where(ItemProgress.item_id == item_id))
    assert len(progress) == 1
    run_jobs(app)  # deliver the events
    assert sorted(name for name in emitted if name != "enrollment.created") == ["content.completed", "course.completed"]


def test_simultaneous_first_time_reports_credit_no_more_than_the_clock(app, course):
    learner, item_id = course["remote_learner"], course["item_id"]
    course["teacher"].post(f"/api/v1/courses/{course['id']}/enrollments", json={"user_ids": [course["learner_id"]]})
    started = time.monotonic()
    results = at_once([(lambda: learner.call("POST", f"/api/v1/content/{item_id}/time", {"seconds": 120}))] * AT_ONCE)
    elapsed = time.monotonic() - started
    assert statuses(results) == [200] * AT_ONCE, results
    credited = sum(body["data"]["credited"] for _, body in results)
    assert 120 <= credited <= 120 + elapsed  # the first report may claim 120 s; the rest only what has passed
    (enrollment_seconds,) = _rows(
        app, course["tenant"], sa.select(Enrollment.seconds_spent).where(Enrollment.user_id == course["learner_id"])
    )[0]
    item_rows = _rows(app, course["tenant"], sa.select(ItemTime.seconds).where(ItemTime.item_id == item_id))
    assert enrollment_seconds == credited and item_rows == [(credited,)]  # one row, nothing credited twice


def test_a_writer_held_up_past_the_lock_wait_gets_a_409_busy_not_a_500(app, course):
    """Something holds the item for longer than `LOCK_WAIT_SECONDS`: the edit is refused cleanly and
    goes through once the item is free."""
    from app.tenancy.engines import create_tenant_engine
    from blueprints.courses.models import ContentItem

    teacher, item_id = course["teacher"], course["item_id"]
    engine = create_tenant_engine(course["tenant"].database_url, pool_size=1, max_overflow=0)
    try:
        with engine.connect() as holder:
            if engine.dialect.name == "sqlite":
                holder.exec_driver_sql("BEGIN IMMEDIATE")
            else:
                holder.execute(sa.select(ContentItem.id).where(ContentItem.id == item_id).with_for_update())
            refused = teacher.put(f"/api/v1/content/{item_id}", json={"body": "<p>while held</p>"})
            holder.rollback()
    finally:
        engine.dispose()
    assert refused.status_code == 409 and refused.get_json()["error"]["code"] == "BUSY"
    accepted = teacher.put(f"/api/v1/content/{item_id}", json={"body": "<p>after</p>"})
    assert accepted.status_code == 200 and accepted.get_json()["data"]["number"] == 2


def test_deleting_one_file_or_item_many_times_at_once_deletes_it_once(course):
    import io

    remote, teacher, item_id = course["remote_teacher"], course["teacher"], course["item_id"]
    handout_id = teacher.post(
        f"/api/v1/courses/{course['id']}/content", json={"kind": "file", "title": "Sheet", "module_title": "M"}
    ).get_json()["data"]["id"]
    pdf = b"%PDF-1.4\n%%EOF\n"
    media_id = teacher.post(
        f"/api/v1/content/{handout_id}/media", data={"file": (io.BytesIO(pdf), "a.pdf")}
    ).get_json()["data"]["id"]

    files = at_once([(lambda: remote.call("DELETE", f"/api/v1/media/{media_id}"))] * AT_ONCE)
    assert statuses(files).count(200) == 1 and set(statuses(files)) <= {200, 404}, files
    items = at_once([(lambda: remote.call("DELETE", f"/api/v1/content/{item_id}"))] * AT_ONCE)
    assert statuses(items).count(200) == 1 and set(statuses(items)) <= {200, 404}, items


def test_enrolling_one_class_many_times_at_once_links_it_and_its_students_once(app, course, server, login_as, api):
    tenant = course["tenant"]
    token = login_as(tenant, "org_admin")
    admin = api(tenant, token)
    branch_id = admin.post(
        f"/api/v1/organizations/{tenant.id}/branches", json={"code": "north", "name": "North"}
    ).get_json()["data"]["id"]
    class_id = admin.post("/api/v1/classes", json={"branch_id": branch_id, "name": "Year 9"}).get_json()["data"]["id"]
    students = [course["learner_id"], make_user(app, tenant, "student")]
    admin.post(f"/api/v1/classes/{class_id}/members", json={"user_ids": students, "role": "student"})

    remote = Remote(server, tenant, token)
    results = at_once(
        [(lambda: remote.call("POST", f"/api/v1/courses/{course['id']}/enrollments", {"class_id": class_id}))] * AT_ONCE
    )
    assert statuses(results) == [201] * AT_ONCE, results
    assert sum(body["data"]["created"] for _, body in results) == len(students)
    enrolled = _rows(app, tenant, sa.select(Enrollment.user_id).where(Enrollment.course_id == course["id"]))
    assert sorted(user_id for (user_id,) in enrolled) == sorted(students)


def test_covers_set_many_times_at_once_leave_one_file_in_the_storage(app, course, server):
    """Each change deletes the cover it replaced: had two read the same old cover, one new file would stay
    in the storage forever, named by no row."""

    from app.storage import media_storage
    from tests.support.courses import _image

    tenant, remote = course["tenant"], course["remote_teacher"]
    boundary = "tessera-boundary"
    picture = _image((64, 36))

    def put_cover():
        body = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="c.jpg"\r\n'
            f"Content-Type: image/jpeg\r\n\r\n".encode()
            + picture
            + f"\r\n--{boundary}--\r\n".encode()
        )
        connection = http.client.HTTPConnection("127.0.0.1", server, timeout=60)
        try:
            headers = {
                "Host": remote.host,
                "Authorization": f"Bearer {remote.token}",
                "Content-Type": f"multipart/form-data; boundary={boundary}",
            }
            connection.request("PUT", f"/api/v1/courses/{course['id']}/cover", body=body, headers=headers)
            response = connection.getresponse()
            return response.status, json.loads(response.read())
        finally:
            connection.close()

    results = at_once([put_cover] * 10)
    assert statuses(results) == [200] * 10, results
    with app.app_context():
        files = [path for path in (media_storage().root / tenant.slug).iterdir() if path.is_file()]
    shown = course["teacher"].get(f"/api/v1/courses/{course['id']}").get_json()["data"]["cover_url"]
    assert len(files) == 1 and files[0].name[:12] in shown


def test_removing_a_course_while_people_are_enrolled_into_it_loses_no_enrollment(app, course):
    """Either the removal comes first (the enrollments find no course: 404) or an enrollment does (the course
    is archived, with its enrollments): never a course deleted from under a fresh enrollment, never a 500."""
    tenant, remote = course["tenant"], course["remote_teacher"]
    learners = [make_user(app, tenant, "student") for _ in range(AT_ONCE - 1)]
    enroll = [
        (
            lambda user_id=user_id: remote.call(
                "POST", f"/api/v1/courses/{course['id']}/enrollments", {"user_ids": [user_id]}
            )
        )
        for user_id in learners
    ]
    *enrolled, removed = at_once([*enroll, lambda: remote.call("DELETE", f"/api/v1/courses/{course['id']}")])
    assert removed[0] == 200 and set(statuses(enrolled)) <= {201, 404}, (removed, enrolled)
    kept = _rows(app, tenant, sa.select(Enrollment.user_id).where(Enrollment.course_id == course["id"]))
    assert len(kept) == statuses(enrolled).count(201)
    assert removed[1]["data"]["outcome"] == ("archived" if kept else "deleted")


def test_editing_an_item_while_it_is_removed_answers_200_or_404(course):
    remote, item_id = course["remote_teacher"], course["item_id"]
    edits = [(lambda n=n: remote.call("PUT", f"/api/v1/content/{item_id}", {"body": f"<p>{n}</p>"})) for n in range(10)]
    *edited, removed = at_once([*edits, lambda: remote.call("DELETE", f"/api/v1/content/{item_id}")])
    assert removed[0] == 200 and set(statuses(edited)) <= {200, 404}, edited
