"""`/api/v1/audit-events`: org admins read their organization's trail (list, one entry, export); nobody writes it."""

import csv
import io
import json

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.tenancy.context import tenant_context
from blueprints.api_keys.services import create_api_key
from blueprints.audit.models import AuditEntriesAreAppendOnly, AuditEvent
from blueprints.audit.recording import record
from blueprints.users.management import set_active
from blueprints.users.models import User
from tests.conftest import PASSWORD, make_user
from tests.support.api_keys import key_client
from tests.support.audit import audit_entries
from tests.support.browser import Browser
from tests.support.integrations import make_webhook_integration
from tests.support.statements import count_statements

FORMULAS = ['=HYPERLINK("http://evil.example","x")', "+SUM(1,2)", "@cmd", "-2+3", "\uff1d1+1"]  # and a fullwidth =


def refused_sign_ins(client, emails):
    for email in emails:
        assert client.post("/api/v1/auth/login", json={"email": email, "password": "wrong-pass-123"}).status_code == 401


def csv_rows(response):
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text[1:], newline="")))


@pytest.fixture
def admin(api, tenant, login_as):
    return api(tenant, login_as(tenant, "org_admin"))


def test_the_list_is_newest_first_with_the_list_helpers_filters_and_paging(api, tenant, admin):
    refused_sign_ins(api(tenant), [f"stranger{n}@example.org" for n in range(3)])
    assert (
        api(tenant).post("/api/v1/auth/login", json={"email": "admin@example.org", "password": PASSWORD}).status_code
        == 200
    )

    listed = admin.get("/api/v1/audit-events?per_page=2").get_json()
    assert listed["meta"] == {"page": 1, "per_page": 2, "total": 4}
    assert [entry["action"] for entry in listed["data"]] == ["auth.signed_in", "auth.sign_in_failed"]
    assert listed["data"][1]["target_label"] == "stranger2@example.org"
    assert listed["data"][0]["action_text"] == "Signed in"

    failed = admin.get("/api/v1/audit-events?filter[outcome]=failure&sort=occurred_at").get_json()
    assert [entry["target_label"] for entry in failed["data"]] == [f"stranger{n}@example.org" for n in range(3)]
    by_label = admin.get("/api/v1/audit-events?filter[target_label]=x")
    assert by_label.status_code == 400 and "filter[target_label]" in by_label.get_json()["error"]["details"]
    anonymous = admin.get("/api/v1/audit-events?filter[actor_kind]=anonymous&filter[subject_user_id]=1").get_json()
    assert anonymous["meta"]["total"] == 0  # the strangers have no account
    mine = admin.get("/api/v1/audit-events?filter[actor_id]=1&filter[action][in]=auth.signed_in,user.created")
    assert [entry["action"] for entry in mine.get_json()["data"]] == ["auth.signed_in"]
    later = admin.get(f"/api/v1/audit-events?filter[occurred_at][gt]={listed['data'][0]['occurred_at']}").get_json()
    assert later["meta"]["total"] == 0
    assert admin.get("/api/v1/audit-events?filter[ip]=127.0.0.1").get_json()["meta"]["total"] == 4
    assert admin.get("/api/v1/audit-events?filter[occurred_at][gte]=yesterday").status_code == 400


def test_one_entry_and_no_route_that_writes(app, api, tenant, admin):
    refused_sign_ins(api(tenant), ["someone@example.org"])
    entry_id = audit_entries(app, tenant)[0]["id"]
    one = admin.get(f"/api/v1/audit-events/{entry_id}")
    assert one.status_code == 200 and one.get_json()["data"]["target_label"] == "someone@example.org"
    assert admin.get(f"/api/v1/audit-events/{entry_id + 1000}").status_code == 404

    for method in ("PUT", "PATCH", "DELETE"):
        response = admin.open(method, f"/api/v1/audit-events/{entry_id}", json={"action": "auth.signed_out"})
        assert response.status_code == 405, method
        assert response.get_json()["error"]["code"] == "METHOD_NOT_ALLOWED"
    assert admin.post("/api/v1/audit-events", json={"action": "auth.signed_in"}).status_code == 405
    assert admin.put("/api/v1/audit-events/export", json={}).status_code == 405
    assert audit_entries(app, tenant)[0]["target_label"] == "someone@example.org"


