"""The org admin's Credentials page and API (keys, rotation, the log and its audit), and the two commands."""

import pytest

from app.extensions import db
from app.tenancy.context import tenant_context
from blueprints.credentials import keys, ledger
from tests.conftest import make_user
from tests.support.browser import Browser
from tests.support.credentials import run_sql


def _log(app, tenant, count):
    with tenant_context(tenant, app):
        keys.active_key()
        for n in range(1, count + 1):
            ledger.append("issued", "certificate", n, {"code": f"CODE-{n}"})
        db.session.commit()


@pytest.fixture
def admin_page(app, tenant):
    make_user(app, tenant, "org_admin", email="boss@example.org")
    page = Browser(app, tenant)
    page.sign_in("boss@example.org")
    return page


def test_the_page_lists_keys_and_the_logs_last_entries(app, tenant, admin_page):
    _log(app, tenant, 12)
    html = admin_page.get("/settings/credentials").get_data(as_text=True)
    with tenant_context(tenant, app):
        kid, head = keys.active_key().kid, ledger.head()
    assert kid in html and "signs" in html
    assert head["hash"] in html
    assert html.count('<td data-label="Action">issued</td>') == 10  # the last ten
    settings = admin_page.get("/settings").get_data(as_text=True)
    assert 'href="/settings/credentials"' in settings


def test_rotating_needs_the_confirmation(app, tenant, admin_page):
    _log(app, tenant, 0)
    refused = admin_page.post("/settings/credentials/rotate", {}, csrf_from="/settings/credentials")
    assert refused.status_code == 422 and "Tick the box" in refused.get_data(as_text=True)
    with tenant_context(tenant, app):
        assert len(keys.jwks()["keys"]) == 1
    done = admin_page.post(
        "/settings/credentials/rotate", {"confirm": "y"}, csrf_from="/settings/credentials", follow_redirects=True
    )
    assert done.status_code == 200
    with tenant_context(tenant, app):
        kids = [key.kid for key in keys.all_keys()]
    assert len(kids) == 2 and f"New signing key {kids[0]} is active" in done.get_data(as_text=True)
    assert "retired" in done.get_data(as_text=True)


def test_the_audit_button_tells_intact_from_broken(app, tenant, admin_page):
    _log(app, tenant, 4)
    intact = admin_page.post(
        "/settings/credentials/audit", {}, csrf_from="/settings/credentials", headers={"HX-Request": "true"}
    )
    text = intact.get_data(as_text=True)
    assert intact.status_code == 200 and text.lstrip().startswith('<div id="audit-result"')  # the fragment
    assert "The log is intact:" in text and "4 entries checked" in text
    run_sql(app, tenant, "DELETE FROM ledger_entries WHERE seq = 2")
    broken = admin_page.post("/settings/credentials/audit", {}, csrf_from="/settings/credentials")
    text = broken.get_data(as_text=True)
    assert "<h1>Credentials</h1>" in text  # without htmx: the whole page
    assert "The log is broken at entry 2." in text


def test_the_page_and_its_forms_are_the_org_admins(app, tenant):
    make_user(app, tenant, "branch_manager", email="bm@example.org")
    page = Browser(app, tenant)
    page.sign_in("bm@example.org")
    assert page.get("/settings/credentials").status_code == 403
    assert page.post("/settings/credentials/rotate", {"confirm": "y"}, csrf_from="/settings").status_code == 403
    anonymous = Browser(app, tenant)
    assert anonymous.get("/settings/credentials").status_code == 302
    # and no form posts without its CSRF token
    admin = Browser(app, tenant)
    make_user(app, tenant, "org_admin", email="boss2@example.org")
    admin.sign_in("boss2@example.org")
    assert admin.post("/settings/credentials/rotate", {"confirm": "y"}).status_code == 400
    with tenant_context(tenant, app):
        assert keys.all_keys() == []


def test_the_api_lists_rotates_and_audits(app, api, tenant, login_as):
    _log(app, tenant, 3)
    admin = api(tenant, login_as(tenant, "org_admin"))
    listed = admin.get("/api/v1/credentials/keys").get_json()
    assert listed["meta"]["total"] == 1 and listed["data"][0]["active"] is True
    rotated = admin.post("/api/v1/credentials/keys/rotate")
    assert rotated.status_code == 201
    new = rotated.get_json()["data"]
    assert new["active"] and new["public_jwk"]["kid"] == new["kid"] and new["created_by_id"] is not None
    listed = admin.get("/api/v1/credentials/keys?sort=id").get_json()["data"]
    assert [key["active"] for key in listed] == [False, True] and listed[0]["retired_at"]
    log = admin.get("/api/v1/credentials/log?filter[subject_id][gte]=2&fields=seq,data").get_json()
    assert log["meta"]["total"] == 2
    assert log["data"] == [{"seq": 3, "data": {"code": "CODE-3"}}, {"seq": 2, "data": {"code": "CODE-2"}}]
    assert admin.get("/api/v1/credentials/log?filter[payload]=x").status_code == 400
    audit = admin.get("/api/v1/credentials/log/audit").get_json()["data"]
    assert audit["ok"] and audit["checked"] == 3 and audit["head"]["seq"] == 3
    run_sql(app, tenant, "UPDATE ledger_entries SET payload = replace(payload, 'CODE-2', 'CODE-7') WHERE seq = 2")
    audit = admin.get("/api/v1/credentials/log/audit").get_json()["data"]
    assert (audit["ok"], audit["broken_seq"], audit["checked"]) == (False, 2, 1)


def test_the_api_is_the_org_admins(api, tenant, login_as):
    teacher = api(tenant, login_as(tenant, "teacher"))
    for method, path in (("GET", "/api/v1/credentials/keys"), ("POST", "/api/v1/credentials/keys/rotate")):
        refused = teacher.open(method, path)
        assert refused.status_code == 403 and refused.get_json()["error"]["code"] == "FORBIDDEN"
    assert api(tenant).get("/api/v1/credentials/log").status_code == 401


def test_the_commands_rotate_and_audit(app, tenant):
    _log(app, tenant, 2)
    runner = app.test_cli_runner()
    rotated = runner.invoke(args=["credentials", "rotate-key", "--tenant", tenant.slug])
    assert rotated.exit_code == 0, rotated.output
    with tenant_context(tenant, app):
        assert f"new signing key {keys.active_key().kid} (1 earlier key still published)" in rotated.output
    intact = runner.invoke(args=["credentials", "audit", "--tenant", tenant.slug])
    assert intact.exit_code == 0 and "intact: 2 entries" in intact.output
    run_sql(app, tenant, "UPDATE ledger_entries SET entry_hash = :h WHERE seq = 1", h="e" * 64)
    broken = runner.invoke(args=["credentials", "audit", "--tenant", tenant.slug])
    assert broken.exit_code == 1 and "broken at entry 1" in broken.output
    unknown = runner.invoke(args=["credentials", "audit", "--tenant", "no-such-org"])
    assert unknown.exit_code == 2 and "no-such-org" in unknown.output
