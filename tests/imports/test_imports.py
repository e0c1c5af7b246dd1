"""Bulk import of people from CSV, on a real Redis queue and real tenant databases."""

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.tenancy.context import tenant_context
from blueprints.branches.models import BranchMembership
from blueprints.classes.models import ClassMembership
from blueprints.users.models import User
from tests.conftest import make_user, run_jobs, user_token
from tests.support.imports import HEADER, run, upload

GOOD = (
    "ann@example.org,Ann,Archer,teacher,north,Algebra 1|Physics,T-1,\n"
    "bob@example.org,Bob,Baker,student,north,Algebra 1,S-1,\n"
    "cyd@example.org,Cyd,Cole,student,South Campus,,S-2,a-long-own-password\n"
)
BAD = (
    "not-an-email,Dan,Dunn,student,north,,,\n"  # row 5: e-mail syntax
    "ann@example.org,Ann,Again,student,north,,,\n"  # row 6: duplicate e-mail in the file
    "eve@example.org,Eve,Evans,student,nowhere,,,\n"  # row 7: unknown branch
    "fay@example.org,Fay,Fox,student,north,Chemistry,,\n"  # row 8: unknown class
    "gus@example.org,Gus,Gray,janitor,north,,,\n"  # row 9: unknown role
    ",Hal,Hill,student,north,,,\n"  # row 10: missing e-mail
    f"ivy@example.org,Ivy,{'x' * 101},student,north,,,\n"  # row 11: over-long last name
    "jon@example.org,Jon,Jones,student,north,,S-1,\n"  # row 12: duplicate external id
    "kim@example.org,Kim,King,teacher,,,,\n"  # row 13: teacher without branch
    "lee@example.org,Lee,Lane,student,north,,,password123\n"  # row 14: weak password
    "=cmd|' /C calc'!A0,Mal,Moss,student,north,,,\n"  # row 15: formula, and not an e-mail
)


@pytest.fixture
def school(app, api, tenant, login_as):
    admin_token = login_as(tenant, "org_admin")
    admin = api(tenant, admin_token)
    base = f"/api/v1/organizations/{tenant.id}/branches"
    north = admin.post(base, json={"code": "north", "name": "North Campus"}).get_json()["data"]["id"]
    south = admin.post(base, json={"code": "south", "name": "South Campus"}).get_json()["data"]["id"]
    for name in ("Algebra 1", "Physics"):
        admin.post("/api/v1/classes", json={"branch_id": north, "name": name})
    return {"tenant": tenant, "admin": admin, "north": north, "south": south}


def people(app, tenant):
    with tenant_context(tenant, app):
        return {u.email: u for u in db.session.scalars(sa.select(User))}


def test_dry_run_reports_every_bad_row_and_writes_nothing(app, school):
    before = set(people(app, school["tenant"]))
    result = run(app, school["admin"], HEADER + GOOD + BAD)
    assert result["status"] == "done" and result["mode"] == "dry_run"
    assert result["summary"] == {"to_create": 3, "to_update": 0, "unchanged": 0, "invalid": 11}
    assert result["progress"]["percent"] == 100
    assert set(people(app, school["tenant"])) == before

    errors = school["admin"].get(f"/api/v1/imports/{result['id']}/errors?per_page=100").get_json()["data"]
    found = {(e["row_number"], e["column"]) for e in errors}
    assert found == {
        (5, "email"),
        (6, "email"),
        (7, "branch"),
        (8, "classes"),
        (9, "role"),
        (10, "email"),
        (11, "last_name"),
        (12, "external_id"),
        (13, "branch"),
        (14, "password"),
        (15, "email"),
    }
    reasons = {(e["row_number"], e["column"]): e["reason"] for e in errors}
    assert reasons[(6, "email")] == "Duplicate of row 2." and "too common" in reasons[(14, "password")]


def test_commit_writes_valid_rows_skips_bad_ones_and_a_second_run_changes_nothing(app, school, mailbox):
    result = run(app, school["admin"], HEADER + GOOD + BAD, mode="commit")
    assert result["summary"] == {"to_create": 3, "to_update": 0, "unchanged": 0, "invalid": 11}
    everyone = people(app, school["tenant"])
    assert {"ann@example.org", "bob@example.org", "cyd@example.org"} <= set(everyone)
    assert "eve@example.org" not in everyone
    assert everyone["ann@example.org"].external_id == "T-1" and everyone["ann@example.org"].role == "teacher"
    assert everyone["cyd@example.org"].password_hash and everyone["bob@example.org"].password_hash is None
    with tenant_context(school["tenant"], app):
        classes = db.session.execute(
            sa.select(User.email, ClassMembership.role).join(ClassMembership, ClassMembership.user_id == User.id)
        ).all()
        branches = db.session.execute(
            sa.select(User.email, BranchMembership.branch_id).join(
                BranchMembership, BranchMembership.user_id == User.id
            )
        ).all()
    assert sorted(classes) == [
        ("ann@example.org", "teacher"),
        ("ann@example.org", "teacher"),
        ("bob@example.org", "student"),
    ]
    assert ("cyd@example.org", school["south"]) in branches

    run_jobs(app)  # the invitations queued by the commit
    assert len(mailbox.to("ann@example.org")) == 1 and len(mailbox.to("bob@example.org")) == 1
    assert mailbox.to("cyd@example.org") == []  # came with a password

    again = run(app, school["admin"], HEADER + GOOD + BAD, mode="commit")
    assert again["id"] == result["id"]  # one record per file
    assert again["summary"] == {"to_create": 0, "to_update": 0, "unchanged": 3, "invalid": 11}
    run_jobs(app)
    assert len(mailbox.to("ann@example.org")) == 1  # nobody is invited twice
    assert len(people(app, school["tenant"])) == len(everyone)