def test_the_mapper_refuses_to_change_or_delete_an_entry(app, tenant):
    with tenant_context(tenant, app):
        entry = record("auth.signed_out", target_type="user", target_id=1, commit=True)
        entry.target_label = "rewritten"
        with pytest.raises(AuditEntriesAreAppendOnly):
            db.session.commit()
        db.session.rollback()
        db.session.delete(db.session.get(AuditEvent, entry.id))
        with pytest.raises(AuditEntriesAreAppendOnly):
            db.session.commit()
        db.session.rollback()
        with pytest.raises(ValueError, match="Unknown audit action"):
            record("auth.made_up")
    assert [(e["action"], e["target_label"]) for e in audit_entries(app, tenant)] == [("auth.signed_out", "")]


def test_a_rolled_back_change_leaves_no_entry(app, api, tenant, admin):
    person = make_user(app, tenant, "student", email="kept@example.org")
    with tenant_context(tenant, app):  # the entry is in the change's transaction: rolled back with it
        set_active(db.session.get(User, person), False, commit=False)
        db.session.rollback()
    assert audit_entries(app, tenant, "user.deactivated") == []
    # A refused change records nothing: a sign-in address in use refuses the renaming that came with it.
    refused = admin.put("/api/v1/users/1", json={"first_name": "Renamed", "email": "kept@example.org"})
    assert refused.status_code == 409, refused.get_json()
    with tenant_context(tenant, app):
        assert db.session.get(User, 1).first_name != "Renamed"
    assert audit_entries(app, tenant, "user.updated") == []
    assert audit_entries(app, tenant, "user.roles_changed") == []


def test_a_refused_sign_in_on_the_page_is_recorded_though_the_request_fails(app, tenant):
    browser = Browser(app, tenant)
    response = browser.sign_in("admin@example.org", password="not-the-password-9")
    assert response.status_code == 401
    entry = audit_entries(app, tenant, "auth.sign_in_failed")[0]
    assert (entry["target_label"], entry["details"]) == (
        "admin@example.org",
        {"reason": "wrong_password", "via": "page"},
    )


@pytest.mark.parametrize("role", ["branch_manager", "teacher", "student"])
def test_only_org_admins_read_the_trail(api, tenant, login_as, role):
    client = api(tenant, login_as(tenant, role))
    for path in ("/api/v1/audit-events", "/api/v1/audit-events/1", "/api/v1/audit-events/export?format=csv"):
        response = client.get(path)
        assert response.status_code == 403, (path, response.status_code)
        assert response.get_json()["error"]["details"] == {"permission": ["audit.read"]}
    assert api(tenant).get("/api/v1/audit-events").status_code == 401


def test_an_org_admin_key_reads_the_trail_and_a_narrowed_key_does_not(app, api, tenant):
    refused_sign_ins(api(tenant), ["someone@example.org"])
    admin_key, _key_id = key_client(app, tenant, ["org_admin"])
    listed = admin_key("GET", "/api/v1/audit-events?filter[action]=auth.sign_in_failed")
    assert listed.status_code == 200 and listed.get_json()["meta"]["total"] == 1
    teacher_key, _key_id = key_client(app, tenant, ["teacher"])
    assert teacher_key("GET", "/api/v1/audit-events").status_code == 403

    integration_id, _subscription_id, _secret = make_webhook_integration(app, tenant, "https://receiver.example.org/")
    with tenant_context(tenant, app):
        narrowed = create_api_key("Receiver's key", [], None, integration_id=integration_id).secret
    client = app.test_client()
    headers = {"Host": f"{tenant.slug}.localhost:5000", "X-API-Key": narrowed}
    for path in ("/api/v1/audit-events", "/api/v1/audit-events/export?format=jsonl"):
        assert client.get(path, headers=headers).status_code == 403


@pytest.mark.parametrize("role", ["branch_manager", "teacher", "student"])
def test_the_page_and_its_export_refuse_everyone_but_org_admins(app, tenant, role):
    email = f"{role}@example.org"
    make_user(app, tenant, role, email=email)
    browser = Browser(app, tenant)
    browser.sign_in(email)
    assert browser.get("/settings/audit-trail").status_code == 403
    assert browser.get("/settings/audit-trail.csv").status_code == 403
    assert "Audit trail" not in browser.get("/settings").get_data(as_text=True)


