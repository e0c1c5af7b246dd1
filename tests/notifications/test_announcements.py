"""Announcements through the API: each role reaches the audiences of its scope and no other (404 naming
`audience_ids`, 403 for the organization), the people told are the audience's active people at SEND time, a
job run twice or killed half way tells nobody twice, a scheduled one is sent by the scheduler's job or, when that
job was lost, by the sweep; cancel; the checks and the hourly limit. Real Redis, real RQ, SQLite and PostgreSQL."""

import time
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from rq import SimpleWorker
from rq.job import Job

from app.extensions import db
from app.jobs import get_queue, redis_connection
from app.tenancy.context import tenant_context
from app.tenancy.models import utcnow
from app.tenancy.provisioning import provision_tenant
from blueprints.branches.scope import BranchScope
from blueprints.classes import services as classes
from blueprints.notifications import announcements
from blueprints.notifications.models import Announcement, Notification
from blueprints.notifications.producing import notify
from blueprints.notifications.sweep import sweep_organization
from blueprints.users.models import User
from tests.conftest import PASSWORD, ApiClient, build_app, destroy_tenant, run_jobs, unique_slug, user_token
from tests.support.announcements import ROLES, announcement_row, build_campus, told

BODY = {"title": "Fire drill on Friday", "body": "Meet in the yard at 10:00.\n\nBring nothing."}


@pytest.fixture(scope="module")
def campus(app_config):
    """One organization with the campus of tests/support/announcements.py, shared by the module's tests (each
    leaves no announcement behind)."""
    app = build_app(app_config)
    with app.app_context():
        tenant = provision_tenant(unique_slug("announce"), "Campus", "admin@example.org", PASSWORD).tenant.ref()
    try:
        ids = build_campus(app, tenant)
        run_jobs(app)
        yield app, tenant, ids
    finally:
        destroy_tenant(app, tenant.id)


@pytest.fixture(autouse=True)
def _no_announcement_left(request):
    yield
    if "campus" in request.fixturenames:
        app, tenant, _ids = request.getfixturevalue("campus")
        with tenant_context(tenant, app):
            db.session.execute(sa.delete(Notification))
            db.session.execute(sa.delete(Announcement))
            db.session.commit()
        with app.app_context():
            get_queue().empty()
            registry = get_queue().scheduled_job_registry
            for job_id in registry.get_job_ids():
                registry.remove(job_id)


def _client(app, tenant, ids, key):
    return ApiClient(app.test_client(), tenant, user_token(app, tenant, ids[key], ROLES[key]))


def _send(app, tenant, ids, key, audience, *audience_ids, **fields):
    return _client(app, tenant, ids, key).post(
        "/api/v1/notifications", json=BODY | {"audience": audience, "audience_ids": list(audience_ids)} | fields
    )


# (who, audience, audience_ids as keys of the campus, whom it tells; or the refusal's status)
CASES = [
    ("admin", "organization", (), ["bm_north", "t1", "t2", "s_n1", "s_n2", "s_s1"]),  # not the author, not s_gone
    ("admin", "branch", ("south",), ["t2", "s_s1"]),
    ("admin", "class", ("s1",), ["s_s1"]),
    ("admin", "course", ("c_org",), ["s_n2", "s_s1"]),
    ("admin", "people", ("s_n2", "t2", "s_gone"), ["t2", "s_n2"]),
    ("bm_north", "organization", (), 403),
    ("bm_north", "branch", ("north",), ["t1", "s_n1", "s_n2"]),
    ("bm_north", "branch", ("south",), 404),
    ("bm_north", "class", ("n1",), ["s_n1"]),
    ("bm_north", "class", ("s1",), 404),  # another branch's class
    ("bm_north", "course", ("c1",), ["s_n1"]),
    ("bm_north", "course", ("c_org",), ["s_n2"]),  # an organization-wide course: the learners of North only
    ("bm_north", "course", ("c2",), 404),  # another branch's course
    ("bm_north", "people", ("s_n2", "t1"), ["t1", "s_n2"]),
    ("bm_north", "people", ("s_n2", "s_s1"), 404),  # another branch's person among them
    ("t1", "organization", (), 403),
    ("t1", "branch", ("north",), 404),  # a teacher manages no branch
    ("t1", "class", ("n1",), ["s_n1"]),
    ("t1", "class", ("s1",), 404),
    ("t1", "course", ("c1",), ["s_n1"]),
    ("t1", "course", ("c_org",), 404),  # seen, not taught
    ("t1", "course", ("c2",), 404),
    ("t1", "people", ("s_n1",), ["s_n1"]),
    ("t1", "people", ("s_n2",), 404),  # of the same branch, but in none of t1's classes or courses
    ("t1", "people", ("s_s1",), 404),
    ("t2", "class", ("s1",), ["s_s1"]),
    ("t2", "class", ("n1",), 404),
    ("t2", "course", ("c2",), ["s_s1"]),
    ("s_n1", "class", ("n1",), 403),  # students do not announce
]


