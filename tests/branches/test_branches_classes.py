"""Branches and classes through the API, with branch managers kept inside their branches."""

import pytest

from app.extensions import db
from app.tenancy.models import Tenant
from tests.conftest import make_user, user_token


@pytest.fixture
def org(app, api, tenant, login_as):
    """A tenant with branches north and south, an admin token and a manager of north only."""
    admin = api(tenant, login_as(tenant, "org_admin"))
    base = f"/api/v1/organizations/{tenant.id}/branches"
    north = admin.post(base, json={"code": "north", "name": "North Campus"}).get_json()["data"]
    south = admin.post(base, json={"code": "south", "name": "South Campus"}).get_json()["data"]
    manager_id = make_user(app, tenant, "branch_manager", email="manager@example.org")
    admin.post(f"{base}/{north['id']}/users", json={"user_id": manager_id, "role": "branch_manager"})
    with app.app_context():
        manager_token = user_token(app, tenant, manager_id, "branch_manager")
    return {
        "tenant": tenant,
        "admin": admin,
        "base": base,
        "north": north,
        "south": south,
        "manager": api(tenant, manager_token),
        "manager_id": manager_id,
    }


def test_branch_crud_and_duplicates(org):
    admin, base = org["admin"], org["base"]
    listed = admin.get(base).get_json()
    assert [b["code"] for b in listed["data"]] == ["north", "south"] and listed["meta"]["total"] == 2
    assert admin.post(base, json={"code": "north", "name": "Again"}).status_code == 409
    bad = admin.post(base, json={"code": "Not Valid!", "name": ""})
    assert bad.status_code == 422 and set(bad.get_json()["error"]["details"]) == {"code", "name"}
    renamed = admin.put(f"{base}/{org['south']['id']}", json={"name": "South Site"})
    assert renamed.get_json()["data"]["name"] == "South Site"


def test_branches_of_another_organization_id_are_404(org, make_tenant):
    other = make_tenant()
    assert org["admin"].get(f"/api/v1/organizations/{other.id}/branches").status_code == 404


def test_deleting_a_branch_in_use_is_a_409_with_counts_unless_forced(org):
    admin, base, north = org["admin"], org["base"], org["north"]
    admin.post("/api/v1/classes", json={"branch_id": north["id"], "name": "Algebra 1"})
    refused = admin.delete(f"{base}/{north['id']}")
    assert refused.status_code == 409
    error = refused.get_json()["error"]
    assert (
        error["code"] == "BRANCH_NOT_EMPTY" and "1 class(es)" in error["message"] and "1 member(s)" in error["message"]
    )
    forced = admin.delete(f"{base}/{north['id']}?force=true")
    assert forced.get_json()["data"] == {"id": north["id"], "outcome": "archived"}
    assert [b["code"] for b in admin.get(base).get_json()["data"]] == ["south"]
    empty = admin.delete(f"{base}/{org['south']['id']}")
    assert empty.get_json()["data"]["outcome"] == "deleted"


def test_branch_settings_override_the_organization(app, org):
    with app.app_context():
        record = db.session.get(Tenant, org["tenant"].id)
        record.settings = {"time_zone": "Europe/Paris", "primary_color": "#112233"}
        db.session.commit()
    url = f"{org['base']}/{org['north']['id']}/settings"
    changed = org["admin"].put(url, json={"time_zone": "Europe/Lisbon"}).get_json()["data"]
    assert changed["own"] == {"time_zone": "Europe/Lisbon"}
    assert changed["effective"]["time_zone"] == "Europe/Lisbon" and changed["effective"]["primary_color"] == "#112233"
    bad = org["admin"].put(url, json={"primary_color": "red"})
    assert bad.status_code == 422


def test_branch_manager_sees_and_manages_only_their_branch(org):
    manager, north, south = org["manager"], org["north"], org["south"]
    assert [b["code"] for b in manager.get(org["base"]).get_json()["data"]] == ["north"]
    assert manager.get(f"{org['base']}/{south['id']}").status_code == 404
    assert manager.post(org["base"], json={"code": "east", "name": "East"}).status_code == 403
    assert manager.post("/api/v1/classes", json={"branch_id": north["id"], "name": "Biology"}).status_code == 201
    refused = manager.post("/api/v1/classes", json={"branch_id": south["id"], "name": "Biology"})
    assert refused.status_code == 403 and refused.get_json()["error"]["code"] == "OUT_OF_SCOPE"
    org["admin"].post("/api/v1/classes", json={"branch_id": south["id"], "name": "Chemistry"})
    assert [c["name"] for c in manager.get("/api/v1/classes").get_json()["data"]] == ["Biology"]


def test_class_roster(app, org):
    admin = org["admin"]
    created = admin.post(
        "/api/v1/classes",
        json={"branch_id": org["north"]["id"], "name": "History", "term_start": "2026-09-01", "term_end": "2027-06-30"},
    )
    assert created.status_code == 201
    class_id = created.get_json()["data"]["id"]
    teacher = make_user(app, org["tenant"], "teacher", email="t@example.org")
    students = [make_user(app, org["tenant"], "student", email=f"s{i}@example.org") for i in range(3)]
    admin.post(f"/api/v1/classes/{class_id}/members", json={"user_ids": [teacher], "role": "teacher"})
    roster = admin.post(f"/api/v1/classes/{class_id}/members", json={"user_ids": students, "role": "student"})
    first = roster.get_json()["data"][0]
    assert (first["user"]["email"], first["role"]) == ("t@example.org", "teacher")
    assert len(roster.get_json()["data"]) == 4
    unknown = admin.post(f"/api/v1/classes/{class_id}/members", json={"user_ids": [99999], "role": "student"})
    assert unknown.status_code == 422
    removed = admin.delete(f"/api/v1/classes/{class_id}/members/{students[0]}")
    assert removed.status_code == 200 and removed.get_json()["success"] is True
    assert len(admin.get(f"/api/v1/classes/{class_id}/members").get_json()["data"]) == 3
    backwards = admin.put(f"/api/v1/classes/{class_id}", json={"term_end": "2026-01-01"})
    assert backwards.status_code == 422 and "term_end" in backwards.get_json()["error"]["details"]


def test_a_branch_keeping_archived_classes_is_archived_not_deleted(org):
    """Its archived classes' history names it: deleting it is a 409 (never a 500), forcing archives it."""
    admin, base, south = org["admin"], org["base"], org["south"]
    made = admin.post("/api/v1/classes", json={"branch_id": south["id"], "name": "Old cohort"}).get_json()["data"]
    assert admin.delete(f"/api/v1/classes/{made['id']}").status_code == 200
    refused = admin.delete(f"{base}/{south['id']}")
    assert refused.status_code == 409
    assert refused.get_json()["error"]["details"] == {"branch": ["archived classes: 1"]}
    forced = admin.delete(f"{base}/{south['id']}?force=true")
    assert forced.get_json()["data"] == {"id": south["id"], "outcome": "archived"}
    assert admin.get(f"/api/v1/classes/{made['id']}").status_code == 200
