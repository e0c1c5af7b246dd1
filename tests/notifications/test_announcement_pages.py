"""The announcements pages: the form offers only the author's scope (its selects and its people picker), a time is
typed in the author's time zone, errors stand next to their fields, an announcement's page shows its status and
cancels it; the menu links to it for staff; the demo's people have announcements."""

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from app.demo import seed_demo
from app.extensions import db
from app.tenancy.context import tenant_context
from app.tenancy.provisioning import get_tenant_by_slug
from blueprints.notifications.models import Announcement, Notification
from blueprints.users.models import User
from tests.conftest import build_app, run_jobs
from tests.support.announcements import announcement_row, build_campus, told
from tests.support.browser import Browser


@pytest.fixture
def campus(app, tenant):
    return build_campus(app, tenant)


def _signed_in(app, tenant, key):
    browser = Browser(app, tenant)
    assert browser.sign_in(f"{key.replace('_', '-')}@example.org").status_code == 302
    return browser


def _form(**fields):
    return {"title": "Trip on Monday", "body": "Bring a packed lunch.", "when": "now"} | fields


def test_the_form_offers_the_teachers_classes_courses_and_people_only(app, tenant, campus):
    browser = _signed_in(app, tenant, "t1")
    page = browser.get("/announcements/new").get_data(as_text=True)
    assert re.search(rf'<option value="{campus["n1"]}"[^>]*>N1</option>', page)
    assert re.search(rf'<option value="{campus["c1"]}"[^>]*>Course One</option>', page)
    assert ">S1<" not in page and "Course Two" not in page and "Everyone&#39;s course" not in page
    assert 'value="organization"' not in page and 'value="branch"' not in page  # a teacher reaches neither
    picker = browser.get("/announcements/people?picker_q=campus", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "s-n1@example.org" in picker  # the student of N1 (and learner of C1)
    assert "s-n2@example.org" not in picker and "s-s1@example.org" not in picker  # not theirs
    assert "s-gone@example.org" not in picker  # inactive

    admin_page = _signed_in(app, tenant, "admin").get("/announcements/new").get_data(as_text=True)
    assert 'value="organization"' in admin_page and ">S1<" in admin_page


def test_a_class_is_told_now_and_its_page_shows_it_sent(app, tenant, campus):
    browser = _signed_in(app, tenant, "t1")
    created = browser.post(
        "/announcements", _form(audience="class", class_id=str(campus["n1"])), csrf_from="/announcements/new"
    )
    assert created.status_code == 303
    path = created.headers["Location"]
    announcement_id = int(path.rsplit("/", 1)[1])
    page = browser.get(path).get_data(as_text=True)
    assert "Trip on Monday" in page and "Class: N1" in page and 'hx-trigger="every 2s"' in page  # on its way
    run_jobs(app)
    page = browser.get(path, headers={"HX-Request": "true"}).get_data(as_text=True)  # what the poll gets
    assert "<h1>" not in page and "sent" in page and "every 2s" not in page
    assert re.search(r"People told</dt><dd>1</dd>", page)
    assert told(app, tenant, announcement_id) == [campus["s_n1"]]
    listing = browser.get("/announcements").get_data(as_text=True)
    assert "Trip on Monday" in listing and "told 1 person" in listing


def test_a_student_reads_the_announcement_itself_from_their_list(app, tenant, campus):
    """An announcement links to nothing else: its message is opened from the list, on its own page (else a person
    with e-mail off, or no address, could never read what they were told)."""
    teacher = _signed_in(app, tenant, "t1")
    body = "Meet at the gate at 8.\nBring <lunch> & water.\n\nhttps://example.org/trip"
    teacher.post(
        "/announcements",
        _form(audience="class", class_id=str(campus["n1"]), body=body),
        csrf_from="/announcements/new",
    )
    run_jobs(app)
    student = _signed_in(app, tenant, "s_n1")
    listing = student.get("/notifications").get_data(as_text=True)
    [notification_id] = re.findall(r'href="/notifications/(\d+)/open"[^>]*>.*?Trip on Monday', listing)
    opened = student.get(f"/notifications/{notification_id}/open")
    page = opened.get_data(as_text=True)
    assert opened.status_code == 200 and "no-store" in opened.headers["Cache-Control"]
    assert '<h1 id="notification-message-heading">Trip on Monday</h1>' in page
    assert "<p>Meet at the gate at 8.<br>Bring &lt;lunch&gt; &amp; water.</p>" in page  # escaped, lines kept
    assert '<a href="https://example.org/trip"' in page and "T1 Campus" in page  # its link, then the author
    after = student.get("/notifications").get_data(as_text=True)
    assert f'id="notification-{notification_id}" class="notification">' in after  # opening it read it
    assert _signed_in(app, tenant, "s_n2").get(f"/notifications/{notification_id}/open").status_code == 404


def test_a_time_is_typed_in_the_authors_time_zone_and_the_announcement_cancelled(app, tenant, campus):
    with tenant_context(tenant, app):
        db.session.get(User, campus["t1"]).time_zone = "Europe/Paris"
        db.session.commit()
    browser = _signed_in(app, tenant, "t1")
    assert "Date and time (Europe/Paris)" in browser.get("/announcements/new").get_data(as_text=True)
    paris = ZoneInfo("Europe/Paris")
    day = datetime.now(paris).date() + timedelta(days=2)
    created = browser.post(
        "/announcements",
        _form(audience="course", course_id=str(campus["c1"]), when="later", send_at_local=f"{day}T09:00"),
        csrf_from="/announcements/new",
    )
    assert created.status_code == 303
    announcement_id = int(created.headers["Location"].rsplit("/", 1)[1])
    expected = datetime(day.year, day.month, day.day, 9, tzinfo=paris).astimezone(UTC).replace(tzinfo=None)
    assert announcement_row(app, tenant, announcement_id)["send_at"] == expected
    page = browser.get(created.headers["Location"]).get_data(as_text=True)
    assert f"{day} 09:00 (Europe/Paris)" in page and "Cancel this announcement" in page

    cancelled = browser.post(f"/announcements/{announcement_id}/cancel", {}, csrf_from=created.headers["Location"])
    assert cancelled.status_code == 303
    page = browser.get(created.headers["Location"]).get_data(as_text=True)
    assert "is cancelled: nobody will be told" in page and "Cancel this announcement" not in page
    other = _signed_in(app, tenant, "t2")
    assert other.get(created.headers["Location"]).status_code == 404  # another teacher's


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"title": ""}, "Give the announcement a title."),
        ({"audience": ""}, "Choose who is told."),
        ({"audience": "people"}, "Choose at least one person."),
        ({"when": "later", "send_at_local": ""}, "Choose a date and a time."),
        ({"when": "later", "send_at_local": "2020-01-01T09:00"}, "A moment in the future"),
    ],
)
def test_what_is_wrong_stands_next_to_its_field(app, tenant, campus, fields, message):
    browser = _signed_in(app, tenant, "t1")
    answer = browser.post(
        "/announcements", _form(audience="class", class_id=str(campus["n1"])) | fields, csrf_from="/announcements/new"
    )
    assert answer.status_code == 422
    assert message in answer.get_data(as_text=True)
    with tenant_context(tenant, app):
        assert db.session.scalar(sa.select(sa.func.count(Announcement.id))) == 0


