"""The platform's audit trail: operators' sign-ins (refusals committed though the request fails), sign-outs and
every operator or CLI action on an organization, with who, what, which organization, from where and which
request; read by operators on `/audit-trail` and `GET /api/v1/platform/audit-events`, changed by nobody."""

import itertools
import uuid

import pytest
import sqlalchemy as sa

from app.audit.entries import AuditEntriesAreAppendOnly
from app.audit.platform import PlatformAuditEvent
from app.extensions import db
from app.security.operators import create_operator
from tests.conftest import PASSWORD, destroy_tenant, unique_slug
from tests.support.browser import Browser

_numbers = itertools.count(1)


def sent_from():
    """Headers and environ of one request from its own address with its own request id."""
    number = next(_numbers)
    request_id = f"platform-audit-{uuid.uuid4().hex[:8]}-{number}"
    return request_id, {
        "headers": {"X-Request-Id": request_id},
        "environ_base": {"REMOTE_ADDR": f"198.51.100.{number % 250 + 1}"},
    }


def entries(app, **where):
    """The platform's entries matching `where` (column == value), oldest first, as dicts."""
    with app.app_context():
        stmt = sa.select(PlatformAuditEvent).order_by(PlatformAuditEvent.id)
        for name, value in where.items():
            stmt = stmt.where(getattr(PlatformAuditEvent, name) == value)
        columns = [column.name for column in PlatformAuditEvent.__table__.columns]
        return [{name: getattr(entry, name) for name in columns} for entry in db.session.scalars(stmt)]


@pytest.fixture
def operator_email(app):
    email = f"op-{uuid.uuid4().hex[:8]}@example.org"
    with app.app_context():
        create_operator(email, PASSWORD)
    return email


def test_operator_sign_ins_refusals_and_sign_outs_are_recorded_with_reason_and_origin(app, operator_email):
    browser = Browser(app, None)
    request_id, origin = sent_from()
    page = browser.get("/login").get_data(as_text=True)
    token = page.split('name="csrf_token"', 1)[1].split('value="', 1)[1].split('"', 1)[0]
    refused = browser.client.post(
        "/login",
        data={"email": operator_email, "password": "not-the-password-1", "csrf_token": token},
        headers={"Host": browser.host, **origin["headers"]},
        environ_base=origin["environ_base"],
    )
    assert refused.status_code in (200, 401, 422)
    (entry,) = entries(app, request_id=request_id)  # committed though the sign-in failed
    assert entry["action"] == "operator.sign_in_failed" and entry["outcome"] == "failure"
    assert entry["details"] == {"reason": "wrong_password", "via": "page"}
    assert entry["target_label"] == operator_email and entry["ip"] == origin["environ_base"]["REMOTE_ADDR"]
    assert entry["actor_kind"] == "operator" and entry["actor_label"] == operator_email

    stranger = f"nobody-{uuid.uuid4().hex[:6]}@example.org"
    request_id, origin = sent_from()
    api = app.test_client()
    answer = api.post("/api/v1/auth/login", json={"email": stranger, "password": "x" * 12}, **origin)
    assert answer.status_code == 401
    (entry,) = entries(app, request_id=request_id)
    assert (entry["action"], entry["details"], entry["actor_kind"], entry["target_id"]) == (
        "operator.sign_in_failed",
        {"reason": "unknown_account", "via": "api"},
        "anonymous",
        None,
    )

    assert browser.sign_in(operator_email).status_code == 302
    signed_in = entries(app, action="operator.signed_in", target_label=operator_email)
    assert [entry["details"] for entry in signed_in] == [{"via": "page"}]
    assert browser.post("/logout", csrf_from="/").status_code in (302, 303)
    browser.post("/logout", csrf_from="/login")  # already signed out: not recorded twice
    signed_out = entries(app, action="operator.signed_out", target_label=operator_email)
    assert len(signed_out) == 1 and signed_out[0]["actor_label"] == operator_email


def test_operator_actions_on_an_organization_name_the_operator_the_organization_and_the_request(
    app, api, operator_token
):
    operator = api(None, operator_token)
    slug = unique_slug()
    request_id, origin = sent_from()
    created = operator.post(
        "/api/v1/organizations",
        json={"slug": slug, "name": "Audited Org", "admin_email": "boss@example.org"},
        **origin,
    )
    assert created.status_code == 201, created.get_json()
    organization_id = created.get_json()["data"]["id"]
    try:
        (entry,) = entries(app, request_id=request_id)
        assert (entry["action"], entry["target_type"], entry["target_id"], entry["target_label"]) == (
            "organization.created",
            "organization",
            str(organization_id),
            slug,
        )
        assert (entry["actor_kind"], entry["actor_label"]) == ("operator", "operator@example.org")
        assert entry["ip"] == origin["environ_base"]["REMOTE_ADDR"] and entry["details"]["admin_email"]

        changes = [
            ({"status": "suspended"}, "organization.suspended"),
            ({"status": "active"}, "organization.activated"),
            ({"name": "Audited Org Renamed", "settings": {"primary_color": "#112233"}}, "organization.updated"),
        ]
        for body, action in changes:
            request_id, origin = sent_from()
            assert operator.put(f"/api/v1/organizations/{organization_id}", json=body, **origin).status_code == 200
            assert [entry["action"] for entry in entries(app, request_id=request_id)] == [action]
        # by the rename's request: an organization of an earlier test may have had this id (SQLite reuses it)
        (renamed,) = entries(app, action="organization.updated", request_id=request_id)
        assert renamed["details"]["changed"]["name"] == {"before": "Audited Org", "after": "Audited Org Renamed"}
        assert renamed["details"]["changed"]["settings.primary_color"]["after"] == "#112233"

        request_id, origin = sent_from()
        assert operator.delete(f"/api/v1/organizations/{organization_id}", **origin).status_code == 200
        assert [entry["action"] for entry in entries(app, request_id=request_id)] == [
            "organization.backed_up",  # the archive's backup
            "organization.archived",
        ]
    finally:
        destroy_tenant(app, organization_id)


