"""My notifications in the app: the API's list (newest first, unread filter and count), reading, marking and
deleting my own; another person's is a 404 on every route; an API key has none; the list page and the header's
bell with its count."""

import re
from datetime import datetime

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.tenancy.context import tenant_context
from app.tenancy.engines import engine_for
from blueprints.notifications.models import Notification
from blueprints.notifications.producing import notify
from blueprints.users.models import User
from tests.conftest import make_user, run_jobs, user_token
from tests.support.browser import Browser
from tests.support.statements import recorded_statements

COURSE = {"course": {"title": "Fire safety"}, "due_date": ""}
ANNOUNCEMENT = {"announcement": {"title": "Trip", "body": "On Monday.", "author": "Grace"}}


def _tell(app, tenant, user_id, n, type_key="enrolled", context=None, link="/learn"):
    with tenant_context(tenant, app):
        notify(type_key, [user_id], source_key=f"test-{n}", context=context or COURSE, link=link)
        db.session.commit()


@pytest.fixture
def people(app, api, tenant):
    ada = make_user(app, tenant, "student", email="ada@example.org", first_name="Ada")
    bob = make_user(app, tenant, "student", email="bob@example.org", first_name="Bob")
    for n in range(3):
        _tell(app, tenant, ada, n, context={"course": {"title": f"Course {n}"}, "due_date": ""})
    _tell(app, tenant, bob, 99)
    run_jobs(app)
    with app.app_context():
        return {
            "ada": ada,
            "bob": bob,
            "ada_api": api(tenant, user_token(app, tenant, ada, "student")),
            "bob_api": api(tenant, user_token(app, tenant, bob, "student")),
        }


def test_my_list_is_newest_first_with_the_unread_count_and_an_unread_filter(people):
    ada = people["ada_api"]
    listed = ada.get("/api/v1/notifications").get_json()
    assert [n["subject"] for n in listed["data"]] == [f"You are enrolled in Course {n}" for n in (2, 1, 0)]
    assert listed["meta"] == {"page": 1, "per_page": 10, "total": 3, "unread": 3}
    first = listed["data"][0]
    assert first["read"] is False and first["link"] == "/learn" and "Hello Ada" in first["body"]
    marked = ada.put(f"/api/v1/notifications/{first['id']}", json={"read": True})
    assert marked.status_code == 200 and marked.get_json()["data"]["read"] is True
    unread = ada.get("/api/v1/notifications?unread=true&per_page=1").get_json()
    assert unread["meta"] == {"page": 1, "per_page": 1, "total": 2, "unread": 2}
    assert ada.get("/api/v1/notifications?unread=maybe").status_code == 400
    assert ada.put(f"/api/v1/notifications/{first['id']}", json={"read": False}).get_json()["data"]["read"] is False
    assert ada.post("/api/v1/notifications/read-all").get_json()["data"] == {"marked": 3}
    assert ada.get("/api/v1/notifications").get_json()["meta"]["unread"] == 0
    deleted = ada.delete(f"/api/v1/notifications/{first['id']}")
    assert deleted.status_code == 200 and deleted.get_json()["data"] == {"id": first["id"], "deleted": True}
    assert ada.get(f"/api/v1/notifications/{first['id']}").status_code == 404
    assert ada.get("/api/v1/notifications").get_json()["meta"]["total"] == 2


def test_another_persons_notification_is_not_found_on_every_route_and_stays_as_it_was(people):
    theirs = people["bob_api"].get("/api/v1/notifications").get_json()["data"][0]
    ada, path = people["ada_api"], f"/api/v1/notifications/{theirs['id']}"
    assert ada.get(path).status_code == 404
    assert ada.put(path, json={"read": True}).status_code == 404
    assert ada.delete(path).status_code == 404
    assert ada.post("/api/v1/notifications/read-all").get_json()["data"] == {"marked": 3}  # hers only
    again = people["bob_api"].get(path).get_json()["data"]
    assert again["read"] is False and again["subject"] == theirs["subject"]


def test_pages_of_another_person_are_404_and_an_api_key_has_no_notifications(app, tenant, people, api):
    theirs = people["bob_api"].get("/api/v1/notifications").get_json()["data"][0]["id"]
    browser = Browser(app, tenant)
    browser.sign_in("ada@example.org")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', browser.get("/notifications").get_data(as_text=True))[1]
    assert browser.get(f"/notifications/{theirs}/open").status_code == 404
    assert browser.post(f"/notifications/{theirs}/read", {"csrf_token": csrf}).status_code == 404
    assert browser.post(f"/notifications/{theirs}/delete", {"csrf_token": csrf}).status_code == 404
    admin = api(tenant, user_token(app, tenant, make_user(app, tenant, "org_admin"), "org_admin"))
    key = admin.post("/api/v1/api-keys", json={"name": "robot", "roles": ["org_admin"]}).get_json()["data"]["key"]
    robot = app.test_client()
    headers = {"Host": f"{tenant.slug}.localhost:5000", "X-API-Key": key}
    assert robot.get("/api/v1/notifications", headers=headers).status_code == 403
    assert robot.get("/api/v1/notifications/settings", headers=headers).status_code == 403


