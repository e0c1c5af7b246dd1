"""OneRoster 1.2 CSV syncs: the specification-style sample dry-runs clean and commits; bad rows are reported."""

import io

import sqlalchemy as sa

from app.extensions import db
from app.tenancy.context import tenant_context
from blueprints.branches.models import Branch, BranchMembership
from blueprints.classes.models import ClassMembership, SchoolClass
from blueprints.integrations import roster
from blueprints.integrations.models import RosterSync
from blueprints.notifications.models import Notification
from blueprints.users.models import User
from tests.conftest import run_jobs
from tests.support.integrations import (
    make_oneroster_integration,
    roster_errors,
    roster_zip,
    sample_files,
    sync_roster,
)


def _roster_state(app, tenant):
    with tenant_context(tenant, app):
        branches = {b.external_id: (b.code, b.name) for b in db.session.scalars(sa.select(Branch)) if b.external_id}
        classes = {
            c.external_id: (
                c.name,
                c.term_start.isoformat() if c.term_start else None,
                c.term_end.isoformat() if c.term_end else None,
                c.archived_at is None,
            )
            for c in db.session.scalars(sa.select(SchoolClass))
        }
        people = {
            u.external_id: (u.email, u.role, u.is_active) for u in db.session.scalars(sa.select(User)) if u.external_id
        }
        class_members = set(
            db.session.execute(
                sa.select(User.external_id, SchoolClass.external_id, ClassMembership.role)
                .join(User, User.id == ClassMembership.user_id)
                .join(SchoolClass, SchoolClass.id == ClassMembership.class_id)
            ).all()
        )
        branch_members = set(
            db.session.execute(
                sa.select(User.external_id, Branch.external_id, BranchMembership.role)
                .join(User, User.id == BranchMembership.user_id)
                .join(Branch, Branch.id == BranchMembership.branch_id)
            ).all()
        )
    return branches, classes, people, class_members, branch_members


def test_the_sample_dry_runs_clean_then_commits_branches_classes_people_and_memberships(app, api, tenant, login_as):
    admin = api(tenant, login_as(tenant, "org_admin"))
    integration = make_oneroster_integration(app, tenant)
    body = roster_zip()

    dry = sync_roster(app, admin, integration, body)
    assert dry["status"] == "done" and dry["bad_rows"] == 0, roster_errors(admin, integration, dry["id"])
    assert dry["processing"] == "bulk"
    assert dry["counts"]["orgs.csv"]["created"] == 3
    assert dry["counts"]["classes.csv"]["created"] == 3
    assert dry["counts"]["users.csv"]["created"] == 8 and dry["counts"]["users.csv"]["skipped"] == 1  # the guardian
    assert _roster_state(app, tenant)[0] == {}  # a dry run writes nothing

    committed = admin.post(f"/api/v1/integrations/{integration}/syncs/{dry['id']}/commit")
    assert committed.status_code == 202, committed.get_json()
    run_jobs(app)
    sync = admin.get(f"/api/v1/integrations/{integration}/syncs/{committed.get_json()['data']['id']}").get_json()[
        "data"
    ]
    assert sync["status"] == "done" and sync["mode"] == "commit" and sync["bad_rows"] == 0
    assert sync["processed_rows"] == sync["total_rows"] > 0 and sync["percent"] == 100

    branches, classes, people, class_members, branch_members = _roster_state(app, tenant)
    assert branches == {
        "org-district-1": ("ssd", "Springfield School District"),
        "org-school-1": ("spe-001", "Springfield Elementary"),
        "org-school-2": ("sph-002", "Springfield High"),
    }
    assert classes == {
        "class-math-3a": ("Math 3 A", "2024-08-15", "2024-12-20", True),
        "class-math-3b": ("Math 3 B", "2024-08-15", "2025-06-20", True),  # both semesters
        "class-bio-9": ("Biology", "2024-08-15", "2025-06-20", True),
    }
    assert people["user-t-1"] == ("edna.krabappel@springfield.example", "teacher", True)
    assert people["user-a-1"] == ("seymour.skinner@springfield.example", "branch_manager", True)  # a principal
    assert people["user-s-4"] == ("jimbo.jones@springfield.example", "student", False)  # enabledUser false
    assert "user-g-1" not in people  # guardians are not synced
    assert ("user-s-2", "class-math-3a", "student") in class_members
    assert ("user-s-2", "class-math-3b", "student") in class_members
    assert ("user-a-1", "class-bio-9", "teacher") in class_members
    assert len(class_members) == 9
    assert ("user-a-1", "org-school-1", "branch_manager") in branch_members
    assert ("user-a-1", "org-school-2", "branch_manager") in branch_members
    assert ("user-s-4", "org-school-2", "student") in branch_members

    again = sync_roster(app, admin, integration, body, dry_run=False)  # the same zip twice: nothing changes
    assert again["id"] != sync["id"] or again["status"] == "done"
    assert again["counts"]["users.csv"].get("created", 0) == 0 and again["counts"]["users.csv"].get("updated", 0) == 0
    assert again["counts"]["users.csv"]["unchanged"] == 8
    assert again["counts"]["orgs.csv"]["unchanged"] == 3 and again["counts"]["classes.csv"]["unchanged"] == 3
    assert _roster_state(app, tenant) == (branches, classes, people, class_members, branch_members)


