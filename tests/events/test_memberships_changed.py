"""`memberships.changed`: every way people join or leave a branch or class, or change role there, writes one event
naming exactly them, in the transaction of the change; a change that changes nothing writes none. And the guard
(tests/support/membership_guard.py) that holds every test of the suite to it catches a writer that forgets."""

import pytest
import sqlalchemy as sa

from app.events import emit_after_commit
from app.events.models import OutboxEvent
from app.extensions import db
from app.tenancy.context import tenant_context
from blueprints.branches.models import Branch, BranchMembership
from blueprints.classes.demo import DEMO_MEMBERSHIPS, seed_school
from blueprints.users.models import User
from tests.conftest import make_user
from tests.support import membership_guard
from tests.support.imports import HEADER, run
from tests.support.integrations import make_oneroster_integration, roster_zip, sample_files, sync_roster

EVENT = "memberships.changed"


class Outbox:
    """The tenant's `memberships.changed` events: `new()` answers the user_ids of each one since the last call."""

    def __init__(self, app, tenant):
        self.app, self.tenant, self.seen = app, tenant, set()
        self.new()

    def new(self):
        with tenant_context(self.tenant, self.app):
            rows = db.session.execute(
                sa.select(OutboxEvent.id, OutboxEvent.payload)
                .where(OutboxEvent.name == EVENT)
                .order_by(OutboxEvent.occurred_at, OutboxEvent.id)
            ).all()
        fresh = [payload["user_ids"] for event_id, payload in rows if event_id not in self.seen]
        self.seen |= {event_id for event_id, _payload in rows}
        return fresh


@pytest.fixture
def org(app, api, tenant, login_as):
    admin = api(tenant, login_as(tenant, "org_admin"))
    base = f"/api/v1/organizations/{tenant.id}/branches"
    north = admin.post(base, json={"code": "north", "name": "North"}).get_json()["data"]["id"]
    south = admin.post(base, json={"code": "south", "name": "South"}).get_json()["data"]["id"]
    class_id = admin.post("/api/v1/classes", json={"branch_id": north, "name": "7A"}).get_json()["data"]["id"]
    people = [make_user(app, tenant, "student", email=f"p{n}@example.org") for n in range(3)]
    return {"admin": admin, "base": base, "north": north, "south": south, "class_id": class_id, "people": people}


def test_class_members_added_moved_and_removed_name_exactly_those_people(app, tenant, org):
    admin, people, members = org["admin"], org["people"], f"/api/v1/classes/{org['class_id']}/members"
    outbox = Outbox(app, tenant)

    assert admin.post(members, json={"user_ids": people[:2], "role": "student"}).status_code == 200
    assert outbox.new() == [people[:2]]
    assert admin.post(members, json={"user_ids": people[:2], "role": "student"}).status_code == 200
    assert outbox.new() == []  # members already, same role: nothing changed
    admin.post(members, json={"user_ids": [people[1], people[2]], "role": "teacher"})
    assert outbox.new() == [[people[1], people[2]]]  # one moved to teacher, one new: one event for both
    assert admin.delete(f"{members}/{people[0]}").status_code == 200
    assert outbox.new() == [[people[0]]]
    assert admin.delete(f"{members}/{people[0]}").status_code == 404
    assert admin.post(members, json={"user_ids": [99999], "role": "student"}).status_code == 422
    assert outbox.new() == []


def test_class_role_changes_are_now_in_the_audit_log(app, tenant, org):
    """The roles were overwritten before being compared, so a role change was never recorded."""
    admin, person, members = org["admin"], org["people"][0], f"/api/v1/classes/{org['class_id']}/members"
    admin.post(members, json={"user_ids": [person], "role": "student"})
    admin.post(members, json={"user_ids": [person], "role": "teacher"})
    entries = admin.get("/api/v1/audit-events?action=class.members_changed").get_json()["data"]
    assert {"added": [], "role_changed": [person], "role": "teacher"} in [entry["details"] for entry in entries]


def test_branch_members_added_or_given_another_role(app, tenant, org):
    admin, person = org["admin"], org["people"][0]
    users = f"{org['base']}/{org['north']}/users"
    outbox = Outbox(app, tenant)

    assert admin.post(users, json={"user_id": person, "role": "student"}).status_code == 201
    assert outbox.new() == [[person]]
    admin.post(users, json={"user_id": person, "role": "student"})
    assert outbox.new() == []
    admin.post(users, json={"user_id": person, "role": "teacher"})
    assert outbox.new() == [[person]]


