"""Scheduled reports through the API and a real worker with RQ's scheduler: a schedule whose time has come makes a
report as its owner, its recipients get the link by mail (the report opens for them after signing in, and is a
404 for anyone else); paused, deleted or moved schedules do nothing; recipients outside the owner's reach are
refused; the sweep queues a run whose job was lost."""

import re
import time
from datetime import timedelta

import pytest
from rq.job import Job

from app.events.catalog import build
from app.extensions import db
from app.jobs import EventWorker, get_event_queue, redis_connection
from app.tenancy.context import tenant_context
from app.tenancy.models import utcnow
from blueprints.notifications.subscribers import tell_report_ready
from blueprints.reports.cli import sweep_reports
from blueprints.reports.models import Report, ReportSchedule
from blueprints.reports.schedules import queue_run, run_job_id
from tests.conftest import make_user, run_jobs, user_token
from tests.support.api_keys import key_client
from tests.support.browser import Browser


@pytest.fixture
def office(app, api, tenant, login_as):
    """Branches North and South; in North a manager, a teacher (member) and a student; in South a teacher."""
    admin = api(tenant, login_as(tenant, "org_admin"))
    base = f"/api/v1/organizations/{tenant.id}/branches"
    north = admin.post(base, json={"code": "north", "name": "North"}).get_json()["data"]["id"]
    south = admin.post(base, json={"code": "south", "name": "South"}).get_json()["data"]["id"]
    ids = {
        "manager": make_user(app, tenant, "branch_manager", email="boss@example.org", first_name="Bo", last_name="Ss"),
        "north_teacher": make_user(app, tenant, "teacher", email="nt@example.org", first_name="Nora", last_name="T"),
        "north_student": make_user(app, tenant, "student", email="ns@example.org"),
        "south_teacher": make_user(app, tenant, "teacher", email="st@example.org", first_name="Sam", last_name="T"),
    }
    for key, branch, role in (
        ("manager", north, "branch_manager"),
        ("north_teacher", north, "teacher"),
        ("north_student", north, "student"),
        ("south_teacher", south, "teacher"),
    ):
        assert admin.post(f"{base}/{branch}/users", json={"user_id": ids[key], "role": role}).status_code < 300
    with app.app_context():
        manager = api(tenant, user_token(app, tenant, ids["manager"], "branch_manager"))
    return {"tenant": tenant, "admin": admin, "manager": manager, "ids": ids, "north": north, "south": south}


def weekly(**fields):
    return {
        "name": "Weekly completion",
        "kind": "course_completion",
        "format": "csv",
        "cadence": "weekly",
        "weekday": 0,
        "hour": 6,
    } | fields


def _schedule_row(app, tenant, schedule_id):
    with tenant_context(tenant, app):
        schedule = db.session.get(ReportSchedule, schedule_id)
        return (
            None if schedule is None else {c: getattr(schedule, c) for c in ("active", "next_run_at", "last_report_id")}
        )


def _due_in(app, tenant, schedule_id, seconds):
    """Move the schedule's next run to `seconds` from now, with its job queued for then (the old job then finds
    the schedule moved)."""
    with tenant_context(tenant, app):
        schedule = db.session.get(ReportSchedule, schedule_id)
        schedule.next_run_at = (utcnow() + timedelta(seconds=seconds)).replace(microsecond=0)
        db.session.commit()
        queue_run(schedule)
        return schedule.next_run_at


def _work_due_runs(app):
    """The worker of `flask worker --events` with its scheduler: moves due runs to the queue, runs them."""
    with app.app_context():
        EventWorker([get_event_queue()], connection=redis_connection()).work(burst=True, with_scheduler=True)


def _reports_of(app, tenant, schedule_id):
    with tenant_context(tenant, app):
        rows = db.session.query(Report).filter(Report.schedule_id == schedule_id).order_by(Report.id).all()
        return [(r.id, r.status, r.requested_by_id, list(r.recipient_ids)) for r in rows]