def test_a_broken_zip_reports_every_bad_row(app, api, tenant, login_as):
    admin = api(tenant, login_as(tenant, "org_admin"))
    integration = make_oneroster_integration(app, tenant)
    files = sample_files()
    classes = files["classes.csv"] + (
        "class-x,active,2024-07-01T12:00:00.000Z,Art,03,course-math-3,ART,scheduled,,org-nowhere,as-2025,,,\n"
        "class-math-3a,active,2024-07-01T12:00:00.000Z,Again,03,course-math-3,M,scheduled,,org-school-1,as-2025,,,\n"
        "class-y,active,yesterday,Music,03,course-math-3,MU,lecture,,org-school-1,as-nope,,,\n"
    )
    sessions = (
        files["academicSessions.csv"] + "as-bad,active,2024-07-01T12:00:00.000Z,Bad,term,2025-13-01,2025-01-01,,2025\n"
    )
    users = files["users.csv"] + (
        "user-x-1,active,2024-07-01T12:00:00.000Z,maybe,nomail,,No,Mail,,,,,,,,,,,,,,org-school-1,\n"
    )
    roles = files["roles.csv"] + "role-x-1,active,2024-07-01T12:00:00.000Z,user-x-1,primary,wizard,,,org-school-1,\n"
    enrollments = files["enrollments.csv"] + (
        "enr-x-1,active,2024-07-01T12:00:00.000Z,class-none,org-school-1,user-ghost,student,false,,\n"
        "enr-x-2,,2024-07-01T12:00:00.000Z,class-math-3a,org-school-1,user-s-1,,false,,\n"
        "enr-1,active,2024-07-01T12:00:00.000Z,class-math-3b,org-school-1,user-s-1,student,false,,\n"
    )
    body = roster_zip(
        files, classes=classes, academicSessions=sessions, users=users, roles=roles, enrollments=enrollments
    )
    dry = sync_roster(app, admin, integration, body)
    errors = roster_errors(admin, integration, dry["id"])
    found = {(file, row, column) for file, row, column, _value, _reason in errors}
    assert {
        ("classes.csv", 5, "schoolSourcedId"),  # an unknown school
        ("classes.csv", 6, "sourcedId"),  # a duplicate sourcedId
        ("classes.csv", 7, "dateLastModified"),  # not a date
        ("classes.csv", 7, "classType"),  # unknown value
        ("classes.csv", 7, "termSourcedIds"),  # unknown session
        ("academicSessions.csv", 5, "startDate"),  # a bad date
        ("users.csv", 11, "enabledUser"),
        ("users.csv", 11, "email"),  # nobody signs in without an e-mail address
        ("roles.csv", 12, "role"),  # an unknown role
        ("enrollments.csv", 11, "classSourcedId"),
        ("enrollments.csv", 11, "userSourcedId"),
        ("enrollments.csv", 12, "role"),  # required
    } <= found, errors
    reasons = {(file, row, column): reason for file, row, column, _value, reason in errors}
    assert reasons["classes.csv", 6, "sourcedId"] == "Duplicate of row 2."
    assert reasons["enrollments.csv", 11, "userSourcedId"] == "Unknown user."
    assert reasons["enrollments.csv", 13, "sourcedId"] == "Duplicate of row 2."  # among hashed ids too
    assert dry["bad_rows"] == len({(file, row) for file, row, *_ in errors})

    csv_text = admin.get(f"/api/v1/integrations/{integration}/syncs/{dry['id']}/errors.csv").get_data(as_text=True)
    assert "classes.csv,5,schoolSourcedId,org-nowhere,Unknown school." in csv_text


