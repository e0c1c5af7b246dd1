"""Notification e-mails as a person's mail client gets them: HTML and text in the organization's look, the
headers of RFC 8058, and the one-click unsubscribe a mail client POSTs without anyone signing in."""

import re

import sqlalchemy as sa

from app.extensions import db
from app.tenancy.context import tenant_context
from app.tenancy.models import Tenant
from blueprints.notifications.models import Notification, NotificationDefault, NotificationSetting
from blueprints.notifications.producing import notify
from blueprints.organizations.settings import update_settings
from blueprints.users.models import User
from tests.conftest import make_user, run_jobs, tenant_host


def _branded(app, tenant, **settings):
    with app.app_context():
        update_settings(tenant, settings)
        return db.session.get(Tenant, tenant.id).ref()


def _enrol(app, tenant, user_id, title, key):
    with tenant_context(tenant, app):
        notify(
            "enrolled", [user_id], source_key=key, context={"course": {"title": title}, "due_date": ""}, link="/learn/7"
        )
        db.session.commit()


def _email_setting(app, tenant, user_id, type_key):
    with tenant_context(tenant, app):
        return db.session.scalar(
            sa.select(NotificationSetting.cadence).where(
                NotificationSetting.user_id == user_id,
                NotificationSetting.type == type_key,
                NotificationSetting.channel == "email",
            )
        )


def test_an_email_has_html_and_text_in_the_organizations_look_and_the_one_click_headers(app, tenant, mailbox):
    tenant = _branded(app, tenant, display_name="Northwind <Academy>", primary_color="#b91c1c")
    ada = make_user(app, tenant, "student", email="ada@example.org", first_name="Ada")
    _enrol(app, tenant, ada, "Fire <b>safety</b> & you", "e1")
    with tenant_context(tenant, app):
        notify("password_changed", [ada], source_key="p1", context={"changed_at": "today"})
        db.session.commit()
    run_jobs(app)

    enrolled, password = sorted(mailbox.to("ada@example.org"), key=lambda m: m["Subject"].startswith("Your password"))
    assert enrolled["Subject"] == "You are enrolled in Fire <b>safety</b> & you"
    assert enrolled.get_content_type() == "multipart/alternative"
    text = enrolled.get_body(("plain",)).get_content()
    html = enrolled.get_body(("html",)).get_content()
    base = f"http://{tenant.slug}.localhost:5000"

    assert "Hello Ada," in text and "Fire <b>safety</b> & you" in text  # plain text stays as written
    assert f"{base}/notifications/settings" in text
    # the HTML escapes what the template wrote, and is drawn in the organization's colour and name
    assert "Fire &lt;b&gt;safety&lt;/b&gt; &amp; you" in html and "<b>safety</b>" not in html
    assert "Northwind &lt;Academy&gt;" in html and "#b91c1c" in html
    assert f'href="{base}/learn/7"' in html  # the button to what it is about
    assert "Enrolled in a course" in html and f"{base}/notifications/settings" in html  # why, and where to change it

    unsubscribe = re.fullmatch(r"<(.+)>", enrolled["List-Unsubscribe"]).group(1)
    assert unsubscribe.startswith(f"{base}/notifications/unsubscribe/")
    assert enrolled["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert unsubscribe in text and unsubscribe in html
    # a mandatory type offers no way out
    assert password["List-Unsubscribe"] is None and password["List-Unsubscribe-Post"] is None
    assert "/notifications/unsubscribe/" not in password.get_body(("plain",)).get_content()
    assert enrolled["Message-ID"] != password["Message-ID"]


def test_one_click_unsubscribe_by_post_as_a_mail_client_does_it(app, tenant, mailbox, client):
    ada = make_user(app, tenant, "student", email="ada@example.org", first_name="Ada")
    _enrol(app, tenant, ada, "Fire safety", "e1")
    run_jobs(app)
    link = re.fullmatch(r"<(.+)>", mailbox.to("ada@example.org")[0]["List-Unsubscribe"]).group(1)
    path = link.split("localhost:5000", 1)[1]
    host = {"Host": tenant_host(tenant)}

    page = client.get(path, headers=host)  # the link opened in a browser: a page that asks first
    assert page.status_code == 200 and "Stop these e-mails" in page.get_data(as_text=True)
    assert _email_setting(app, tenant, ada, "enrolled") is None

    # RFC 8058: a POST with this body, no cookie, no CSRF token, no redirect to follow
    answer = client.post(
        path,
        headers=host,
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert answer.status_code == 200
    assert _email_setting(app, tenant, ada, "enrolled") == "off"
    assert client.post(path, headers=host, data={"List-Unsubscribe": "One-Click"}).status_code == 200  # twice: fine

    mailbox.clear()
    _enrol(app, tenant, ada, "Second course", "e2")
    run_jobs(app)
    assert mailbox.to("ada@example.org") == []  # that type's e-mails stopped
    assert "You are unsubscribed" in client.get(path, headers=host).get_data(as_text=True)


def test_a_tampered_or_foreign_token_is_a_404_page_and_a_locked_type_stays_on(
    app, tenant, make_tenant, client, mailbox
):
    ada = make_user(app, tenant, "student", email="ada@example.org")
    with tenant_context(tenant, app):
        db.session.add(NotificationDefault(type="enrolled", channel="email", cadence="immediately", locked=True))
        db.session.commit()
    _enrol(app, tenant, ada, "Fire safety", "e1")
    run_jobs(app)
    link = re.fullmatch(r"<(.+)>", mailbox.to("ada@example.org")[0]["List-Unsubscribe"]).group(1)
    path = link.split("localhost:5000", 1)[1]
    host = {"Host": tenant_host(tenant)}

    locked = client.get(path, headers=host)
    assert locked.status_code == 200 and "cannot be switched off" in locked.get_data(as_text=True)
    assert client.post(path, headers=host, data={"List-Unsubscribe": "One-Click"}).status_code == 200
    assert _email_setting(app, tenant, ada, "enrolled") is None  # nothing written

    for method in (client.get, client.post):
        tampered = method(path[:-3] + ("xyz" if not path.endswith("xyz") else "abc"), headers=host)
        assert tampered.status_code == 404 and "<h1>" in tampered.get_data(as_text=True)
        assert method("/notifications/unsubscribe/%00%ff", headers=host).status_code == 404
        other = make_tenant()  # the same token on another organization's site
        assert method(path, headers={"Host": tenant_host(other)}).status_code == 404
        assert method(path, headers={"Host": tenant_host(None)}).status_code == 404  # the platform's own host: none


def test_a_person_deactivated_before_the_job_ran_gets_no_email(app, tenant, mailbox):
    ada = make_user(app, tenant, "student", email="ada@example.org")
    bob = make_user(app, tenant, "student", email="bob@example.org")
    with tenant_context(tenant, app):
        notify("enrolled", [ada, bob], source_key="e1", context={"course": {"title": "X"}, "due_date": ""})
        db.session.commit()  # their e-mails are queued
        db.session.get(User, bob).is_active = False
        db.session.commit()
    run_jobs(app)
    assert len(mailbox.to("ada@example.org")) == 1 and mailbox.to("bob@example.org") == []
    with tenant_context(tenant, app):
        statuses = dict(db.session.execute(sa.select(Notification.user_id, Notification.email_status)).all())
    assert statuses == {ada: "sent", bob: "none"}  # never sent, and never tried again
