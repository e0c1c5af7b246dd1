"""Imports belong to who started them: the same file from two people is two records."""

import pytest

from tests.conftest import make_user, run_jobs, user_token
from tests.support.imports import HEADER, run, upload

NORTH_ONLY = HEADER + "ann@example.org,Ann,Archer,teacher,north,,T-1,\nbob@example.org,Bob,Baker,student,north,,S-1,\n"


@pytest.fixture
def school(app, api, tenant, login_as):
    admin = api(tenant, login_as(tenant, "org_admin"))
    base = f"/api/v1/organizations/{tenant.id}/branches"
    north = admin.post(base, json={"code": "north", "name": "North Campus"}).get_json()["data"]["id"]
    return {"tenant": tenant, "admin": admin, "north": north}


def manager_of_north(app, api, school, email):
    tenant = school["tenant"]
    manager_id = make_user(app, tenant, "branch_manager", email=email)
    school["admin"].post(
        f"/api/v1/organizations/{tenant.id}/branches/{school['north']}/users",
        json={"user_id": manager_id, "role": "branch_manager"},
    )
    return api(tenant, user_token(app, tenant, manager_id, "branch_manager"))


def test_a_manager_s_dry_run_of_the_admin_s_file_is_their_own_record(app, api, school):
    admin = school["admin"]
    admins = run(app, admin, NORTH_ONLY)
    boss = manager_of_north(app, api, school, "boss@example.org")
    bosses = run(app, boss, NORTH_ONLY)
    assert bosses["id"] != admins["id"]
    # The admin's record is as the admin left it: same id, same counts, still theirs.
    again = admin.get(f"/api/v1/imports/{admins['id']}").get_json()["data"]
    assert again["summary"] == admins["summary"] and again["finished_at"] == admins["finished_at"]
    assert boss.get(f"/api/v1/imports/{admins['id']}").status_code == 404
    assert [r["id"] for r in boss.get("/api/v1/imports").get_json()["data"]] == [bosses["id"]]
    assert {r["id"] for r in admin.get("/api/v1/imports").get_json()["data"]} == {admins["id"], bosses["id"]}
    # Uploading the same file again is still the same record for the same person.
    assert upload(boss, NORTH_ONLY).get_json()["data"]["id"] == bosses["id"]
    run_jobs(app)


def test_a_co_manager_does_not_see_or_commit_another_manager_s_import(app, api, school):
    first = manager_of_north(app, api, school, "first@example.org")
    second = manager_of_north(app, api, school, "second@example.org")
    dry = run(app, first, NORTH_ONLY)
    assert second.get(f"/api/v1/imports/{dry['id']}").status_code == 404
    assert second.post(f"/api/v1/imports/{dry['id']}/commit").status_code == 404
    assert second.get("/api/v1/imports").get_json()["data"] == []
    committed = school["admin"].post(f"/api/v1/imports/{dry['id']}/commit")  # an org admin may
    assert committed.status_code == 202
    run_jobs(app)
