"""Roster sync and the archiving policy: the file decides whether a person it names is active, so a person the
roster reactivates or removes is no longer "archived by the policy", and reversing that run leaves them be."""

from datetime import timedelta

import sqlalchemy as sa

from app.extensions import db
from app.tenancy.context import tenant_context
from app.tenancy.models import utcnow
from blueprints.users.models import User
from tests.support.integrations import make_oneroster_integration, roster_errors, roster_zip, sample_files, sync_roster

STAMP = "2024-09-01T08:00:00.000Z"


def _remove_from_roster(sourced_id):
    """A delta whose users.csv says `sourced_id` is to be deleted, every other file absent."""
    manifest = sample_files()["manifest.csv"].replace(",bulk", ",delta")
    lines = [
        line if not line.startswith("file.") or line.startswith("file.users,") else line.split(",")[0] + ",absent"
        for line in manifest.splitlines()
    ]
    header = "sourcedId,status,dateLastModified,enabledUser,username,givenName,familyName"
    users = f"{header}\n{sourced_id},tobedeleted,{STAMP},,,,\n"
    return roster_zip({"manifest.csv": "\n".join(lines) + "\n", "users.csv": users})


def _synced_then_archived(app, tenant, admin):
    """The sample rostered, its people idle for two years, then an archiving run that deactivates them."""
    integration = make_oneroster_integration(app, tenant)
    done = sync_roster(app, admin, integration, roster_zip(), dry_run=False)
    assert done["bad_rows"] == 0, roster_errors(admin, integration, done["id"])
    with tenant_context(tenant, app):
        db.session.execute(
            sa.update(User).where(User.external_id.is_not(None)).values(created_at=utcnow() - timedelta(days=800))
        )
        db.session.commit()
    admin.put("/api/v1/privacy/archiving-policy", json={"course_months": None, "people_months": 12})
    run = admin.post("/api/v1/privacy/archiving-runs").get_json()["data"]
    return integration, run


def _people(app, tenant):
    """external_id -> (active, archived_by_run_id)."""
    with tenant_context(tenant, app):
        rows = db.session.execute(sa.select(User.external_id, User.is_active, User.archived_by_run_id))
        return {external_id: (active, mark) for external_id, active, mark in rows if external_id}


def _listed(admin, status):
    answer = admin.get(f"/api/v1/users?status={status}&per_page=100").get_json()["data"]
    return {row["email"] for row in answer}


def _sync(app, admin, integration, body):
    done = sync_roster(app, admin, integration, body, dry_run=False)
    assert done["bad_rows"] == 0, roster_errors(admin, integration, done["id"])
    return done


def test_a_person_the_roster_removes_stays_removed_when_the_archiving_run_is_reversed(app, api, tenant, login_as):
    admin = api(tenant, login_as(tenant, "org_admin"))
    integration, run = _synced_then_archived(app, tenant, admin)
    archived = _people(app, tenant)
    assert archived["user-s-3"] == (False, run["id"]) and archived["user-s-1"] == (False, run["id"])

    removed = _sync(app, admin, integration, _remove_from_roster("user-s-3"))
    assert removed["counts"]["users.csv"]["deactivated"] == 0  # inactive already: the roster keeps them so
    assert _people(app, tenant)["user-s-3"] == (False, None)
    assert "milhouse.vanhouten@springfield.example" not in _listed(admin, "archived")
    assert "milhouse.vanhouten@springfield.example" in _listed(admin, "inactive")

    reversal = admin.post(f"/api/v1/privacy/archiving-runs/{run['id']}/reversal").get_json()["data"]
    after = _people(app, tenant)
    assert after["user-s-3"] == (False, None)  # the roster removed them: the reversal does not bring them back
    assert after["user-s-1"] == (True, None)  # the others the run archived are back
    assert len(reversal["restored"]["user_ids"]) == len(run["user_ids"]) - 1


def test_a_person_the_roster_reactivates_is_no_longer_the_archiving_runs_to_reverse(app, api, tenant, login_as):
    admin = api(tenant, login_as(tenant, "org_admin"))
    integration, run = _synced_then_archived(app, tenant, admin)
    assert _listed(admin, "archived")

    _sync(app, admin, integration, roster_zip())  # the next full sync names them all, enabled
    people = _people(app, tenant)
    assert people["user-s-3"] == (True, None) and people["user-s-1"] == (True, None)
    assert not any(mark for _active, mark in people.values())

    removed = _sync(app, admin, integration, _remove_from_roster("user-s-3"))  # later the school removes one
    assert removed["counts"]["users.csv"]["deactivated"] == 1
    assert "milhouse.vanhouten@springfield.example" not in _listed(admin, "archived")

    reversal = admin.post(f"/api/v1/privacy/archiving-runs/{run['id']}/reversal").get_json()["data"]
    assert reversal["restored"]["user_ids"] == []  # nobody is still as the run left them
    assert _people(app, tenant)["user-s-3"] == (False, None)
