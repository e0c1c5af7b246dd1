"""Self-registration on the pages (issue 10, item 8): a sign-up form where the organization allows it,
confirmed by e-mail, with the same answer whether the address has an account."""

import re
import uuid

import sqlalchemy as sa

from app.extensions import db
from app.tenancy.context import tenant_context
from app.tenancy.models import Tenant
from blueprints.audit.models import AuditEvent
from tests.conftest import PASSWORD, build_app, run_jobs
from tests.support.browser import Browser

NEW = {"first_name": "Ada", "last_name": "Byron", "email": "ada@example.org"}
CHOSEN = "a-long-new-passphrase"


def open_registration(app, tenant, value=True):
    with app.app_context():
        record = db.session.get(Tenant, tenant.id)
        record.settings = {**record.settings, "self_registration": value}
        db.session.commit()


def sign_up(browser, password=CHOSEN, **fields):
    data = {**NEW, "password": password, "confirm": password, **fields}
    return browser.post("/register", data, csrf_from="/register")


def confirm_link(mailbox, address):
    [mail] = mailbox.to(address)
    return re.search(r"https?://\S+(/register/confirm\?token=\S+)", mail.get_body(("plain",)).get_content()).group(1)


def test_closed_registration_is_a_clear_404_and_no_link(app, tenant):
    browser = Browser(app, tenant)
    response = browser.get("/register")
    assert response.status_code == 404 and "does not take sign-ups" in response.get_data(as_text=True)
    assert "/register" not in browser.get("/login").get_data(as_text=True)
    assert Browser(app, None).get("/register").status_code == 404  # nor on the platform


def test_sign_up_is_confirmed_by_e_mail_and_signs_in(app, tenant, mailbox):
    open_registration(app, tenant)
    browser = Browser(app, tenant)
    assert 'href="/register"' in browser.get("/login").get_data(as_text=True)
    weak = sign_up(browser, password="password123")
    assert weak.status_code == 422 and 'aria-invalid="true"' in weak.get_data(as_text=True)
    assert browser.post("/register", {**NEW, "password": "x" * 12, "confirm": "x" * 12}).status_code == 400  # CSRF

    sent = sign_up(browser)
    assert sent.status_code == 200 and "Check your e-mail" in sent.get_data(as_text=True)
    run_jobs(app)
    link = confirm_link(mailbox, "ada@example.org")
    assert Browser(app, tenant).sign_in("ada@example.org", CHOSEN).status_code == 401  # not yet

    shown = browser.get(link).get_data(as_text=True)
    assert "Create my account" in shown
    made = browser.post(link, csrf_from=link)
    assert made.status_code == 302
    assert "Sign out" in browser.get("/").get_data(as_text=True)
    with tenant_context(tenant, app):  # the sign-in a confirmation opens is in the audit trail like any other
        entry = db.session.scalars(
            sa.select(AuditEvent).where(AuditEvent.action == "auth.signed_in", AuditEvent.target_label == NEW["email"])
        ).one()
        assert entry.details == {"via": "registration"} and entry.actor_id == entry.subject_user_id
    again = Browser(app, tenant).post(link, csrf_from=link)
    assert again.status_code == 400 and "already used" in again.get_data(as_text=True)
    assert Browser(app, tenant).sign_in("ada@example.org", CHOSEN).status_code == 302


def test_an_existing_address_gets_the_same_answer_and_a_note_instead_of_a_link(app, tenant, mailbox):
    open_registration(app, tenant)
    new = sign_up(Browser(app, tenant))
    taken = sign_up(Browser(app, tenant), email="admin@example.org")
    assert taken.status_code == new.status_code == 200

    def seen(response, address):  # the page without its address and per-session CSRF token
        return re.sub(r'X-CSRFToken": "[^"]+"', "", response.get_data(as_text=True).replace(address, "ADDRESS"))

    assert seen(taken, "admin@example.org") == seen(new, "ada@example.org")
    run_jobs(app)
    [note] = mailbox.to("admin@example.org")
    text = note.get_body(("plain",)).get_content()
    assert "already has one" in text and "register/confirm" not in text
    assert Browser(app, tenant).sign_in("admin@example.org", PASSWORD).status_code == 302  # nothing changed


def test_a_link_stops_working_when_registration_closes(app, tenant, mailbox):
    open_registration(app, tenant)
    browser = Browser(app, tenant)
    sign_up(browser)
    run_jobs(app)
    link = confirm_link(mailbox, "ada@example.org")
    page = browser.get(link)  # the form (and its CSRF token) while still open
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    open_registration(app, tenant, False)
    assert browser.post(link, {"csrf_token": token}).status_code == 404


def test_sign_up_attempts_are_limited_like_sign_in(app_config, tenant):
    limited = build_app(app_config, RQ_QUEUE=f"limits-{uuid.uuid4().hex[:8]}", RATELIMIT_SENSITIVE="2 per minute")
    open_registration(limited, tenant)
    browser = Browser(limited, tenant)
    statuses = [sign_up(browser, password="password123").status_code for _ in range(3)]
    assert statuses == [422, 422, 429]
    assert Browser(limited, tenant).get("/register").status_code == 200  # showing the form is not an attempt