def test_not_a_zip_or_no_manifest_is_a_row_zero_error(app, api, tenant, login_as):
    admin = api(tenant, login_as(tenant, "org_admin"))
    integration = make_oneroster_integration(app, tenant)
    not_zip = sync_roster(app, admin, integration, b"sourcedId,status\n1,active\n")
    assert roster_errors(admin, integration, not_zip["id"]) == [("(zip)", 0, "", "", "This is not a zip file.")]
    no_manifest = sync_roster(app, admin, integration, roster_zip(manifest=None))
    assert roster_errors(admin, integration, no_manifest["id"]) == [
        ("manifest.csv", 0, "", "", "The zip has no manifest.csv.")
    ]
    missing_column = sync_roster(app, admin, integration, roster_zip(orgs="sourcedId,name\norg-1,One\n"))
    assert ("orgs.csv", 1, "type", "", "Missing column.") in roster_errors(admin, integration, missing_column["id"])


def test_delta_tobedeleted_deactivates_archives_and_removes_never_destroys(app, api, tenant, login_as):
    admin = api(tenant, login_as(tenant, "org_admin"))
    integration = make_oneroster_integration(app, tenant)
    sync_roster(app, admin, integration, roster_zip(), dry_run=False)
    stamp = "2024-09-01T08:00:00.000Z"
    manifest = sample_files()["manifest.csv"].replace(",bulk", ",delta")
    delta = {
        "manifest.csv": manifest,
        "users.csv": (
            "sourcedId,status,dateLastModified,enabledUser,username,givenName,familyName\n"
            f"user-s-3,tobedeleted,{stamp},,,,\n"
        ),
        "classes.csv": (
            "sourcedId,status,dateLastModified,title,courseSourcedId,classType,schoolSourcedId,termSourcedIds\n"
            f"class-bio-9,tobedeleted,{stamp},,,,,\n"
        ),
        "enrollments.csv": (
            "sourcedId,status,dateLastModified,classSourcedId,schoolSourcedId,userSourcedId,role\n"
            f"enr-5,tobedeleted,{stamp},class-math-3a,org-school-1,user-s-2,student\n"
            f"enr-10,active,{stamp},class-math-3b,org-school-1,user-s-1,student\n"
        ),
    }
    manifest_lines = [
        line
        if not line.startswith("file.") or line.split(",")[0][5:] + ".csv" in delta
        else line.split(",")[0] + ",absent"
        for line in manifest.splitlines()
    ]
    delta["manifest.csv"] = "\n".join(manifest_lines) + "\n"
    dry = sync_roster(app, admin, integration, roster_zip(delta))
    assert dry["bad_rows"] == 0, roster_errors(admin, integration, dry["id"])
    assert dry["counts"]["users.csv"]["deactivated"] == 1
    assert dry["processing"] == "delta"
    done = sync_roster(app, admin, integration, roster_zip(delta), dry_run=False)
    assert done["bad_rows"] == 0 and done["counts"]["enrollments.csv"]["removed"] == 1

    _branches, classes, people, class_members, _ = _roster_state(app, tenant)
    assert people["user-s-3"][2] is False  # deactivated, still there
    assert classes["class-bio-9"][3] is False  # archived, still there
    assert ("user-s-2", "class-math-3a", "student") not in class_members
    assert ("user-s-1", "class-math-3b", "student") in class_members  # a person already here, enrolled by a delta
    assert ("user-s-2", "class-math-3b", "student") in class_members


def test_only_org_admins_sync(app, api, tenant, login_as):
    integration = make_oneroster_integration(app, tenant)
    manager = api(tenant, login_as(tenant, "branch_manager"))
    assert manager.get(f"/api/v1/integrations/{integration}/syncs").status_code == 403
    assert manager.get("/api/v1/roster/export").status_code == 403