def test_a_due_schedule_makes_the_report_and_mails_its_link_to_the_recipients(app, office, mailbox):
    tenant, manager, ids = office["tenant"], office["manager"], office["ids"]
    created = manager.post("/api/v1/reports/schedules", json=weekly(recipient_ids=[ids["north_teacher"]]))
    assert created.status_code == 201, created.get_json()
    schedule = created.get_json()["data"]
    assert schedule["next_run_at"].endswith("06:00:00Z") and schedule["active"] is True

    due = _due_in(app, tenant, schedule["id"], 2)
    _work_due_runs(app)  # not due yet: the scheduler leaves the job where it is
    assert _reports_of(app, tenant, schedule["id"]) == []
    time.sleep(max(0.0, (due - utcnow()).total_seconds()) + 1.2)
    _work_due_runs(app)
    reports = _reports_of(app, tenant, schedule["id"])
    assert [(status, owner, recipients) for _id, status, owner, recipients in reports] == [
        ("queued", ids["manager"], [ids["north_teacher"]])
    ]
    row = _schedule_row(app, tenant, schedule["id"])
    assert row["last_report_id"] == reports[0][0] and row["next_run_at"] > due  # the next Monday's run, queued
    assert row["next_run_at"].weekday() == 0 and row["next_run_at"].hour == 6

    run_jobs(app)  # generation, then report.ready's delivery, then the mail job
    run_jobs(app)
    report_id = reports[0][0]
    assert _reports_of(app, tenant, schedule["id"])[0][1] == "done"
    mails = mailbox.to("nt@example.org")
    assert len(mails) == 1 and mailbox.to("boss@example.org") == []
    mail = mails[0]
    assert "Weekly completion" in mail["Subject"] and tenant.name in mail["Subject"]
    text = mail.get_body(("plain",)).get_content()
    link = f"http://{tenant.slug}.localhost:5000/reports/{report_id}"
    assert link in text and tenant.name in text and "Weekly completion" in text
    html = mail.get_body(("html",)).get_content()
    assert f'href="{link}"' in html and "Weekly completion" in html  # the notification's branded HTML
    assert not any(part.get_filename() for part in mail.walk())  # the file is never attached

    path = re.sub(r"^http://[^/]+", "", link)
    recipient = Browser(app, tenant)
    assert recipient.get(path).status_code == 302  # signing in first
    recipient.sign_in("nt@example.org", next_path=path)
    page = recipient.get(path)
    assert page.status_code == 200 and "Download" in page.get_data(as_text=True)
    assert recipient.get(f"{path}/download").status_code == 200
    stranger = Browser(app, tenant)
    stranger.sign_in("st@example.org")
    assert stranger.get(path).status_code == 404 and stranger.get(f"{path}/download").status_code == 404

    with tenant_context(tenant, app):  # one event delivered twice (after a crash): mailed once
        event = build(
            "report.ready",
            tenant=tenant.slug,
            event_id="one-event",
            report_id=report_id,
            kind="course_completion",
            requested_by_id=ids["manager"],
            schedule_id=schedule["id"],
        )
        tell_report_ready(event)
        tell_report_ready(event)
    run_jobs(app)
    assert len(mailbox.to("nt@example.org")) == 2


def test_paused_deleted_and_moved_schedules_do_not_run(app, office):
    tenant, manager = office["tenant"], office["manager"]
    paused = manager.post("/api/v1/reports/schedules", json=weekly(name="Paused")).get_json()["data"]
    deleted = manager.post("/api/v1/reports/schedules", json=weekly(name="Deleted")).get_json()["data"]
    moved = manager.post("/api/v1/reports/schedules", json=weekly(name="Moved")).get_json()["data"]
    for schedule in (paused, deleted, moved):
        _due_in(app, tenant, schedule["id"], 1)
    answer = manager.put(f"/api/v1/reports/schedules/{paused['id']}", json={"active": False})
    assert answer.status_code == 200 and answer.get_json()["data"]["active"] is False
    assert answer.get_json()["data"]["next_run_at"] is None
    assert manager.delete(f"/api/v1/reports/schedules/{deleted['id']}").status_code == 200
    assert manager.get(f"/api/v1/reports/schedules/{deleted['id']}").status_code == 404
    changed = manager.put(f"/api/v1/reports/schedules/{moved['id']}", json={"cadence": "daily", "hour": 5})
    assert changed.status_code == 200 and changed.get_json()["data"]["next_run_at"].endswith("05:00:00Z")
    time.sleep(2.2)
    _work_due_runs(app)
    for schedule in (paused, deleted, moved):
        assert _reports_of(app, tenant, schedule["id"]) == []

    resumed = manager.put(f"/api/v1/reports/schedules/{paused['id']}", json={"active": True}).get_json()["data"]
    assert resumed["active"] is True and resumed["next_run_at"] is not None


