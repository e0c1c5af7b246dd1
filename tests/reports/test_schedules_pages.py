"""The scheduled reports page: create with recipients from the picker, errors next to their fields, edit, pause
and delete; the form follows the kind and the cadence; the menu links to Reports for staff only."""

import re

import pytest

from tests.conftest import make_user
from tests.support.browser import Browser


@pytest.fixture
def staff(app, api, tenant, login_as):
    admin = api(tenant, login_as(tenant, "org_admin"))
    base = f"/api/v1/organizations/{tenant.id}/branches"
    north = admin.post(base, json={"code": "north", "name": "North"}).get_json()["data"]["id"]
    south = admin.post(base, json={"code": "south", "name": "South"}).get_json()["data"]["id"]
    ids = {
        "manager": make_user(app, tenant, "branch_manager", email="boss@example.org", first_name="Bo", last_name="Ss"),
        "nora": make_user(app, tenant, "teacher", email="nora@example.org", first_name="Nora", last_name="North"),
        "sam": make_user(app, tenant, "teacher", email="sam@example.org", first_name="Sam", last_name="South"),
        "student": make_user(app, tenant, "student", email="pupil@example.org", first_name="Nora", last_name="Pupil"),
    }
    for key, branch, role in (
        ("manager", north, "branch_manager"),
        ("nora", north, "teacher"),
        ("sam", south, "teacher"),
        ("student", north, "student"),
    ):
        admin.post(f"{base}/{branch}/users", json={"user_id": ids[key], "role": role})
    browser = Browser(app, tenant)
    browser.sign_in("boss@example.org")
    return {"browser": browser, "ids": ids, "north": north}


def _form(ids, **fields):
    return {
        "name": "Monday completion",
        "kind": "course_completion",
        "format": "xlsx",
        "cadence": "weekly",
        "weekday": "0",
        "hour": "6",
        "user_ids": [str(ids["nora"])],
    } | fields


def test_a_schedule_is_made_changed_paused_and_deleted_on_its_page(staff):
    browser, ids = staff["browser"], staff["ids"]
    page = browser.get("/reports/schedules")
    assert page.status_code == 200 and 'action="/reports/schedules"' in page.get_data(as_text=True)

    picker = browser.get("/reports/schedules/recipients?picker_q=nora", headers={"HX-Request": "true"})
    found = picker.get_data(as_text=True)
    assert "nora@example.org" in found and "pupil@example.org" not in found  # staff only
    assert "sam@example.org" not in browser.get("/reports/schedules/recipients?picker_q=sam").get_data(as_text=True)

    created = browser.post("/reports/schedules", _form(ids), csrf_from="/reports/schedules")
    assert created.status_code == 303
    listing = browser.get("/reports/schedules").get_data(as_text=True)
    assert "Monday completion" in listing and "Weekly on Monday at 06:00 UTC" in listing and "1 recipient" in listing
    schedule_id = int(re.search(r"/reports/schedules/(\d+)/pause", listing).group(1))

    edit = browser.get(f"/reports/schedules/{schedule_id}").get_data(as_text=True)
    assert 'value="{}" checked'.format(ids["nora"]) in edit  # the chosen recipient stays ticked
    changed = browser.post(
        f"/reports/schedules/{schedule_id}",
        _form(ids, cadence="monthly", month_day="28", hour="23"),
        csrf_from=f"/reports/schedules/{schedule_id}",
    )
    assert changed.status_code == 303
    assert "Monthly on day 28 at 23:00 UTC" in browser.get("/reports/schedules").get_data(as_text=True)

    paused = browser.post(f"/reports/schedules/{schedule_id}/pause", {"paused": "1"}, csrf_from="/reports/schedules")
    assert paused.status_code == 303
    listing = browser.get("/reports/schedules").get_data(as_text=True)
    assert "paused</span>" in listing and "No run while paused" in listing
    deleted = browser.post(f"/reports/schedules/{schedule_id}/delete", {}, csrf_from="/reports/schedules")
    assert deleted.status_code == 303
    assert "Monday completion</a>" not in browser.get("/reports/schedules").get_data(as_text=True)


def test_problems_are_shown_next_to_their_fields(staff):
    browser, ids = staff["browser"], staff["ids"]
    answer = browser.post(
        "/reports/schedules",
        _form(ids, name="", format="pdf", user_ids=[str(ids["sam"])]),
        csrf_from="/reports/schedules",
    )
    html = answer.get_data(as_text=True)
    assert answer.status_code == 422
    assert 'id="name" name="name"' in html and 'id="name-errors"' in html
    assert 'id="format-errors"' in html and "CSV, XLSX" in html
    outside = browser.post("/reports/schedules", _form(ids, user_ids=[str(ids["sam"])]), csrf_from="/reports/schedules")
    assert outside.status_code == 422 and 'id="recipient_ids-errors"' in outside.get_data(as_text=True)
    assert str(ids["sam"]) in re.search(
        r'id="recipient_ids-errors"[^>]*>([^<]*)<', outside.get_data(as_text=True)
    ).group(1)


def test_the_form_follows_the_cadence(staff):
    browser = staff["browser"]
    monthly = browser.get(
        "/reports/schedules/form?kind=course_completion&cadence=monthly", headers={"HX-Request": "true"}
    ).get_data(as_text=True)
    assert 'id="month_day"' in monthly and 'id="weekday"' not in monthly and "<html" not in monthly
    weekly = browser.get("/reports/schedules/form?kind=course_completion&cadence=weekly").get_data(as_text=True)
    assert 'id="weekday"' in weekly and ">Monday<" in weekly


def test_the_menu_links_to_reports_for_staff(app, tenant, staff):
    assert 'href="/reports"' in staff["browser"].get("/reports/schedules").get_data(as_text=True)
    learner = Browser(app, tenant)
    learner.sign_in("pupil@example.org")
    assert 'href="/reports"' not in learner.get("/").get_data(as_text=True)
    assert learner.get("/reports/schedules").status_code == 403


def test_a_transcript_of_someone_out_of_reach_reads_as_nobody(staff):
    browser = staff["browser"]

    def ask(email):
        answer = browser.post(
            "/reports", {"kind": "learner_transcript", "format": "csv", "learner_email": email}, csrf_from="/reports"
        )
        return answer.status_code, re.search(r'id="learner_email-errors"[^>]*>([^<]*)<', answer.get_data(as_text=True))

    (outside_status, outside), (unknown_status, unknown) = ask("sam@example.org"), ask("nobody@example.org")
    assert outside_status == unknown_status == 422 and outside.group(1) == unknown.group(1)
    assert (
        browser.post(
            "/reports",
            {"kind": "learner_transcript", "format": "csv", "learner_email": "pupil@example.org"},
            csrf_from="/reports",
        ).status_code
        == 303
    )  # a student of the manager's branch
