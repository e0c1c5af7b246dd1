"""People through the API: filters, branch scope, invitations, deactivation, CSV export round trip."""

import io

import pytest

from tests.conftest import PASSWORD, make_user, run_jobs, user_token
from tests.support.statements import recorded_statements

LOGIN = "/api/v1/auth/login"


@pytest.fixture
def org(app, api, tenant, login_as):
    admin = api(tenant, login_as(tenant, "org_admin"))
    base = f"/api/v1/organizations/{tenant.id}/branches"
    north = admin.post(base, json={"code": "north", "name": "North"}).get_json()["data"]["id"]
    south = admin.post(base, json={"code": "south", "name": "South"}).get_json()["data"]["id"]
    admin.post("/api/v1/classes", json={"branch_id": north, "name": "Algebra 1"})
    manager_id = make_user(app, tenant, "branch_manager", email="boss@example.org")
    admin.post(f"{base}/{north}/users", json={"user_id": manager_id, "role": "branch_manager"})
    with app.app_context():
        manager = api(tenant, user_token(app, tenant, manager_id, "branch_manager"))
    return {"tenant": tenant, "admin": admin, "manager": manager, "north": north, "south": south}


def add(client, **fields):
    body = {"first_name": "Pat", "last_name": "Lee", "role": "student"} | fields
    return client.post("/api/v1/users", json=body)


def emails(response):
    return sorted(row["email"] for row in response.get_json()["data"])


def test_admin_adds_people_who_get_an_invitation_they_can_use(app, api, org, mailbox):
    created = add(org["admin"], email="new@example.org", branch_ids=[org["north"]])
    assert created.status_code == 201
    assert created.get_json()["data"]["status"] == "invited"
    run_jobs(app)
    [mail] = mailbox.to("new@example.org")
    token = mail.get_body(("plain",)).get_content().split("token=")[1].split()[0]
    tenant_api = api(org["tenant"])
    assert (
        tenant_api.post(
            "/api/v1/auth/reset-password", json={"token": token, "password": "my-own-passphrase"}
        ).status_code
        == 200
    )
    assert tenant_api.post(LOGIN, json={"email": "new@example.org", "password": "my-own-passphrase"}).status_code == 200
    duplicate = add(org["admin"], email="new@example.org")
    assert duplicate.status_code == 409


def test_filters_on_branch_status_role_and_email(org):
    admin = org["admin"]
    add(admin, email="n1@example.org", branch_ids=[org["north"]], send_invitation=False)
    add(admin, email="s1@example.org", branch_ids=[org["south"]], password="a-long-passphrase", role="teacher")
    assert emails(admin.get(f"/api/v1/users?filter[branch]={org['north']}")) == ["boss@example.org", "n1@example.org"]
    assert emails(admin.get("/api/v1/users?filter[status]=invited")) == ["n1@example.org"]
    assert "n1@example.org" not in emails(admin.get("/api/v1/users?filter[status][nin]=invited,inactive"))
    assert emails(admin.get("/api/v1/users?filter[role]=teacher")) == ["s1@example.org"]
    assert emails(admin.get("/api/v1/users?filter[email][ilike]=S1@%")) == ["s1@example.org"]
    bad = admin.get("/api/v1/users?filter[status]=sleeping")
    assert bad.status_code == 400 and "filter[status][eq]" in bad.get_json()["error"]["details"]


def test_the_status_parameter_narrows_the_list_and_by_default_leaves_nobody_out(org):
    admin = org["admin"]
    add(admin, email="invited@example.org", send_invitation=False)
    add(admin, email="gone@example.org", password="a-long-passphrase")
    gone = admin.get("/api/v1/users?filter[email]=gone@example.org").get_json()["data"][0]["id"]
    assert admin.delete(f"/api/v1/users/{gone}").status_code == 200  # deactivated: no sign-in, records kept
    everyone = emails(admin.get("/api/v1/users"))  # a v1 client keeping another system in step sees all
    assert {"boss@example.org", "gone@example.org", "invited@example.org"} < set(everyone)
    assert emails(admin.get("/api/v1/users?status=all")) == everyone
    assert emails(admin.get("/api/v1/users?status=active,invited")) == [e for e in everyone if e != "gone@example.org"]
    assert emails(admin.get("/api/v1/users?status=inactive")) == ["gone@example.org"]
    both = admin.get("/api/v1/users?status=active,invited&filter[status]=invited")  # the two narrow together
    assert emails(both) == ["invited@example.org"] and both.get_json()["meta"]["total"] == 1
    csv = admin.get("/api/v1/users?format=csv&status=inactive").get_data(as_text=True)
    assert "gone@example.org" in csv and "invited@example.org" not in csv
    documented = admin.get("/api/v1/openapi.json").get_json()["paths"]["/api/v1/users"]["get"]["parameters"]
    [status] = [parameter for parameter in documented if parameter["name"] == "status"]
    assert status["schema"]["default"] == "all" and "must go on seeing who was deactivated" in status["description"]
    for bad in ("sleeping", "active,", "", "ALL"):
        refused = admin.get(f"/api/v1/users?status={bad}")
        assert refused.status_code == 422, bad
        assert refused.get_json()["error"]["details"]["status"] == [
            "Use all, or active, invited, inactive, archived separated by commas."
        ]