def test_zip_bombs_are_refused_by_what_they_unpack_to(app, api, tenant, login_as, monkeypatch):
    admin = api(tenant, login_as(tenant, "org_admin"))
    integration = make_oneroster_integration(app, tenant)
    monkeypatch.setattr(roster, "MAX_MEMBER_BYTES", 1 << 20)  # 1 MB instead of 512 MB, for a small bomb
    bomb = roster_zip(users=sample_files()["users.csv"] + "\n" * (4 << 20))  # 4 MB of line breaks, a few kB zipped
    assert len(bomb) < 50_000
    refused = sync_roster(app, admin, integration, bomb)
    assert roster_errors(admin, integration, refused["id"]) == [
        ("users.csv", 0, "", "", "Larger than 1 MB uncompressed.")
    ]

    monkeypatch.setattr(roster, "MAX_MEMBERS", 8)
    many = roster_zip(**{f"extra{n}": "x\n" for n in range(8)})
    refused = sync_roster(app, admin, integration, many)
    assert roster_errors(admin, integration, refused["id"]) == [("(zip)", 0, "", "", "More than 8 files in the zip.")]


def test_branches_and_classes_made_by_hand_are_linked_not_doubled(app, api, tenant, login_as):
    admin = api(tenant, login_as(tenant, "org_admin"))
    integration = make_oneroster_integration(app, tenant)
    branch = admin.post(f"/api/v1/organizations/{tenant.id}/branches", json={"code": "spe-001", "name": "Elementary"})
    branch_id = branch.get_json()["data"]["id"]
    for name in ("Math 3 A", "Art", "Math 3 B"):
        made = admin.post("/api/v1/classes", json={"branch_id": branch_id, "name": name})
        assert made.status_code == 201, made.get_json()

    done = sync_roster(app, admin, integration, roster_zip(), dry_run=False)
    assert done["bad_rows"] == 0 and done["counts"]["orgs.csv"] == {"created": 2, "updated": 1}
    assert done["counts"]["classes.csv"] == {"created": 1, "updated": 2}  # Math 3 A and B linked, Biology new
    with tenant_context(tenant, app):
        classes = {(c.branch_id, c.name): c.external_id for c in db.session.scalars(sa.select(SchoolClass))}
        linked = db.session.get(Branch, branch_id)
    assert linked.external_id == "org-school-1" and linked.name == "Springfield Elementary"
    assert classes[branch_id, "Math 3 A"] == "class-math-3a" and classes[branch_id, "Math 3 B"] == "class-math-3b"
    assert classes[branch_id, "Art"] is None  # not the school system's: left alone
    assert len(classes) == 4


def test_who_started_a_sync_is_told_when_it_ends(app, api, tenant, login_as):
    admin = api(tenant, login_as(tenant, "org_admin"))
    integration = make_oneroster_integration(app, tenant, name="District SIS")
    dry = sync_roster(app, admin, integration, roster_zip())
    with tenant_context(tenant, app):
        told = db.session.execute(
            sa.select(Notification.user_id, Notification.subject, Notification.body, Notification.link).where(
                Notification.type == "roster_sync_finished"
            )
        ).all()
        started_by = db.session.get(RosterSync, dry["id"]).created_by_id
    assert len(told) == 1 and told[0].user_id == started_by is not None
    assert told[0].subject.endswith("your roster sync of oneroster.zip was checked (dry run)")
    assert "(District SIS) was checked (dry run): 14 created, 0 updated, 0 rows refused." in told[0].body
    assert told[0].link == f"/integrations/{integration}/syncs/{dry['id']}"


def test_dry_run_is_the_form_words_true_or_false_and_anything_else_a_field_error(app, api, tenant, login_as):
    admin = api(tenant, login_as(tenant, "org_admin"))
    integration = make_oneroster_integration(app, tenant)
    for word in ("0", "yes", "on"):
        response = admin.post(
            f"/api/v1/integrations/{integration}/sync",
            data={"file": (io.BytesIO(roster_zip()), "oneroster.zip"), "dry_run": word},
            content_type="multipart/form-data",
        )
        assert response.status_code == 422, word
        assert "dry_run" in response.get_json()["error"]["details"], word
