"""Settings > Audit trail: the table in the viewer's time zone, its filters, paging, details and CSV export."""

import csv
import io
import re
from datetime import timedelta

import sqlalchemy as sa

from app.extensions import db
from app.tenancy.context import tenant_context
from blueprints.audit.models import AuditEvent
from blueprints.users.models import User
from tests.conftest import PASSWORD, make_user
from tests.support.audit import audit_entries
from tests.support.browser import Browser


def signed_in_admin(app, tenant):
    browser = Browser(app, tenant)
    assert browser.sign_in("admin@example.org").status_code == 302
    return browser


def refuse(app, tenant, emails):
    client = app.test_client()
    for email in emails:
        client.post(
            "/api/v1/auth/login",
            json={"email": email, "password": "wrong-pass-123"},
            headers={"Host": f"{tenant.slug}.localhost:5000"},
            environ_base={"REMOTE_ADDR": "198.51.100.23"},
        )


def rows_of(html):
    return re.findall(r"<tr>\s*<td><time", html)


def test_settings_links_the_trail_and_the_page_shows_who_what_where_in_the_viewers_time_zone(app, tenant):
    with tenant_context(tenant, app):
        db.session.get(User, 1).time_zone = "Asia/Tokyo"  # UTC+9, no summer time
        db.session.commit()
    refuse(app, tenant, ['=HYPERLINK("x")<b>bold</b>'])
    browser = signed_in_admin(app, tenant)
    assert 'href="/settings/audit-trail"' in browser.get("/settings").get_data(as_text=True)

    page = browser.get("/settings/audit-trail")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "<h1>Audit trail</h1>" in html
    assert "Times are in Asia/Tokyo" in html
    refused = audit_entries(app, tenant, "auth.sign_in_failed")[0]
    local = (refused["occurred_at"] + timedelta(hours=9)).strftime("%d %b %Y, %H:%M")
    assert local in html
    assert '<td data-label="What">Sign-in refused: no such account</td>' in html
    assert "<b>bold</b>" not in html and "&lt;b&gt;bold&lt;/b&gt;" in html  # labels are escaped
    assert "198.51.100.23" in html and "Refused" in html
    assert "<details>" in html and "<dt>reason</dt><dd>unknown_account</dd>" in html
    assert 'role="region" aria-labelledby="audit-caption"' in html and "<caption" in html


def test_filters_narrow_the_table_and_travel_with_paging_and_the_export(app, tenant):
    refuse(app, tenant, [f"learner{n:02d}@example.org" for n in range(30)])
    make_user(app, tenant, "teacher", email="tess@example.org")
    browser = signed_in_admin(app, tenant)
    Browser(app, tenant).sign_in("tess@example.org")

    signed_in = browser.get("/settings/audit-trail?action=auth.signed_in").get_data(as_text=True)
    assert len(rows_of(signed_in)) == 2 and "2 entries" in signed_in

    tess = browser.get("/settings/audit-trail?who=TESS").get_data(as_text=True)
    assert len(rows_of(tess)) == 1 and "tess@example.org" in tess

    refusals = browser.get("/settings/audit-trail?outcome=failure").get_data(as_text=True)
    assert "30 entries" in refusals and len(rows_of(refusals)) == 25 and "Page 1 of 2" in refusals
    second = re.search(r'href="(/settings/audit-trail\?[^"]*page=2[^"]*)"', refusals).group(1)
    assert "outcome=failure" in second
    page2 = browser.get(second.replace("&amp;", "&")).get_data(as_text=True)
    assert len(rows_of(page2)) == 5 and "learner00@example.org" in page2

    export = re.search(r'href="(/settings/audit-trail\.csv\?[^"]*)"', refusals).group(1).replace("&amp;", "&")
    assert "outcome=failure" in export
    response = browser.get(export)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True)[1:], newline="")))
    assert len(rows) == 30 and {row["outcome"] for row in rows} == {"failure"}
    recorded = audit_entries(app, tenant, "audit.exported")[0]
    assert recorded["details"]["filters"] == {"filter[outcome]": "failure"}


def test_dates_are_whole_days_of_the_viewer_and_nonsense_is_said_not_failed(app, tenant):
    refuse(app, tenant, ["old@example.org", "new@example.org"])
    with tenant_context(tenant, app):
        old = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.target_label == "old@example.org"))
        moved = old.occurred_at - timedelta(days=10)
        # the trail is append-only for the app; the test moves an entry back in time behind the mapper's back
        db.session.execute(sa.update(AuditEvent.__table__).where(AuditEvent.id == old.id).values(occurred_at=moved))
        db.session.commit()
    browser = signed_in_admin(app, tenant)
    day = moved.date().isoformat()
    that_day = browser.get(f"/settings/audit-trail?since={day}&until={day}").get_data(as_text=True)
    assert "old@example.org" in that_day and "new@example.org" not in that_day
    since = browser.get(f"/settings/audit-trail?since={(moved + timedelta(days=1)).date()}").get_data(as_text=True)
    assert "old@example.org" not in since and "new@example.org" in since

    for query in (
        "since=31-12-2026",
        "until=2026-13-01",
        "action=drop%20table",
        "page=abc",
        "outcome=maybe",
        "who=%25_",
    ):
        response = browser.get(f"/settings/audit-trail?{query}")
        assert response.status_code == 200, query
    said = browser.get("/settings/audit-trail?since=31-12-2026").get_data(as_text=True)
    assert "is not a date (YYYY-MM-DD)" in said
    assert "0 entries" in browser.get("/settings/audit-trail?who=%25_").get_data(as_text=True)


def test_an_htmx_filter_answers_the_table_fragment(app, tenant):
    refuse(app, tenant, ["someone@example.org"])
    browser = signed_in_admin(app, tenant)
    fragment = browser.get("/settings/audit-trail?outcome=failure", headers={"HX-Request": "true"})
    html = fragment.get_data(as_text=True)
    assert html.lstrip().startswith('<section id="audit-entries"') and "<html" not in html
    assert "someone@example.org" in html and "1 entry" in html


def test_a_person_signing_in_and_out_on_the_pages_is_in_the_trail(app, tenant):
    make_user(app, tenant, "student", email="sam@example.org", password=PASSWORD)
    sam = Browser(app, tenant)
    sam.sign_in("sam@example.org")
    sam.post("/logout", csrf_from="/profile")
    actions = [(entry["action"], entry["details"].get("via")) for entry in audit_entries(app, tenant)]
    assert actions == [("auth.signed_in", "page"), ("auth.signed_out", "page")]