def test_recipients_outside_the_owners_reach_are_refused(app, office):
    manager, ids, admin = office["manager"], office["ids"], office["admin"]
    for outside in (ids["south_teacher"], ids["north_student"], 999999):
        refused = manager.post("/api/v1/reports/schedules", json=weekly(recipient_ids=[ids["north_teacher"], outside]))
        assert refused.status_code == 422, refused.get_json()
        assert str(outside) in refused.get_json()["error"]["details"]["recipient_ids"][0]
    mine = manager.post("/api/v1/reports/schedules", json=weekly(recipient_ids=[ids["manager"], ids["north_teacher"]]))
    assert mine.status_code == 201
    schedule_id = mine.get_json()["data"]["id"]
    moved_out = manager.put(f"/api/v1/reports/schedules/{schedule_id}", json={"recipient_ids": [ids["south_teacher"]]})
    assert moved_out.status_code == 422
    assert manager.get(f"/api/v1/reports/schedules/{schedule_id}").get_json()["data"]["recipient_ids"] == [
        ids["manager"],
        ids["north_teacher"],
    ]
    # an org admin reaches every member of staff, and sees (and may change) the manager's schedule
    assert admin.post("/api/v1/reports/schedules", json=weekly(recipient_ids=[ids["south_teacher"]])).status_code == 201
    listed = admin.get("/api/v1/reports/schedules?all=true").get_json()["data"]
    assert schedule_id in [s["id"] for s in listed]
    assert schedule_id not in [s["id"] for s in admin.get("/api/v1/reports/schedules").get_json()["data"]]
    assert admin.put(f"/api/v1/reports/schedules/{schedule_id}", json={"hour": 7}).status_code == 200


def test_bad_fields_are_named_and_other_peoples_schedules_are_not_found(app, office, api, login_as):
    manager, tenant = office["manager"], office["tenant"]
    answer = manager.post(
        "/api/v1/reports/schedules",
        json=weekly(name=" ", kind="course_completion", format="pdf", cadence="monthly", month_day=None),
    )
    assert answer.status_code == 400
    assert set(answer.get_json()["error"]["details"]) == {"name", "format", "month_day"}
    unknown_kind = manager.post("/api/v1/reports/schedules", json=weekly(kind="nonsense"))
    assert unknown_kind.status_code == 400 and "kind" in unknown_kind.get_json()["error"]["details"]
    fixed_dates = manager.post("/api/v1/reports/schedules", json=weekly(params={"date_from": "2026-01-01"}))
    assert fixed_dates.status_code == 422  # the body's schema: a schedule's period is period_days
    assert "date_from" in str(fixed_dates.get_json()["error"]["details"])
    south = manager.post("/api/v1/reports/schedules", json=weekly(params={"branch_id": office["south"]}))
    assert south.status_code == 404  # nobody learns that another branch exists
    north = manager.post("/api/v1/reports/schedules", json=weekly(params={"branch_id": office["north"]}))
    assert north.status_code == 201 and north.get_json()["data"]["params"] == {"branch_id": office["north"]}

    other_manager = api(tenant, login_as(tenant, "branch_manager"))
    schedule_id = north.get_json()["data"]["id"]
    assert other_manager.get(f"/api/v1/reports/schedules/{schedule_id}").status_code == 404
    assert other_manager.put(f"/api/v1/reports/schedules/{schedule_id}", json={"hour": 1}).status_code == 404
    assert other_manager.delete(f"/api/v1/reports/schedules/{schedule_id}").status_code == 404
    student = api(tenant, login_as(tenant, "student"))
    assert student.get("/api/v1/reports/schedules").status_code == 403


def test_a_deactivated_owner_pauses_the_schedule(app, office):
    tenant, manager, admin, ids = office["tenant"], office["manager"], office["admin"], office["ids"]
    schedule = manager.post("/api/v1/reports/schedules", json=weekly()).get_json()["data"]
    _due_in(app, tenant, schedule["id"], 1)
    assert admin.put(f"/api/v1/users/{ids['manager']}", json={"is_active": False}).status_code == 200
    time.sleep(2.2)
    _work_due_runs(app)
    assert _reports_of(app, tenant, schedule["id"]) == []
    row = _schedule_row(app, tenant, schedule["id"])
    assert row["active"] is False and row["next_run_at"] is None