def test_a_person_added_with_branches_edited_and_moved(app, tenant, org):
    admin, north, south = org["admin"], org["north"], org["south"]
    outbox = Outbox(app, tenant)

    created = admin.post(
        "/api/v1/users",
        json={
            "email": "new@example.org",
            "first_name": "N",
            "last_name": "Ew",
            "role": "student",
            "branch_ids": [north],
        },
    )
    person = created.get_json()["data"]["id"]
    assert outbox.new() == [[person]]
    admin.post(
        "/api/v1/users", json={"email": "x@example.org", "first_name": "X", "last_name": "Y", "role": "org_admin"}
    )
    assert outbox.new() == []  # no branch: no membership

    assert admin.put(f"/api/v1/users/{person}", json={"branch_ids": [north]}).status_code == 200
    assert admin.put(f"/api/v1/users/{person}", json={"first_name": "Nia"}).status_code == 200
    assert outbox.new() == []
    # A new role (followed in their branches) and a move, in one request: one event.
    moved = admin.put(f"/api/v1/users/{person}", json={"role": "teacher", "branch_ids": [north, south]})
    assert moved.status_code == 200
    assert outbox.new() == [[person]]
    assert admin.put(f"/api/v1/users/{person}", json={"branch_ids": [south]}).status_code == 200
    assert outbox.new() == [[person]]
    refused = admin.put(f"/api/v1/users/{person}", json={"branch_ids": [99999]})
    assert refused.status_code == 422
    assert outbox.new() == []


def test_an_import_emits_once_per_batch_naming_who_joined_or_changed_role(app, tenant, org):
    admin = org["admin"]
    outbox = Outbox(app, tenant)
    csv = HEADER + "ann@example.org,Ann,Archer,student,north,7A,,\nbob@example.org,Bob,Baker,student,south,,,\n"

    assert run(app, admin, csv)["status"] == "done"  # a dry run writes nothing
    assert outbox.new() == []
    assert run(app, admin, csv, mode="commit")["status"] == "done"
    with tenant_context(tenant, app):
        ids = dict(db.session.execute(sa.select(User.email, User.id)).all())
    assert outbox.new() == [sorted([ids["ann@example.org"], ids["bob@example.org"]])]
    assert run(app, admin, csv, mode="commit")["summary"]["unchanged"] == 2
    assert outbox.new() == []
    teacher = HEADER + "ann@example.org,Ann,Archer,teacher,north,7A,,\n"
    run(app, admin, teacher, mode="commit")
    assert outbox.new() == [[ids["ann@example.org"]]]


def test_a_roster_delta_names_who_it_enrolled_and_whom_it_removed(app, api, tenant, login_as):
    admin = api(tenant, login_as(tenant, "org_admin"))
    integration = make_oneroster_integration(app, tenant)
    sync_roster(app, admin, integration, roster_zip(), dry_run=False)
    outbox = Outbox(app, tenant)
    stamp = "2024-09-01T08:00:00.000Z"
    manifest = sample_files()["manifest.csv"].replace(",bulk", ",delta")
    delta = {
        "enrollments.csv": (
            "sourcedId,status,dateLastModified,classSourcedId,schoolSourcedId,userSourcedId,role\n"
            f"enr-5,tobedeleted,{stamp},class-math-3a,org-school-1,user-s-2,student\n"
            f"enr-10,active,{stamp},class-math-3b,org-school-1,user-s-1,student\n"
        ),
    }
    delta["manifest.csv"] = "\n".join(
        line
        if not line.startswith("file.") or line.split(",")[0][5:] + ".csv" in delta
        else line.split(",")[0] + ",absent"
        for line in manifest.splitlines()
    )
    assert sync_roster(app, admin, integration, roster_zip(delta))["bad_rows"] == 0
    assert outbox.new() == []  # a dry run
    done = sync_roster(app, admin, integration, roster_zip(delta), dry_run=False)
    assert done["counts"]["enrollments.csv"]["removed"] == 1
    with tenant_context(tenant, app):
        ids = dict(db.session.execute(sa.select(User.external_id, User.id).where(User.external_id.is_not(None))).all())
    assert outbox.new() == [[ids["user-s-1"]], [ids["user-s-2"]]]  # the engine's batch, then the removals
    sync_roster(app, admin, integration, roster_zip(delta), dry_run=False)
    assert outbox.new() == []  # the same delta again changes nothing


def test_the_demo_school_emits_for_who_it_seats_and_nothing_when_seeded_again(app, tenant):
    people = {email: make_user(app, tenant, "student", email=email) for email, *_rest in DEMO_MEMBERSHIPS}
    outbox = Outbox(app, tenant)
    with tenant_context(tenant, app):
        list(seed_school("unused"))
    assert outbox.new() == [sorted(people.values())]
    with tenant_context(tenant, app):
        list(seed_school("unused"))
    assert outbox.new() == []