@pytest.mark.parametrize(
    ("who", "audience", "targets", "expected"),
    CASES,
    ids=[f"{who}-{audience}-{'+'.join(targets) or 'all'}" for who, audience, targets, _ in CASES],
)
def test_each_role_reaches_the_audiences_of_its_scope_and_no_other(campus, who, audience, targets, expected):
    app, tenant, ids = campus
    response = _send(app, tenant, ids, who, audience, *[ids[key] for key in targets])
    if isinstance(expected, int):
        assert response.status_code == expected, response.get_json()
        if expected == 404:
            assert "audience_ids" in response.get_json()["error"]["details"]
        with tenant_context(tenant, app):
            assert db.session.scalar(sa.select(sa.func.count(Announcement.id))) == 0  # nothing written
        return
    assert response.status_code == 201, response.get_json()
    created = response.get_json()["data"]
    assert (created["status"], created["recipients"]) == ("scheduled", None)
    assert told(app, tenant, created["id"]) == []  # sent by the job, not by the request
    run_jobs(app)
    assert told(app, tenant, created["id"]) == sorted(ids[key] for key in expected)
    shown = _client(app, tenant, ids, who).get(f"/api/v1/notifications/announcements/{created['id']}").get_json()
    assert (shown["data"]["status"], shown["data"]["recipients"]) == ("sent", len(expected))


def test_what_people_read_is_the_announcement_signed_by_its_author(campus):
    app, tenant, ids = campus
    created = _send(app, tenant, ids, "t1", "class", ids["n1"]).get_json()["data"]
    run_jobs(app)
    with tenant_context(tenant, app):
        row = db.session.scalar(sa.select(Notification).where(Notification.announcement_id == created["id"]))
        assert (row.type, row.source_key, row.subject) == (
            "announcement",
            f"announcement:{created['id']}",
            BODY["title"],
        )
        assert row.body == "Meet in the yard at 10:00.\n\nBring nothing.\n\nT1 Campus"
        assert row.in_app


def test_an_api_key_cannot_sign_an_announcement(campus):
    app, tenant, ids = campus
    key = _client(app, tenant, ids, "admin").post("/api/v1/api-keys", json={"name": "SIS", "roles": ["org_admin"]})
    secret = key.get_json()["data"]["key"]
    client = ApiClient(app.test_client(), tenant)
    sent = client.post("/api/v1/notifications", json=BODY | {"audience": "organization"}, headers={"X-API-Key": secret})
    assert (sent.status_code, sent.get_json()["error"]["code"]) == (403, "PERSON_ONLY")
    listed = client.get("/api/v1/notifications/announcements", headers={"X-API-Key": secret})
    assert listed.status_code == 200 and listed.get_json()["data"] == []


def test_the_job_run_twice_or_killed_half_way_tells_nobody_twice(campus):
    app, tenant, ids = campus
    created = _send(app, tenant, ids, "admin", "organization").get_json()["data"]
    everyone = sorted(ids[key] for key in ("bm_north", "t1", "t2", "s_n1", "s_n2", "s_s1"))
    with tenant_context(tenant, app):  # a worker that died after telling two people and before marking it sent
        db.session.execute(sa.update(Announcement).values(status="sending"))
        context = {"announcement": {"title": BODY["title"], "body": BODY["body"], "author": "Admin"}}
        notify("announcement", everyone[:2], source_key=f"announcement:{created['id']}", context=context,
               announcement_id=created["id"])  # fmt: skip
        db.session.commit()
        get_queue().empty()  # ... and its job was lost with it
        assert announcements.send_due_announcements() == 1  # the sweep queues it again
    run_jobs(app)
    assert told(app, tenant, created["id"]) == everyone  # the rest were told, the first two once
    assert announcement_row(app, tenant, created["id"])["recipients"] == len(everyone)

    with tenant_context(tenant, app):  # the job delivered twice (a retry after a crash past the commit)
        assert announcements.send_announcement(created["id"]) == "nothing to do"
        db.session.execute(sa.update(Announcement).values(status="sending"))
        db.session.commit()
        assert announcements.send_announcement(created["id"]) == f"sent to {len(everyone)}"
    assert told(app, tenant, created["id"]) == everyone
    with tenant_context(tenant, app):
        assert announcements.send_due_announcements() == 0  # nothing left to do


def _scheduled_jobs(app, tenant, announcement_id):
    with app.app_context():
        registry = get_queue().scheduled_job_registry
        jobs = Job.fetch_many(registry.get_job_ids(), connection=redis_connection())
        wanted = (tenant.slug, "blueprints.notifications.announcements.send_announcement", announcement_id)
        return [job for job in jobs if job is not None and job.args[:3] == wanted], registry


