"""A worker killed with SIGKILL in the middle of a roster commit: the re-run resumes from its checkpoint and
loses and duplicates nothing (as tests/imports/test_import_crash.py proves for the people import)."""

import os
import signal
import time

import sqlalchemy as sa

from app.extensions import db
from app.tenancy.context import tenant_context
from blueprints.classes.models import ClassMembership
from blueprints.integrations.models import RosterSync
from blueprints.users.models import User
from tests.conftest import run_jobs, spawn_worker
from tests.support.integrations import make_oneroster_integration, roster_zip, sample_files, upload_roster
from tests.support.processes import children_of

PEOPLE = 20_000
STAMP = "2024-07-01T12:00:00.000Z"


def _district():
    files = sample_files()
    users = ["sourcedId,status,dateLastModified,enabledUser,username,givenName,familyName,email"]
    roles = ["sourcedId,status,dateLastModified,userSourcedId,roleType,role,orgSourcedId"]
    enrollments = ["sourcedId,status,dateLastModified,classSourcedId,schoolSourcedId,userSourcedId,role"]
    for n in range(PEOPLE):
        users.append(f"u-{n},active,{STAMP},true,p{n},P{n},Q{n},p{n}@example.org")
        roles.append(f"r-{n},active,{STAMP},u-{n},primary,student,org-school-1")
        enrollments.append(f"e-{n},active,{STAMP},class-math-3a,org-school-1,u-{n},student")
    return roster_zip(
        files,
        users="\n".join(users) + "\n",
        roles="\n".join(roles) + "\n",
        enrollments="\n".join(enrollments) + "\n",
    )


def test_sigkill_mid_commit_then_rerun_loses_and_duplicates_nothing(app, api, tenant, login_as):
    admin = api(tenant, login_as(tenant, "org_admin"))
    integration = make_oneroster_integration(app, tenant)
    body = _district()

    def submit():
        response = upload_roster(admin, integration, body, dry_run=False)
        assert response.status_code == 202, response.get_json()
        return response.get_json()["data"]["id"]

    sync_id = submit()
    worker = spawn_worker(app, ROSTER_BATCH_SIZE=500, IMPORT_LOCK_SECONDS=4)

    def checkpoint_row():
        with tenant_context(tenant, app):
            checkpoint = db.session.scalar(sa.select(RosterSync.checkpoint).where(RosterSync.id == sync_id)) or {}
        return checkpoint.get("row", 0) if checkpoint.get("stage") == "users" else 0

    deadline = time.monotonic() + 90
    while checkpoint_row() < 2000 and time.monotonic() < deadline:
        time.sleep(0.01)
    for pid in [*children_of(worker.pid), worker.pid]:
        os.kill(pid, signal.SIGKILL)
    worker.wait()
    at_kill = checkpoint_row() - 1  # rows 2..n were committed
    assert 0 < at_kill < PEOPLE, f"the kill should land mid-way, not at {at_kill}"
    with tenant_context(tenant, app):
        killed = db.session.get(RosterSync, sync_id)
        assert killed.status == "running", killed.error_message
        synced = db.session.scalar(sa.select(sa.func.count(User.id)).where(User.external_id.like("u-%")))
        members = db.session.scalar(sa.select(sa.func.count(ClassMembership.id)))
    assert synced == at_kill  # the checkpoint matches what was committed
    assert members == at_kill

    time.sleep(4.5)  # the killed run's lock expires
    assert submit() == sync_id  # the same zip again: the same sync, resumed
    run_jobs(app)

    with tenant_context(tenant, app):
        record = db.session.get(RosterSync, sync_id)
        emails = db.session.scalars(sa.select(User.email).where(User.external_id.like("u-%"))).all()
        members = db.session.scalar(sa.select(sa.func.count(ClassMembership.id)))
    assert record.status == "done", record.error_message
    assert record.counts["users.csv"]["created"] == PEOPLE and record.counts["users.csv"].get("invalid", 0) == 0
    assert len(emails) == len(set(emails)) == PEOPLE  # 0 lost, 0 duplicated
    assert members == PEOPLE