def test_deleting_an_empty_branch_changes_no_membership_and_emits_nothing(app, tenant, org):
    admin = org["admin"]
    outbox = Outbox(app, tenant)
    empty = admin.post(org["base"], json={"code": "east", "name": "East"}).get_json()["data"]["id"]
    assert admin.delete(f"{org['base']}/{empty}").get_json()["data"]["outcome"] == "deleted"
    assert outbox.new() == []


# The guard ------------------------------------------------------------------------------------------------------


def _taken():
    """What the guard found so far, taken out: the test checks it instead of failing on it."""
    found, membership_guard.violations[:] = list(membership_guard.violations), []
    return found


def test_the_guard_catches_a_writer_that_forgets_the_event(app, tenant, org):
    person, north = org["people"][0], org["north"]
    with tenant_context(tenant, app):
        db.session.add(BranchMembership(user_id=person, branch_id=north, role="student"))
        db.session.commit()
    found = _taken()
    assert len(found) == 1 and "without emitting `memberships.changed`" in found[0]
    assert "INSERT INTO branch_memberships" in found[0] and "test_memberships_changed.py" in found[0]


def test_the_guard_catches_an_event_that_leaves_someone_out(app, tenant, org):
    first, second, north = org["people"][0], org["people"][1], org["north"]
    with tenant_context(tenant, app):
        db.session.add(BranchMembership(user_id=first, branch_id=north, role="student"))
        db.session.add(BranchMembership(user_id=second, branch_id=north, role="student"))
        emit_after_commit(db.session, EVENT, user_ids=[first])
        db.session.commit()
        assert [f"memberships of [{second}]" in finding for finding in _taken()] == [True]
        db.session.execute(sa.update(BranchMembership).where(BranchMembership.user_id == second).values(role="teacher"))
        emit_after_commit(db.session, EVENT, user_ids=[first])
        db.session.commit()
        assert [f"memberships of [{second}]" in finding for finding in _taken()] == [True]
        db.session.execute(sa.delete(BranchMembership).where(BranchMembership.branch_id == north))
        emit_after_commit(db.session, EVENT, user_ids=[first, second])
        db.session.commit()
    assert _taken() == []


def test_the_guard_sees_memberships_going_by_cascade(app, tenant, org):
    """Nothing in the application deletes a person or a class today; if something does, the guard sees their
    memberships go with them."""
    person, north = org["people"][0], org["north"]
    org["admin"].post(f"{org['base']}/{north}/users", json={"user_id": person, "role": "student"})
    with tenant_context(tenant, app):
        db.session.execute(sa.delete(User).where(User.id == org["people"][1]))  # in no branch: nothing goes
        db.session.commit()
        assert _taken() == []
        db.session.execute(sa.delete(User).where(User.id == person))
        db.session.commit()
    assert ["without emitting" in finding and "DELETE FROM users" in finding for finding in _taken()] == [True]
    with tenant_context(tenant, app):
        db.session.execute(sa.delete(Branch).where(Branch.id == org["south"]))  # nobody in it: nothing goes
        emit_after_commit(db.session, EVENT, user_ids=[org["people"][2]])
        db.session.commit()
    assert ["without changing any membership" in finding for finding in _taken()] == [True]


def test_the_guard_forgets_what_was_rolled_back_and_accepts_the_event(app, tenant, org):
    person, north, south = org["people"][0], org["north"], org["south"]
    with tenant_context(tenant, app):
        db.session.add(BranchMembership(user_id=person, branch_id=north, role="student"))
        db.session.flush()
        db.session.rollback()
        savepoint = db.session.begin_nested()
        db.session.add(BranchMembership(user_id=person, branch_id=north, role="student"))
        db.session.flush()
        savepoint.rollback()
        db.session.execute(sa.update(Branch).where(Branch.id == south).values(name="South Campus"))
        db.session.commit()
        assert _taken() == []
        db.session.add(BranchMembership(user_id=person, branch_id=south, role="student"))
        emit_after_commit(db.session, EVENT, user_ids=[person])
        db.session.commit()
        assert _taken() == []
        emit_after_commit(db.session, EVENT, user_ids=[person])
        db.session.commit()
    assert ["without changing any membership" in finding for finding in _taken()] == [True]


def test_the_guard_lets_a_block_opt_out_with_a_reason(app, tenant, org):
    with tenant_context(tenant, app), membership_guard.memberships_written_without_event("seeding test rows"):
        db.session.add(BranchMembership(user_id=org["people"][0], branch_id=org["north"], role="student"))
        db.session.commit()
    assert _taken() == []
    with pytest.raises(ValueError, match="Say why"), membership_guard.memberships_written_without_event(""):
        pass