def test_the_sweep_queues_a_run_whose_job_was_lost(app, office):
    tenant, manager = office["tenant"], office["manager"]
    schedule = manager.post("/api/v1/reports/schedules", json=weekly()).get_json()["data"]
    with tenant_context(tenant, app):
        row = db.session.get(ReportSchedule, schedule["id"])
        job_id = run_job_id(row)
        row.next_run_at = utcnow().replace(microsecond=0) - timedelta(minutes=10)  # overdue, and its job is gone
        db.session.commit()
    with app.app_context():
        Job.fetch(job_id, connection=redis_connection()).delete()
    assert sweep_reports(app)[0] >= 1
    assert sweep_reports(app)[0] == 0  # queued now: not again
    _work_due_runs(app)
    assert [status for _id, status, *_rest in _reports_of(app, tenant, schedule["id"])] == ["queued"]
    swept = app.test_cli_runner().invoke(args=["reports", "sweep", "--once"])  # what `make run` starts
    assert swept.exit_code == 0 and "overdue scheduled runs" in swept.output


def test_filters_out_of_the_owners_reach_at_run_time_pause_the_schedule(app, office):
    tenant, manager = office["tenant"], office["manager"]
    schedule = manager.post("/api/v1/reports/schedules", json=weekly(params={"branch_id": office["north"]}))
    schedule_id = schedule.get_json()["data"]["id"]
    with tenant_context(tenant, app):  # as if North had left the manager's reach since (their branch changed)
        row = db.session.get(ReportSchedule, schedule_id)
        row.params = {"branch_id": office["south"]}
        db.session.commit()
    _due_in(app, tenant, schedule_id, 1)
    time.sleep(2.2)
    _work_due_runs(app)
    assert _reports_of(app, tenant, schedule_id) == []
    assert _schedule_row(app, tenant, schedule_id)["active"] is False
    assert manager.get(f"/api/v1/reports/schedules/{schedule_id}").get_json()["data"]["active"] is False


def test_a_key_whose_id_is_the_owners_sees_none_of_their_schedules(app, office):
    tenant, manager, ids = office["tenant"], office["manager"], office["ids"]
    schedule_id = manager.post("/api/v1/reports/schedules", json=weekly()).get_json()["data"]["id"]
    key, key_id = key_client(app, tenant, ["branch_manager"], past_user_id=ids["manager"] - 1)
    assert key_id == ids["manager"]  # the same number as the schedule's owner
    assert key("GET", "/api/v1/reports/schedules").get_json()["data"] == []
    assert key("GET", f"/api/v1/reports/schedules/{schedule_id}").status_code == 404
    assert key("DELETE", f"/api/v1/reports/schedules/{schedule_id}").status_code == 404
    refused = key("POST", "/api/v1/reports/schedules", json=weekly())
    assert (refused.status_code, refused.get_json()["error"]["code"]) == (403, "PERSON_ONLY")
    org_key, _id = key_client(app, tenant, ["org_admin"])
    assert [s["id"] for s in org_key("GET", "/api/v1/reports/schedules?all=true").get_json()["data"]] == [schedule_id]


def test_a_name_is_one_line_and_a_schedule_that_cannot_run_can_still_be_paused(app, office):
    tenant, manager = office["tenant"], office["manager"]
    made = manager.post("/api/v1/reports/schedules", json=weekly(name="Weekly\r\nBcc: everyone@example.org"))
    assert made.status_code == 201 and made.get_json()["data"]["name"] == "Weekly Bcc: everyone@example.org"
    schedule_id = made.get_json()["data"]["id"]
    with tenant_context(tenant, app):  # its branch has left the manager's reach
        db.session.get(ReportSchedule, schedule_id).params = {"branch_id": office["south"]}
        db.session.commit()
    assert manager.put(f"/api/v1/reports/schedules/{schedule_id}", json={"hour": 8}).status_code == 404
    paused = manager.put(f"/api/v1/reports/schedules/{schedule_id}", json={"active": False})
    assert paused.status_code == 200 and paused.get_json()["data"]["active"] is False