def test_an_org_admins_own_rename_stays_in_their_organizations_trail(app, api, tenant, login_as):
    request_id, origin = sent_from()
    admin = api(tenant, login_as(tenant, "org_admin"))
    assert admin.put(f"/api/v1/organizations/{tenant.id}", json={"name": "Ours"}, **origin).status_code == 200
    assert entries(app, request_id=request_id) == []


def test_cli_actions_are_recorded_as_the_system_with_the_command(app, tenant):
    runner = app.test_cli_runner()
    for command in ("suspend", "activate", "backup"):
        result = runner.invoke(args=["tenants", command, tenant.slug])
        assert result.exit_code == 0, result.output
    recorded = entries(app, target_type="organization", target_id=str(tenant.id))
    assert [entry["action"] for entry in recorded][-3:] == [
        "organization.suspended",
        "organization.activated",
        "organization.backed_up",
    ]
    for entry, command in zip(recorded[-3:], ("suspend", "activate", "backup"), strict=True):
        assert entry["actor_kind"] == "system" and entry["actor_label"].endswith(f"tenants {command}")
        assert entry["ip"] is None and entry["request_id"] is None
    assert recorded[-1]["details"]["file"].endswith(".tar")


def test_operators_read_it_on_a_page_and_through_the_api_and_nobody_changes_it(
    app, api, operator_token, operator_email, tenant, login_as
):
    for _ in range(3):
        Browser(app, None).sign_in(operator_email, password="wrong-password-99")
    operator = api(None, operator_token)

    listed = operator.get(f"/api/v1/platform/audit-events?filter[who]={operator_email}&per_page=2")
    body = listed.get_json()
    assert listed.status_code == 200 and body["meta"]["total"] == 3 and len(body["data"]) == 2
    assert body["data"][0]["action"] == "operator.sign_in_failed" and body["data"][0]["outcome"] == "failure"
    assert body["data"][0]["id"] > body["data"][1]["id"]  # newest first
    one = operator.get(f"/api/v1/platform/audit-events/{body['data'][0]['id']}").get_json()["data"]
    assert one["target_label"] == operator_email and "subject_user_id" not in one
    bad = operator.get("/api/v1/platform/audit-events?filter[subject_user_id]=1")
    assert bad.status_code == 400 and "filter[subject_user_id]" in bad.get_json()["error"]["details"]
    by_organization = operator.get(f"/api/v1/platform/audit-events?filter[organization]={tenant.slug}").get_json()
    assert {entry["target_label"] for entry in by_organization["data"]} == {tenant.slug}
    assert by_organization["data"][-1]["action"] == "organization.created"
    for method in ("put", "delete"):
        assert getattr(operator, method)(f"/api/v1/platform/audit-events/{one['id']}").status_code == 405

    admin_token = login_as(tenant, "org_admin")
    assert api(tenant, admin_token).get("/api/v1/platform/audit-events").status_code in (403, 404)
    assert api(None).get("/api/v1/platform/audit-events").status_code == 401

    console = Browser(app, None)
    console.sign_in("operator@example.org")
    page = console.get(f"/audit-trail?who={operator_email}&action=operator.sign_in_failed").get_data(as_text=True)
    assert "Platform audit trail" in page and "3 entries" in page
    assert "Operator sign-in refused: wrong password" in page
    fragment = console.get(f"/audit-trail?organization={tenant.slug}", headers={"HX-Request": "true"})
    assert "<h1>" not in fragment.get_data(as_text=True) and "Created an organization" in fragment.get_data(
        as_text=True
    )
    assert Browser(app, tenant).get("/audit-trail").status_code == 404

    with app.app_context():
        entry = db.session.get(PlatformAuditEvent, one["id"])
        entry.details = {"changed": True}
        with pytest.raises(AuditEntriesAreAppendOnly):
            db.session.commit()
        db.session.rollback()
        db.session.delete(db.session.get(PlatformAuditEvent, one["id"]))
        with pytest.raises(AuditEntriesAreAppendOnly):
            db.session.commit()
        db.session.rollback()