def test_another_organizations_entries_never_show(app, api, make_tenant, login_as):
    ours, theirs = make_tenant(), make_tenant()
    refused_sign_ins(api(theirs), [f"only-theirs-{n}@example.org" for n in range(5)])
    refused_sign_ins(api(ours), ["ours@example.org"])
    admin = api(ours, login_as(ours, "org_admin"))
    listed = admin.get("/api/v1/audit-events?per_page=100").get_json()
    assert [entry["target_label"] for entry in listed["data"]] == ["ours@example.org"]
    their_ids = [entry["id"] for entry in audit_entries(app, theirs)]
    assert admin.get(f"/api/v1/audit-events/{max(their_ids)}").status_code == 404
    exported = admin.get("/api/v1/audit-events/export?format=jsonl").get_data(as_text=True)
    assert "only-theirs" not in exported and "ours@example.org" in exported
    their_admin_token = login_as(theirs, "org_admin")
    assert api(ours, their_admin_token).get("/api/v1/audit-events").status_code == 401  # their token, our host


def test_the_csv_export_neutralises_formulas_honours_the_filters_and_is_recorded(app, api, tenant, admin):
    refused_sign_ins(api(tenant), FORMULAS)
    assert (
        api(tenant).post("/api/v1/auth/login", json={"email": "admin@example.org", "password": PASSWORD}).status_code
        == 200
    )

    response = admin.get("/api/v1/audit-events/export?format=csv&filter[outcome]=failure&sort=occurred_at")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="audit-trail-')
    rows = csv_rows(response)
    assert [row["action"] for row in rows] == ["auth.sign_in_failed"] * len(FORMULAS)  # the sign-in is filtered out
    assert [row["target_label"] for row in rows] == ["'" + formula for formula in FORMULAS]
    for row in rows:
        assert not any(cell.startswith(("=", "+", "-", "@", "\uff1d")) for cell in row.values())
        assert json.loads(row["details"])["reason"] == "unknown_account"

    exported = audit_entries(app, tenant, "audit.exported")
    assert len(exported) == 1
    assert exported[0]["details"] == {
        "format": "csv",
        "filters": {"filter[outcome]": "failure"},
        "sort": "occurred_at",
    }
    assert exported[0]["actor_kind"] == "user" and exported[0]["ip"] == "127.0.0.1"


def test_the_jsonl_export_has_one_entry_per_line_and_refuses_other_formats(app, api, tenant, admin):
    refused_sign_ins(api(tenant), ["a@example.org", "b@example.org"])
    response = admin.get("/api/v1/audit-events/export?format=jsonl&filter[action]=auth.sign_in_failed")
    assert response.status_code == 200 and response.mimetype == "application/x-ndjson"
    lines = [json.loads(line) for line in response.get_data(as_text=True).splitlines()]
    assert [line["target_label"] for line in lines] == ["b@example.org", "a@example.org"]
    assert lines[0]["occurred_at"].endswith("Z") and lines[0]["details"]["reason"] == "unknown_account"
    refused = admin.get("/api/v1/audit-events/export?format=xlsx")
    assert refused.status_code == 422 and "format" in refused.get_json()["error"]["details"]
    assert admin.get("/api/v1/audit-events/export?format=csv&filter[nope]=1").status_code == 400
    assert len(audit_entries(app, tenant, "audit.exported")) == 1  # the refused ones exported nothing


def test_the_list_costs_the_same_queries_for_3_and_for_60_entries(app, api, tenant, admin):
    def list_page():
        assert admin.get("/api/v1/audit-events?per_page=100").status_code == 200

    refused_sign_ins(api(tenant), [f"few{n}@example.org" for n in range(3)])
    few = count_statements(app, tenant, list_page)
    refused_sign_ins(api(tenant), [f"many{n}@example.org" for n in range(57)])
    many = count_statements(app, tenant, list_page)
    assert few == many, (few, many)
    with tenant_context(tenant, app):
        assert db.session.scalar(sa.select(sa.func.count(AuditEvent.id))) == 60