def test_a_scheduled_announcement_is_sent_by_the_job_queued_for_its_time(campus):
    app, tenant, ids = campus
    send_at = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=2)
    created = _send(app, tenant, ids, "t1", "course", ids["c1"], send_at=send_at.isoformat()).get_json()["data"]
    assert created["send_at"] == send_at.isoformat().replace("+00:00", "Z")
    jobs, _registry = _scheduled_jobs(app, tenant, created["id"])
    assert len(jobs) == 1  # queued for its time, not run before
    run_jobs(app)
    assert announcement_row(app, tenant, created["id"])["status"] == "scheduled"
    time.sleep(max(0.0, (send_at - datetime.now(UTC)).total_seconds()) + 0.5)
    with app.app_context():  # the worker of `flask worker`: its scheduler moves the due job, then runs it
        SimpleWorker([get_queue()], connection=redis_connection()).work(burst=True, with_scheduler=True)
    row = announcement_row(app, tenant, created["id"])
    assert (row["status"], row["recipients"]) == ("sent", 1)
    assert row["sent_at"] >= send_at.replace(tzinfo=None)
    assert told(app, tenant, created["id"]) == [ids["s_n1"]]


def test_the_sweep_sends_a_scheduled_announcement_whose_job_was_lost(campus):
    app, tenant, ids = campus
    later = (datetime.now(UTC) + timedelta(hours=2)).isoformat()
    created = _send(app, tenant, ids, "bm_north", "branch", ids["north"], send_at=later).get_json()["data"]
    jobs, registry = _scheduled_jobs(app, tenant, created["id"])
    for job in jobs:  # Redis lost it
        registry.remove(job)
        job.delete()
    with tenant_context(tenant, app):
        assert announcements.send_due_announcements() == 0  # not due yet
        db.session.execute(sa.update(Announcement).values(send_at=utcnow() - timedelta(minutes=5)))
        db.session.commit()
        sweep_organization()  # what `flask notifications sweep` does every minute
        assert announcements.send_due_announcements() == 0  # its job waits now: not queued twice
        assert _scheduled_jobs(app, tenant, created["id"])[0] == [] and get_queue().count == 1
    run_jobs(app)
    assert told(app, tenant, created["id"]) == sorted(ids[key] for key in ("t1", "s_n1", "s_n2"))


def test_a_scheduled_announcement_is_cancelled_by_its_author_or_an_org_admin_only(campus):
    app, tenant, ids = campus
    later = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    first = _send(app, tenant, ids, "t1", "class", ids["n1"], send_at=later).get_json()["data"]
    second = _send(app, tenant, ids, "t1", "class", ids["n1"], send_at=later).get_json()["data"]
    path = f"/api/v1/notifications/announcements/{first['id']}"
    assert _client(app, tenant, ids, "t2").delete(path).status_code == 404  # another teacher's: not found
    assert _client(app, tenant, ids, "bm_north").get(path).status_code == 404
    cancelled = _client(app, tenant, ids, "t1").delete(path)
    assert (cancelled.status_code, cancelled.get_json()["data"]["status"]) == (200, "cancelled")
    assert _scheduled_jobs(app, tenant, first["id"])[0] == []  # its job is gone
    again = _client(app, tenant, ids, "t1").delete(path)
    assert (again.status_code, again.get_json()["error"]["code"]) == (409, "NOT_SCHEDULED")
    by_admin = _client(app, tenant, ids, "admin").delete(f"/api/v1/notifications/announcements/{second['id']}")
    assert by_admin.get_json()["data"]["status"] == "cancelled"
    with tenant_context(tenant, app):  # a job that ran anyway tells nobody
        assert announcements.send_announcement(first["id"]) == "nothing to do"
    assert told(app, tenant, first["id"]) == []

    sent = _send(app, tenant, ids, "t1", "class", ids["n1"]).get_json()["data"]
    run_jobs(app)
    refused = _client(app, tenant, ids, "t1").delete(f"/api/v1/notifications/announcements/{sent['id']}")
    assert (refused.status_code, refused.get_json()["error"]["code"]) == (409, "NOT_SCHEDULED")