def test_rows_update_by_external_id_then_email(app, school):
    run(app, school["admin"], HEADER + GOOD, mode="commit")
    changed = HEADER + (
        "ann.archer@example.org,Ann,Archer-Smith,teacher,north,Algebra 1|Physics,T-1,\n"  # new e-mail, same id
        "bob@example.org,Bob,Baker,student,north,Algebra 1|Physics,,\n"  # a new class
        "cyd@example.org,Cyd,Cole,student,south,,S-2,\n"
    )
    result = run(app, school["admin"], changed, mode="commit")
    assert result["summary"] == {"to_create": 0, "to_update": 2, "unchanged": 1, "invalid": 0}
    everyone = people(app, school["tenant"])
    assert "ann@example.org" not in everyone
    assert everyone["ann.archer@example.org"].last_name == "Archer-Smith"


def test_a_branch_manager_is_refused_row_by_row_outside_their_branch(app, api, school):
    tenant = school["tenant"]
    manager_id = make_user(app, tenant, "branch_manager", email="boss@example.org")
    school["admin"].post(
        f"/api/v1/organizations/{tenant.id}/branches/{school['north']}/users",
        json={"user_id": manager_id, "role": "branch_manager"},
    )
    with app.app_context():
        manager = api(tenant, user_token(app, tenant, manager_id, "branch_manager"))
    text = HEADER + (
        "new1@example.org,New,One,student,north,,,\n"
        "new2@example.org,New,Two,student,south,,,\n"
        "new3@example.org,New,Three,org_admin,,,,\n"
    )
    result = run(app, manager, text, mode="commit")
    assert result["summary"]["to_create"] == 1 and result["summary"]["invalid"] == 2
    errors = manager.get(f"/api/v1/imports/{result['id']}/errors").get_json()["data"]
    assert {(e["row_number"], e["column"]) for e in errors} == {(3, "branch"), (4, "role")}
    assert "new2@example.org" not in people(app, tenant)
    assert school["admin"].get(f"/api/v1/imports/{result['id']}").status_code == 200
    assert manager.get("/api/v1/imports").get_json()["data"][0]["id"] == result["id"]


def test_bom_semicolons_and_header_case_are_understood(app, school):
    text = "\ufeffE-Mail;First Name;LAST_NAME;Role;Branch\nzoe@example.org;Zoe;Zed;student;north\n"
    result = run(app, school["admin"], text.replace("E-Mail", "Email"), mode="commit")
    assert result["summary"]["to_create"] == 1 and result["summary"]["invalid"] == 0
    assert people(app, school["tenant"])["zoe@example.org"].first_name == "Zoe"


@pytest.mark.parametrize(
    "raw, message",
    [
        (b"", "empty"),
        (b"\x89PNG\r\n\x1a\n\0\0\0", "binary"),
        ("email,name\nä@x.org,Ä\n".encode("latin-1"), "UTF-8"),
        (b"\n\n", "no header"),
        (b"name,surname\nA,B\n", "lacks email, first_name, last_name, role"),
    ],
)
def test_unusable_files_get_a_clear_error(school, raw, message):
    response = upload(school["admin"], None, raw=raw)
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "INVALID_FILE" and message in error["message"]


def test_files_over_the_size_limit_are_refused(app, school):
    app.config["IMPORT_MAX_BYTES"], saved = 200, app.config["IMPORT_MAX_BYTES"]
    try:
        response = upload(school["admin"], HEADER + GOOD * 5)
    finally:
        app.config["IMPORT_MAX_BYTES"] = saved
    assert response.status_code == 422 and "larger than" in response.get_json()["error"]["message"]


def test_error_report_csv_neutralises_formulas(app, school):
    result = run(app, school["admin"], HEADER + BAD)
    response = school["admin"].get(f"/api/v1/imports/{result['id']}/errors.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeffrow,column,value,reason")
    assert "'=cmd|' /C calc'!A0" in text and "\n15,email,=cmd" not in text


def test_sample_file_imports_cleanly(app, school):
    sample = school["admin"].get("/api/v1/imports/sample.csv").get_data(as_text=True)
    result = run(app, school["admin"], sample)
    assert result["summary"]["invalid"] == 0 and result["summary"]["to_create"] == 5


def test_a_dry_run_can_be_committed(app, school):
    dry = run(app, school["admin"], HEADER + GOOD)
    committed = school["admin"].post(f"/api/v1/imports/{dry['id']}/commit")
    assert committed.status_code == 202 and committed.get_json()["data"]["mode"] == "commit"
    run_jobs(app)
    assert "ann@example.org" in people(app, school["tenant"])


@pytest.mark.parametrize("invitations", [False, True])
def test_committing_a_dry_run_keeps_its_invitation_choice(app, school, mailbox, invitations):
    """ "Import the valid rows" after a dry run sent invitations even with the box unchecked (issue 10)."""
    text = HEADER + "quiet@example.org,Quinn,Quiet,student,north,,,\n"
    dry_run = run(app, school["admin"], text, invitations=invitations)
    committed = school["admin"].post(f"/api/v1/imports/{dry_run['id']}/commit")
    assert committed.status_code == 202
    run_jobs(app)
    run_jobs(app)  # the invitations are jobs of their own
    assert "quiet@example.org" in people(app, school["tenant"])
    assert len(mailbox.to("quiet@example.org")) == (1 if invitations else 0)
