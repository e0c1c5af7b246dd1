"""Notification settings: mine (every type I may get x channel, with locks and mandatory types, and my time zone)
and the organization's defaults and locks; each honoured when something happens (off, digest, locked,
mandatory); errors name the field and save nothing; the pages at work."""

import re

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.tenancy.context import tenant_context
from blueprints.notifications.models import Notification
from blueprints.notifications.producing import notify
from blueprints.users.models import User
from tests.conftest import make_user, run_jobs, user_token
from tests.support.browser import Browser
from tests.support.notifications import told

COURSE = {"course": {"title": "Fire safety"}, "due_date": ""}


@pytest.fixture
def org(app, api, tenant):
    student = make_user(app, tenant, "student", email="sam@example.org", first_name="Sam")
    teacher = make_user(app, tenant, "teacher", email="tess@example.org")
    admin = make_user(app, tenant, "org_admin", email="ada@example.org")
    with app.app_context():
        return {
            "student": student,
            "teacher": teacher,
            "student_api": api(tenant, user_token(app, tenant, student, "student")),
            "teacher_api": api(tenant, user_token(app, tenant, teacher, "teacher")),
            "admin_api": api(tenant, user_token(app, tenant, admin, "org_admin")),
        }


def _by_type(data):
    return {entry["type"]: entry for entry in data["types"]}


def _states(app, tenant):
    """{type: (in the app, e-mail status)} of every notification."""
    with tenant_context(tenant, app):
        return {n.type: (n.in_app, n.email_status) for n in db.session.scalars(sa.select(Notification))}


def test_my_settings_list_the_types_i_may_get_with_what_applies(org):
    student = _by_type(org["student_api"].get("/api/v1/notifications/settings").get_json()["data"])
    teacher = _by_type(org["teacher_api"].get("/api/v1/notifications/settings").get_json()["data"])
    assert "import_finished" not in student and "report_ready" not in student  # staff only
    assert {"import_finished", "report_ready"} <= set(teacher)
    enrolled = student["enrolled"]["channels"]
    assert enrolled["in_app"] == {
        "cadence": "immediately",
        "own": None,
        "default": "immediately",
        "locked": False,
        "mandatory": False,
        "choices": ["immediately", "off"],
    }
    assert student["course_completed"]["channels"]["email"]["cadence"] == "daily"  # the type's own default
    assert student["password_changed"]["mandatory"] is True
    assert student["password_changed"]["channels"]["email"]["cadence"] == "immediately"


def test_my_choices_are_saved_all_or_nothing_with_each_bad_field_named(app, tenant, org):
    me = org["student_api"]
    saved = me.put(
        "/api/v1/notifications/settings",
        json={"settings": {"enrolled": {"email": "weekly", "in_app": "off"}}, "time_zone": "Europe/Paris"},
    )
    assert saved.status_code == 200, saved.get_json()
    data = saved.get_json()["data"]
    assert data["time_zone"] == "Europe/Paris"
    assert _by_type(data)["enrolled"]["channels"]["email"] == {
        **_by_type(data)["enrolled"]["channels"]["email"],
        "cadence": "weekly",
        "own": "weekly",
    }
    bad = me.put(
        "/api/v1/notifications/settings",
        json={
            "settings": {
                "enrolled": {"in_app": "daily", "email": "immediately"},
                "password_changed": {"email": "off"},
                "import_finished": {"email": "off"},
                "badge_earned": {"pigeon": "off"},
            }
        },
    )
    assert bad.status_code == 400
    assert set(bad.get_json()["error"]["details"]) == {
        "settings.enrolled.in_app",
        "settings.password_changed.email",
        "settings.import_finished",
        "settings.badge_earned.pigeon",
    }
    after = _by_type(me.get("/api/v1/notifications/settings").get_json()["data"])
    assert after["enrolled"]["channels"]["email"]["own"] == "weekly"  # nothing of the bad request was saved
    zone = me.put("/api/v1/notifications/settings", json={"time_zone": "Mars/Olympus"})
    assert zone.status_code == 422 and "time_zone" in zone.get_json()["error"]["details"]
    back = me.put("/api/v1/notifications/settings", json={"settings": {"enrolled": {"email": None}}, "time_zone": None})
    data = back.get_json()["data"]
    assert data["time_zone"] is None and _by_type(data)["enrolled"]["channels"]["email"]["own"] is None
    assert me.put("/api/v1/notifications/settings", json={}).status_code == 422  # nothing to change


def test_cadences_are_honoured_when_something_happens(app, tenant, org):
    me = org["student_api"]
    me.put(
        "/api/v1/notifications/settings",
        json={"settings": {"enrolled": {"in_app": "off", "email": "daily"}, "badge_earned": {"email": "off"}}},
    )
    with tenant_context(tenant, app):
        notify("enrolled", [org["student"]], source_key="e1", context=COURSE, link="/learn")
        notify("badge_earned", [org["student"]], source_key="b1", context={"badge": {"name": "Star"}})
        db.session.commit()
    run_jobs(app)
    listed = me.get("/api/v1/notifications").get_json()
    assert [n["type"] for n in listed["data"]] == ["badge_earned"]  # the enrollment is not in the app
    assert _states(app, tenant) == {"enrolled": (False, "digest"), "badge_earned": (True, "none")}
    assert len(told(app, tenant)) == 2