def test_the_list_page_opens_marks_and_deletes_and_the_bell_counts(app, tenant, people):
    browser = Browser(app, tenant)
    browser.sign_in("ada@example.org")
    page = browser.get("/notifications").get_data(as_text=True)
    assert page.count('class="notification unread"') == 3
    assert '<span class="visually-hidden">Notifications, </span><span class="bell-badge">3</span>' in page
    assert 'sse-connect="/notifications/stream"' in page and 'hx-get="/notifications/unread"' in page
    ids = [int(i) for i in re.findall(r'id="notification-(\d+)"', page)]
    opened = browser.get(f"/notifications/{ids[0]}/open")
    assert opened.status_code == 302 and opened.headers["Location"] == "/learn"
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page)[1]
    row = browser.post(
        f"/notifications/{ids[1]}/read", {"csrf_token": csrf, "read": "1"}, headers={"HX-Request": "true"}
    )
    fragment = row.get_data(as_text=True)
    assert 'class="notification"' in fragment and 'hx-swap-oob="innerHTML"' in fragment
    assert '<span class="bell-badge">1</span>' in fragment  # the header's bell, redrawn with the row
    gone = browser.post(f"/notifications/{ids[2]}/delete", {"csrf_token": csrf, "next": "/notifications?unread=1"})
    assert gone.status_code == 303 and gone.headers["Location"] == "/notifications?unread=1"
    unread = browser.get("/notifications?unread=1").get_data(as_text=True)
    assert "Nothing unread: you are up to date." in unread and "bell-badge" not in unread
    assert browser.get("/notifications/unread").get_data(as_text=True).count("bell-badge") == 0
    everything = browser.get("/notifications").get_data(as_text=True)
    assert everything.count('class="notification"') == 2 and "Unread (0)" in everything
    assert browser.post("/notifications/read-all", {"csrf_token": csrf}).status_code == 303


def test_the_list_writes_times_on_the_persons_clock(app, tenant):
    """Their settings page says dates are written in their time zone: the list and a message's page do so."""
    kenji = make_user(app, tenant, "student", email="kenji@example.org")
    with tenant_context(tenant, app):
        db.session.get(User, kenji).time_zone = "Asia/Tokyo"
        db.session.commit()
    _tell(app, tenant, kenji, 1, type_key="announcement", context=ANNOUNCEMENT, link=None)
    with tenant_context(tenant, app):
        db.session.execute(sa.update(Notification).values(created_at=datetime(2026, 11, 26, 22, 50)))  # UTC
        db.session.commit()
        [notification_id] = db.session.scalars(sa.select(Notification.id).where(Notification.user_id == kenji))
    browser = Browser(app, tenant)
    browser.sign_in("kenji@example.org")
    on_tokyo_clock = "27 Nov 2026, 07:50 (Asia/Tokyo)</time>"
    assert on_tokyo_clock in browser.get("/notifications").get_data(as_text=True)
    assert on_tokyo_clock in browser.get(f"/notifications/{notification_id}/open").get_data(as_text=True)


def test_the_list_pages_by_twenty_and_a_new_person_sees_an_empty_state(app, tenant):
    carol = make_user(app, tenant, "teacher", email="carol@example.org")
    browser = Browser(app, tenant)
    browser.sign_in("carol@example.org")
    assert "No notifications yet." in browser.get("/notifications").get_data(as_text=True)
    for n in range(23):
        _tell(app, tenant, carol, n)
    first = browser.get("/notifications").get_data(as_text=True)
    assert first.count('class="notification unread"') == 20 and "Page 1 of 2" in first
    second = browser.get("/notifications?page=2").get_data(as_text=True)
    assert second.count('class="notification unread"') == 3
    assert browser.get("/notifications?page=0").status_code == 400


def test_the_bell_costs_one_indexed_count_per_page_view(app, tenant, people):
    browser = Browser(app, tenant)
    browser.sign_in("ada@example.org")
    with recorded_statements(app, tenant) as recorded:
        page = browser.get("/learn").get_data(as_text=True)
    assert '<span class="bell-badge">3</span>' in page
    statements = [" ".join(sql.split()) for sql, _parameters in recorded.statements]
    bell = [s for s in statements if "FROM notifications" in s]
    assert len(bell) == 1 and bell[0].startswith("SELECT count(*)"), bell
    with app.app_context(), engine_for(tenant).connect() as connection:
        if connection.dialect.name == "sqlite":
            plan = " ".join(str(row) for row in connection.exec_driver_sql("EXPLAIN QUERY PLAN " + _bound(bell[0])))
            assert "ix_notifications_user_unread" in plan, plan


def _bound(statement):
    return statement.replace("?", "1")


def test_a_page_is_drawn_without_its_bell_when_the_count_fails(app, tenant, people):
    browser = Browser(app, tenant)
    browser.sign_in("ada@example.org")
    with app.app_context():
        engine = engine_for(tenant)
    with engine.begin() as connection:
        connection.exec_driver_sql("ALTER TABLE notifications RENAME TO notifications_away")
    try:
        page = browser.get("/learn")
        assert page.status_code == 200 and "notification-bell" not in page.get_data(as_text=True)
    finally:
        with engine.begin() as connection:
            connection.exec_driver_sql("ALTER TABLE notifications_away RENAME TO notifications")
    assert '<span class="bell-badge">3</span>' in browser.get("/learn").get_data(as_text=True)
