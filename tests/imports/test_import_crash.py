"""A worker killed with SIGKILL in the middle of a commit: the re-run loses and duplicates nothing."""

import io
import os
import signal
import time

import sqlalchemy as sa

from app.extensions import db
from app.tenancy.context import tenant_context
from blueprints.imports.models import UserImport
from blueprints.users.models import User
from tests.conftest import run_jobs, spawn_worker
from tests.support.processes import children_of

ROWS = 30_000


def test_sigkill_mid_commit_then_rerun_loses_and_duplicates_nothing(app, api, tenant, login_as):
    admin = api(tenant, login_as(tenant, "org_admin"))
    admin.post(f"/api/v1/organizations/{tenant.id}/branches", json={"code": "north", "name": "North"})
    lines = ["email,first_name,last_name,role,branch,external_id"]
    lines += [f"p{n}@example.org,P{n},Q{n},student,north,X-{n}" for n in range(ROWS)]
    body = ("\n".join(lines) + "\n").encode()

    def submit():
        response = admin.post(
            "/api/v1/imports",
            data={"file": (io.BytesIO(body), "big.csv"), "mode": "commit", "send_invitations": "false"},
            content_type="multipart/form-data",
        )
        assert response.status_code == 202, response.get_json()
        return response.get_json()["data"]["id"]

    import_id = submit()
    worker = spawn_worker(app, IMPORT_BATCH_SIZE=500, IMPORT_LOCK_SECONDS=2)

    def processed():
        with tenant_context(tenant, app):
            return db.session.scalar(sa.select(UserImport.processed_rows).where(UserImport.id == import_id))

    deadline = time.monotonic() + 60
    while processed() < 2000 and time.monotonic() < deadline:
        time.sleep(0.01)
    # RQ's work horse (the process committing) runs in a session of its own: kill it and its worker.
    for pid in [*children_of(worker.pid), worker.pid]:
        os.kill(pid, signal.SIGKILL)
    worker.wait()
    at_kill = processed()
    assert 0 < at_kill < ROWS, f"the kill should land mid-way, not at {at_kill}"
    with tenant_context(tenant, app):
        record = db.session.get(UserImport, import_id)
        assert record.status == "running"  # the killed run never finished
        committed_users = db.session.scalar(sa.select(sa.func.count(User.id)))
    assert committed_users - 2 == at_kill  # every checkpoint matches what was really committed

    time.sleep(2.5)  # the killed run's lock expires
    assert submit() == import_id  # the same file again: the same import, resumed
    run_jobs(app)

    with tenant_context(tenant, app):
        record = db.session.get(UserImport, import_id)
        emails = db.session.scalars(sa.select(User.email).where(User.email.like("p%@example.org"))).all()
    assert record.status == "done" and record.processed_rows == ROWS
    assert record.created_count == ROWS and record.invalid_count == 0
    assert len(emails) == len(set(emails)) == ROWS  # 0 lost, 0 duplicated