def test_a_class_or_person_out_of_reach_is_refused_on_the_form(app, tenant, campus):
    browser = _signed_in(app, tenant, "bm_north")
    for fields in (
        {"audience": "class", "class_id": str(campus["s1"])},
        {"audience": "people", "user_ids": [str(campus["s_n2"]), str(campus["s_s1"])]},
    ):
        answer = browser.post("/announcements", _form(**fields), csrf_from="/announcements/new")
        assert answer.status_code == 422 and re.search(
            r"among (yours|the people you reach)", answer.get_data(as_text=True)
        )
    with tenant_context(tenant, app):
        assert db.session.scalar(sa.select(sa.func.count(Announcement.id))) == 0


def test_past_the_hourly_limit_the_form_says_so_and_keeps_what_was_written(app, tenant, campus):
    browser = _signed_in(app, tenant, "t1")
    with tenant_context(tenant, app):
        for n in range(20):
            db.session.add(
                Announcement(title=f"Earlier {n}", body="x", audience="class", audience_ids=[campus["n1"]],
                             author_id=campus["t1"], status="sent")
            )  # fmt: skip
        db.session.commit()
    answer = browser.post(
        "/announcements", _form(audience="class", class_id=str(campus["n1"])), csrf_from="/announcements/new"
    )
    page = answer.get_data(as_text=True)
    assert answer.status_code == 429 and "wait a little before the next" in page and "Trip on Monday" in page


def test_the_menu_links_to_announcements_for_staff_only(app, tenant, campus):
    assert 'href="/announcements"' in _signed_in(app, tenant, "t1").get("/").get_data(as_text=True)
    student = _signed_in(app, tenant, "s_n1")
    assert 'href="/announcements"' not in student.get("/").get_data(as_text=True)
    assert student.get("/announcements").status_code == 403


def test_the_demo_has_a_welcome_for_everyone_and_a_reminder_for_tomorrow(app_config, tmp_path):
    demo_app = build_app(
        app_config,
        INSTANCE_DIR=str(tmp_path),
        CONTROL_DATABASE_URL=f"sqlite:///{tmp_path}/control.db",
        TENANT_DATABASE_URL_TEMPLATE=f"sqlite:///{tmp_path}/tenants/{{slug}}.db",
    )
    with demo_app.app_context():
        lines = list(seed_demo("demo-password-123"))
        assert any(line.startswith("announced “Welcome to Demo Academy”") for line in lines)
        assert any(line.startswith("scheduled “Algebra 1: bring your calculator tomorrow”") for line in lines)
        tenant = get_tenant_by_slug("demo").ref()
    run_jobs(demo_app)
    with tenant_context(tenant, demo_app):
        subjects = {
            email: set(
                db.session.scalars(
                    sa.select(Notification.subject)
                    .join(User, User.id == Notification.user_id)
                    .where(User.email == email)
                )
            )
            for email in ("student@demo.example", "teacher@demo.example")
        }
        assert all("Welcome to Demo Academy" in found for found in subjects.values())
        reminder = db.session.scalar(sa.select(Announcement).where(Announcement.status == "scheduled"))
        assert reminder.audience == "class" and reminder.send_at > datetime.now(UTC).replace(tzinfo=None)
