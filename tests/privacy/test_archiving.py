"""Archiving by policy: off by default; a dry run shows what a policy would change and changes nothing; a run
archives the courses and deactivates the people with no activity for the months set (never org admins), leaves
the catalog and sign-in to match, emits one event with the ids, and its reversal restores exactly what it changed."""

from datetime import timedelta

import sqlalchemy as sa

from app.events.models import OutboxEvent
from app.extensions import db
from app.tenancy.context import tenant_context
from app.tenancy.models import utcnow
from blueprints.audit.models import AuditEvent
from blueprints.privacy.cli import sweep_privacy
from blueprints.privacy.models import ArchivingRun
from tests.conftest import make_user, user_token
from tests.support.browser import Browser
from tests.support.courses import make_course

LONG_AGO = timedelta(days=800)


def _age(app, tenant, table, ids, **columns):
    """Set these rows' dates `LONG_AGO` in the past."""
    with tenant_context(tenant, app):
        rows = db.metadatas["tenant"].tables[table]
        moment = utcnow() - LONG_AGO
        db.session.execute(sa.update(rows).where(rows.c.id.in_(ids)).values(**dict.fromkeys(columns, moment)))
        db.session.commit()


def _rows(app, tenant, table):
    with tenant_context(tenant, app):
        rows = db.metadatas["tenant"].tables[table]
        return [tuple(row) for row in db.session.execute(sa.select(rows).order_by(rows.c.id))]


def _school(app, api, tenant, login_as):
    admin = api(tenant, login_as(tenant, "org_admin"))
    teacher_id = make_user(app, tenant, "teacher", email="t@example.org")
    with app.app_context():
        teacher = api(tenant, user_token(app, tenant, teacher_id, "teacher"))
    old_course = make_course(teacher, title="Forgotten", items=1)[0]
    used_course = make_course(teacher, title="In use", items=1)[0]
    idle = make_user(app, tenant, "student", email="idle@example.org", first_name="Ida")
    busy = make_user(app, tenant, "student", email="busy@example.org")
    old_admin = make_user(app, tenant, "org_admin", email="old-admin@example.org")
    teacher.post(f"/api/v1/courses/{used_course}/enrollments", json={"user_ids": [busy]})
    with app.app_context():
        busy_client = api(tenant, user_token(app, tenant, busy, "student"))  # signs in now
        idle_client = api(tenant, user_token(app, tenant, idle, "student"))
    _age(app, tenant, "courses", [old_course, used_course], created_at=1, updated_at=1)
    _age(app, tenant, "users", [idle, busy, old_admin, teacher_id], created_at=1)
    with tenant_context(tenant, app):  # the idle student signed in long ago, once
        sign_ins = db.metadatas["tenant"].tables["sign_ins"]
        db.session.execute(sa.update(sign_ins).where(sign_ins.c.user_id == idle).values(created_at=utcnow() - LONG_AGO))
        db.session.commit()
    return {
        "admin": admin,
        "teacher": teacher,
        "old_course": old_course,
        "used_course": used_course,
        "idle": idle,
        "busy": busy,
        "old_admin": old_admin,
        "teacher_id": teacher_id,
        "busy_client": busy_client,
        "idle_client": idle_client,
    }


def test_a_dry_run_then_a_run_then_its_reversal(app, api, tenant, login_as):
    school = _school(app, api, tenant, login_as)
    admin = school["admin"]
    policy = admin.get("/api/v1/privacy/archiving-policy").get_json()["data"]
    assert (policy["course_months"], policy["people_months"]) == (None, None)  # off by default
    assert admin.post("/api/v1/privacy/archiving-runs").get_json()["error"]["code"] == "POLICY_OFF"

    courses_before, users_before = _rows(app, tenant, "courses"), _rows(app, tenant, "users")
    dry = admin.get("/api/v1/privacy/archiving-policy/preview?course_months=12&people_months=12").get_json()["data"]
    assert [c["id"] for c in dry["courses"]] == [school["old_course"]] and dry["course_count"] == 1
    # the idle student only: the teacher and the busy student signed in today, an org admin never goes
    assert [p["id"] for p in dry["people"]] == [school["idle"]] and dry["people_count"] == 1
    assert (_rows(app, tenant, "courses"), _rows(app, tenant, "users")) == (courses_before, users_before)

    saved = admin.put("/api/v1/privacy/archiving-policy", json={"course_months": 12, "people_months": 12})
    assert saved.status_code == 200 and saved.get_json()["data"]["course_months"] == 12
    assert admin.put("/api/v1/privacy/archiving-policy", json={}).status_code == 422  # not "both off"
    bad = admin.put("/api/v1/privacy/archiving-policy", json={"course_months": 0, "people_months": "x"})
    assert bad.status_code == 422 and {"course_months", "people_months"} <= set(bad.get_json()["error"]["details"])

    ran = admin.post("/api/v1/privacy/archiving-runs")
    assert ran.status_code == 201, ran.get_json()
    run = ran.get_json()["data"]
    assert run["course_ids"] == [school["old_course"]]
    assert run["user_ids"] == [school["idle"]]
    # out of the hot paths: the catalog, sign-in
    catalog = school["busy_client"].get("/api/v1/courses").get_json()["data"]
    assert school["old_course"] not in {c["id"] for c in catalog}
    assert school["idle_client"].get("/api/v1/auth/me").status_code == 401
    assert school["busy_client"].get("/api/v1/auth/me").status_code == 200
    with tenant_context(tenant, app):
        event = db.session.scalar(sa.select(OutboxEvent).where(OutboxEvent.name == "archiving.applied"))
        assert (event.payload["course_ids"], event.payload["user_ids"]) == (run["course_ids"], run["user_ids"])
        entry = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "archiving.applied"))
        assert (entry.details["courses_archived"], entry.details["people_deactivated"]) == (1, 1)
        assert db.session.scalar(sa.select(AuditEvent.id).where(AuditEvent.action == "archiving.policy_changed"))

    reversed_run = admin.post(f"/api/v1/privacy/archiving-runs/{run['id']}/reversal")
    assert reversed_run.status_code == 200, reversed_run.get_json()
    assert reversed_run.get_json()["data"]["restored"] == {"course_ids": run["course_ids"], "user_ids": run["user_ids"]}
    assert (_rows(app, tenant, "courses"), _rows(app, tenant, "users")) == (courses_before, users_before)
    again = admin.post(f"/api/v1/privacy/archiving-runs/{run['id']}/reversal")
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "ALREADY_REVERSED"
    with tenant_context(tenant, app):
        assert db.session.scalar(sa.select(OutboxEvent.id).where(OutboxEvent.name == "archiving.reversed"))