def test_the_list_shows_mine_and_an_org_admin_everyones(campus):
    app, tenant, ids = campus
    mine = _send(app, tenant, ids, "t1", "class", ids["n1"]).get_json()["data"]
    theirs = _send(app, tenant, ids, "t2", "class", ids["s1"]).get_json()["data"]
    listed = _client(app, tenant, ids, "t1").get("/api/v1/notifications/announcements").get_json()
    assert [a["id"] for a in listed["data"]] == [mine["id"]] and listed["meta"]["total"] == 1
    everyone = _client(app, tenant, ids, "admin").get("/api/v1/notifications/announcements?sort=id").get_json()
    assert [a["id"] for a in everyone["data"]] == [mine["id"], theirs["id"]]
    bad = _client(app, tenant, ids, "admin").get("/api/v1/notifications/announcements?filter[body]=x")
    assert bad.status_code == 400
    student = _client(app, tenant, ids, "s_n1").get("/api/v1/notifications/announcements")
    assert student.status_code == 403


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"title": "x" * 201}, "title"),
        ({"title": "   "}, "title"),
        ({"body": "x" * 10_001}, "body"),
        ({"audience": "planet"}, "audience"),
        ({"audience_ids": []}, "audience_ids"),
        ({"audience_ids": ["1"]}, "audience_ids"),
        ({"send_at": "2020-01-01T09:00:00Z"}, "send_at"),
        ({"send_at": (datetime.now(UTC) + timedelta(days=370)).isoformat()}, "send_at"),
        ({"send_at": "tomorrow"}, "send_at"),
    ],
)
def test_what_is_wrong_is_named(campus, fields, field):
    app, tenant, ids = campus
    body = BODY | {"audience": "class", "audience_ids": [ids["n1"]]} | fields
    response = _client(app, tenant, ids, "t1").post("/api/v1/notifications", json=body)
    assert response.status_code == 422, response.get_json()
    assert field in response.get_json()["error"]["details"]


def test_twenty_an_hour_then_429(campus):
    app, tenant, ids = campus
    with tenant_context(tenant, app):
        for n in range(announcements.PER_HOUR):
            db.session.add(
                Announcement(
                    title=f"Earlier {n}", body="x", audience="class", audience_ids=[ids["n1"]],
                    author_id=ids["t1"], status="cancelled", created_at=utcnow() - timedelta(minutes=50),
                )
            )  # fmt: skip
        db.session.commit()
    refused = _send(app, tenant, ids, "t1", "class", ids["n1"])
    assert (refused.status_code, refused.get_json()["error"]["code"]) == (429, "RATE_LIMITED")
    assert refused.headers["Retry-After"]
    assert _send(app, tenant, ids, "t2", "class", ids["s1"]).status_code == 201  # another author is not held back


def test_the_people_told_are_the_audiences_when_it_is_sent(app, tenant):
    """A scheduled announcement tells who is in the class when it goes, not who was when it was written; and
    an author who lost the class since tells nobody there."""
    ids = build_campus(app, tenant)
    later = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    client = ApiClient(app.test_client(), tenant, user_token(app, tenant, ids["t1"], "teacher"))
    to_class = client.post(
        "/api/v1/notifications", json=BODY | {"audience": "class", "audience_ids": [ids["n1"]], "send_at": later}
    ).get_json()["data"]
    with tenant_context(tenant, app):
        school_class = classes.get_class(ids["n1"], BranchScope(None))
        classes.add_members(school_class, [ids["s_n2"]], "student", scope=BranchScope(None))  # joined since
        db.session.get(User, ids["s_n1"]).is_active = False  # left the school since
        db.session.execute(sa.update(Announcement).values(send_at=utcnow()))
        db.session.commit()
        assert announcements.send_announcement(to_class["id"]) == "sent to 1"
    assert told(app, tenant, to_class["id"]) == [ids["s_n2"]]


def test_an_author_who_may_no_longer_announce_sends_nothing(app, tenant):
    ids = build_campus(app, tenant)
    later = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    client = ApiClient(app.test_client(), tenant, user_token(app, tenant, ids["t1"], "teacher"))
    created = client.post(
        "/api/v1/notifications", json=BODY | {"audience": "class", "audience_ids": [ids["n1"]], "send_at": later}
    ).get_json()["data"]
    with tenant_context(tenant, app):
        db.session.get(User, ids["t1"]).is_active = False
        db.session.execute(sa.update(Announcement).values(send_at=utcnow()))
        db.session.commit()
        assert announcements.send_announcement(created["id"]).startswith("cancelled")
    assert announcement_row(app, tenant, created["id"])["status"] == "cancelled"
    assert told(app, tenant, created["id"]) == []


def test_my_notifications_and_a_new_announcement_share_one_path(campus):
    """GET /api/v1/notifications (the notifications part's list) and POST (an announcement) are two blueprints on
    one URL: Flask routes each method to its own, and the OpenAPI document lists both under the one path."""
    app, tenant, ids = campus
    document = app.test_client().get("/api/v1/openapi.json", headers={"Host": "localhost:5000"}).get_json()
    assert {"get", "post"} <= set(document["paths"]["/api/v1/notifications"])
    teacher = _client(app, tenant, ids, "t1")
    assert teacher.get("/api/v1/notifications").status_code == 200
    assert _send(app, tenant, ids, "t1", "class", ids["n1"]).status_code == 201
    assert teacher.put("/api/v1/notifications").status_code == 405