def test_a_locked_default_applies_to_everyone_and_their_settings_say_so(app, tenant, org):
    admin = org["admin_api"]
    assert org["teacher_api"].get("/api/v1/notifications/settings/organization").status_code == 403
    locked = admin.put(
        "/api/v1/notifications/settings/organization",
        json={"defaults": {"announcement": {"email": {"cadence": "weekly", "locked": True}}}},
    )
    assert locked.status_code == 200, locked.get_json()
    announcement = _by_type(locked.get_json()["data"])["announcement"]["channels"]["email"]
    assert (announcement["cadence"], announcement["locked"], announcement["built_in"]) == (
        "weekly",
        True,
        "immediately",
    )
    mine = _by_type(org["student_api"].get("/api/v1/notifications/settings").get_json()["data"])
    assert mine["announcement"]["channels"]["email"]["cadence"] == "weekly"
    assert mine["announcement"]["channels"]["email"]["locked"] is True
    refused = org["student_api"].put(
        "/api/v1/notifications/settings", json={"settings": {"announcement": {"email": "off"}}}
    )
    assert refused.status_code == 400
    assert refused.get_json()["error"]["details"] == {"settings.announcement.email": ["Locked by your organization."]}
    same = org["student_api"].put(
        "/api/v1/notifications/settings", json={"settings": {"announcement": {"email": "weekly"}}}
    )
    assert same.status_code == 200  # sending back what applies is no error
    bad = admin.put(
        "/api/v1/notifications/settings/organization",
        json={
            "defaults": {
                "password_changed": {"email": {"cadence": "off"}},
                "enrolled": {"in_app": {"cadence": "daily"}},
            }
        },
    )
    assert bad.status_code == 400
    assert set(bad.get_json()["error"]["details"]) == {
        "defaults.password_changed.email",
        "defaults.enrolled.in_app.cadence",
    }
    reset = admin.put(
        "/api/v1/notifications/settings/organization",
        json={"defaults": {"announcement": {"email": {"cadence": None}}}},
    )
    announcement = _by_type(reset.get_json()["data"])["announcement"]["channels"]["email"]
    assert (announcement["cadence"], announcement["locked"]) == ("immediately", False)


def test_the_settings_pages_save_what_is_chosen_and_show_locks_disabled(app, tenant, org):
    org["admin_api"].put(
        "/api/v1/notifications/settings/organization",
        json={"defaults": {"badge_earned": {"in_app": {"cadence": "immediately", "locked": True}}}},
    )
    browser = Browser(app, tenant)
    browser.sign_in("sam@example.org")
    page = browser.get("/notifications/settings").get_data(as_text=True)
    assert page.count('<fieldset class="notification-type">') == 10  # the 12 types less the 2 for staff
    assert re.search(r'id="setting-badge_earned-in_app"[^>]*disabled', page, re.S)
    assert re.search(r'id="setting-password_changed-email"[^>]*disabled', page, re.S)
    assert "Locked by your organization." in page and "Always sent" in page
    saved = browser.post(
        "/notifications/settings",
        {"enrolled.email": "weekly", "enrolled.in_app": "default", "time_zone": "Asia/Tokyo"},
        csrf_from="/notifications/settings",
    )
    assert saved.status_code == 303
    with tenant_context(tenant, app):
        assert db.session.get(User, org["student"]).time_zone == "Asia/Tokyo"
    mine = _by_type(org["student_api"].get("/api/v1/notifications/settings").get_json()["data"])
    assert mine["enrolled"]["channels"]["email"]["own"] == "weekly"
    wrong = browser.post("/notifications/settings", {"enrolled.in_app": "weekly"}, csrf_from="/notifications/settings")
    assert wrong.status_code == 422 and "the bell has no digests" in wrong.get_data(as_text=True)
    assert browser.get("/notifications/settings/organization").status_code == 403

    admin = Browser(app, tenant)
    admin.sign_in("ada@example.org")
    org_page = admin.get("/notifications/settings/organization").get_data(as_text=True)
    assert 'id="lock-badge_earned-in_app" name="badge_earned.in_app.locked" value="1" checked' in org_page
    saved = admin.post(
        "/notifications/settings/organization",
        {"enrolled.email": "daily", "enrolled.email.locked": "1", "badge_earned.in_app": "immediately"},
        csrf_from="/notifications/settings/organization",
    )
    assert saved.status_code == 303
    defaults = _by_type(org["admin_api"].get("/api/v1/notifications/settings/organization").get_json()["data"])
    assert defaults["enrolled"]["channels"]["email"] == {
        **defaults["enrolled"]["channels"]["email"],
        "cadence": "daily",
        "locked": True,
    }
    assert defaults["badge_earned"]["channels"]["in_app"]["locked"] is False  # the box left unticked unlocks it