def test_the_daily_sweep_applies_the_policy_once_a_day(app, api, tenant, login_as):
    school = _school(app, api, tenant, login_as)
    admin = school["admin"]
    sweep_privacy(app)
    with tenant_context(tenant, app):
        assert db.session.scalar(sa.select(sa.func.count(ArchivingRun.id))) == 0  # off: no run
    admin.put("/api/v1/privacy/archiving-policy", json={"course_months": 12, "people_months": None})
    sweep_privacy(app)
    sweep_privacy(app)
    runs = admin.get("/api/v1/privacy/archiving-runs").get_json()["data"]
    assert [(r["trigger"], r["course_ids"], r["user_ids"]) for r in runs] == [("schedule", [school["old_course"]], [])]
    assert school["idle_client"].get("/api/v1/auth/me").status_code == 200  # people: off


def test_only_org_admins_set_and_run_the_policy(app, api, tenant, login_as):
    for role in ("branch_manager", "teacher", "student"):
        someone = api(tenant, login_as(tenant, role))
        assert someone.get("/api/v1/privacy/archiving-policy").status_code == 403
        assert someone.put("/api/v1/privacy/archiving-policy", json={"course_months": 1}).status_code == 403
        assert someone.get("/api/v1/privacy/archiving-policy/preview?course_months=1").status_code == 403
        assert someone.post("/api/v1/privacy/archiving-runs").status_code == 403
    admin = api(tenant, login_as(tenant, "org_admin"))
    assert admin.post("/api/v1/privacy/archiving-runs/999/reversal").status_code == 404


def test_people_archived_by_the_policy_are_a_status_of_their_own_until_reactivated(app, api, tenant, login_as):
    school = _school(app, api, tenant, login_as)
    admin = school["admin"]
    by_hand = make_user(app, tenant, "student", email="left@example.org")
    assert admin.delete(f"/api/v1/users/{by_hand}").status_code == 200  # deactivated by hand
    admin.put("/api/v1/privacy/archiving-policy", json={"course_months": None, "people_months": 12})
    run = admin.post("/api/v1/privacy/archiving-runs").get_json()["data"]
    assert run["user_ids"] == [school["idle"]]

    def listed(status):
        answer = admin.get(f"/api/v1/users?status={status}&per_page=100")
        assert answer.status_code == 200, answer.get_json()
        return {row["email"]: row["archived_by_run_id"] for row in answer.get_json()["data"]}

    assert listed("archived") == {"idle@example.org": run["id"]}
    assert listed("inactive") == {"idle@example.org": run["id"], "left@example.org": None}  # still everyone
    assert "idle@example.org" not in listed("active,invited")
    combined = listed("active,archived")
    assert {"idle@example.org", "busy@example.org"} <= set(combined) and "left@example.org" not in combined
    assert admin.get("/api/v1/users?status=archive").status_code == 422
    document = admin.get("/api/v1/openapi.json").get_json()
    (parameter,) = [p for p in document["paths"]["/api/v1/users"]["get"]["parameters"] if p["name"] == "status"]
    assert "archived (deactivated by the archiving policy" in parameter["description"]

    browser = Browser(app, tenant)
    browser.sign_in("admin@example.org")
    page = browser.get("/people?status=archived").get_data(as_text=True)
    assert '<option value="archived" selected>Archived by policy</option>' in page
    assert "idle@example.org" in page and "left@example.org" not in page and "archived by policy" in page

    # reactivated by hand: no longer archived; deactivated by hand again, the run's reversal leaves them so
    assert admin.put(f"/api/v1/users/{school['idle']}", json={"is_active": True}).status_code == 200
    assert listed("archived") == {}
    assert admin.delete(f"/api/v1/users/{school['idle']}").status_code == 200
    assert listed("inactive")["idle@example.org"] is None
    reversal = admin.post(f"/api/v1/privacy/archiving-runs/{run['id']}/reversal").get_json()["data"]
    assert reversal["restored"]["user_ids"] == []
    assert "idle@example.org" in listed("inactive")


def test_a_reversal_clears_the_mark_of_the_people_it_reactivates(app, api, tenant, login_as):
    school = _school(app, api, tenant, login_as)
    admin = school["admin"]
    admin.put("/api/v1/privacy/archiving-policy", json={"course_months": None, "people_months": 12})
    run = admin.post("/api/v1/privacy/archiving-runs").get_json()["data"]
    admin.post(f"/api/v1/privacy/archiving-runs/{run['id']}/reversal")
    with tenant_context(tenant, app):
        users = db.metadatas["tenant"].tables["users"]
        assert db.session.scalar(sa.select(users.c.archived_by_run_id).where(users.c.id == school["idle"])) is None
    assert admin.get("/api/v1/users?status=archived").get_json()["meta"]["total"] == 0