def test_branch_managers_see_and_manage_only_their_branches(org):
    admin, manager = org["admin"], org["manager"]
    south_person = add(admin, email="s1@example.org", branch_ids=[org["south"]]).get_json()["data"]["id"]
    assert add(manager, email="n1@example.org", branch_ids=[org["north"]]).status_code == 201
    assert add(manager, email="s2@example.org", branch_ids=[org["south"]]).status_code == 403
    assert add(manager, email="x@example.org").status_code == 422  # a branch is required
    assert add(manager, email="a@example.org", role="org_admin", branch_ids=[org["north"]]).status_code == 403
    assert emails(manager.get("/api/v1/users")) == ["boss@example.org", "n1@example.org"]
    assert manager.get(f"/api/v1/users/{south_person}").status_code == 404
    assert manager.delete(f"/api/v1/users/{south_person}").status_code == 404


def test_deactivation_keeps_the_record_and_stops_sign_in(app, api, org):
    person = add(
        org["admin"], email="leaver@example.org", password="a-long-passphrase", branch_ids=[org["north"]]
    ).get_json()["data"]
    tenant_api = api(org["tenant"])
    tokens = tenant_api.post(LOGIN, json={"email": "leaver@example.org", "password": "a-long-passphrase"}).get_json()
    deactivated = org["admin"].delete(f"/api/v1/users/{person['id']}")
    assert deactivated.get_json()["data"]["status"] == "inactive"
    assert (
        tenant_api.post(LOGIN, json={"email": "leaver@example.org", "password": "a-long-passphrase"}).status_code == 401
    )
    assert api(org["tenant"], tokens["data"]["access_token"]).get("/api/v1/auth/me").status_code == 401
    assert org["admin"].get(f"/api/v1/users/{person['id']}").get_json()["data"]["email"] == "leaver@example.org"
    back = org["admin"].put(f"/api/v1/users/{person['id']}", json={"is_active": True})
    assert back.get_json()["data"]["status"] == "active"
    assert (
        tenant_api.post(LOGIN, json={"email": "leaver@example.org", "password": "a-long-passphrase"}).status_code == 200
    )


def test_export_round_trips_through_the_import_unchanged(app, org):
    admin = org["admin"]
    add(
        admin,
        email="ann@example.org",
        branch_ids=[org["north"]],
        external_id="T-1",
        role="teacher",
        send_invitation=False,
    )
    add(admin, email="mal@example.org", first_name="=SUM(A1:A9)", branch_ids=[org["south"]], send_invitation=False)
    ann = admin.get("/api/v1/users?filter[email]=ann@example.org").get_json()["data"][0]["id"]
    class_id = admin.get("/api/v1/classes").get_json()["data"][0]["id"]
    admin.post(f"/api/v1/classes/{class_id}/members", json={"user_ids": [ann], "role": "teacher"})

    exported = admin.get("/api/v1/users?format=csv&filter[email][ne]=admin@example.org")
    assert exported.status_code == 200 and exported.mimetype == "text/csv"
    text = exported.get_data(as_text=True)
    assert text.startswith("\ufeffemail,first_name,last_name,role,branch,classes,external_id")
    assert "ann@example.org,Pat,Lee,teacher,north,Algebra 1,T-1" in text
    assert "'=SUM(A1:A9)" in text  # a formula is written as text

    text = text.replace("'=SUM(A1:A9)", "=SUM(A1:A9)")  # what a spreadsheet gives back
    upload = admin.post(
        "/api/v1/imports",
        content_type="multipart/form-data",
        data={"file": (io.BytesIO(text.encode()), "export.csv"), "mode": "dry_run"},
    )
    run_jobs(app)
    summary = admin.get(f"/api/v1/imports/{upload.get_json()['data']['id']}").get_json()["data"]["summary"]
    assert summary == {"to_create": 0, "to_update": 0, "unchanged": 4, "invalid": 0}


def test_manager_export_holds_only_their_branches(org):
    add(org["admin"], email="s1@example.org", branch_ids=[org["south"]], send_invitation=False)
    text = org["manager"].get("/api/v1/users?format=csv").get_data(as_text=True)
    assert "boss@example.org" in text and "s1@example.org" not in text


def test_people_list_is_two_queries_whatever_the_page_size(app, org):
    for n in range(30):
        add(org["admin"], email=f"p{n}@example.org", branch_ids=[org["north"]], send_invitation=False)
    with recorded_statements(app, org["tenant"]) as recorded:
        response = org["admin"].get(f"/api/v1/users?per_page=100&filter[branch]={org['north']}")
    assert response.get_json()["meta"]["total"] == 31
    statements = [sql for sql, _parameters in recorded.statements]
    listing = [s for s in statements if "FROM users" in s and "count" not in s.lower()]
    assert len(listing) == 2  # the principal's own row, and the page
    assert sum("count" in s.lower() for s in statements) == 1


def test_passwords_given_in_the_api_must_meet_the_policy(org):
    weak = add(org["admin"], email="weak@example.org", password="password123", branch_ids=[org["north"]])
    assert weak.status_code == 422 and "password" in weak.get_json()["error"]["details"]
    assert PASSWORD  # the fixture password is a good one
