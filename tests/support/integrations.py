"""Integrations made directly through the model (until their CRUD lands), and OneRoster zips for the sync tests."""

import io
import zipfile
from pathlib import Path

from app.extensions import db
from app.tenancy.context import tenant_context
from blueprints.integrations import roster_sync
from blueprints.integrations.models import Integration
from tests.conftest import run_jobs

# --- roster (OneRoster 1.2 CSV) ------------------------------------------------------------------------------

ONEROSTER_SAMPLE = Path(__file__).resolve().parent.parent / "integrations" / "oneroster" / "sample"


def make_oneroster_integration(app, tenant, name="SIS", **settings):
    with tenant_context(tenant, app):
        integration = Integration(
            kind="oneroster", name=name, settings={"source_url": None, "processing": "bulk", **settings}
        )
        db.session.add(integration)
        db.session.commit()
        return integration.id


def sample_files():
    """The sample's files: name -> text."""
    return {path.name: path.read_text() for path in sorted(ONEROSTER_SAMPLE.glob("*.csv"))}


def roster_zip(files=None, **changes):
    """A zip of the sample, with `changes` (file name without .csv -> new text, or None to leave it out)."""
    files = dict(files or sample_files())
    for key, text in changes.items():
        name = f"{key}.csv"
        if text is None:
            files.pop(name, None)
        else:
            files[name] = text
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def upload_roster(client_api, integration_id, body, dry_run=True, filename="oneroster.zip"):
    data = {"file": (io.BytesIO(body), filename), "dry_run": "true" if dry_run else "false"}
    return client_api.post(f"/api/v1/integrations/{integration_id}/sync", data=data, content_type="multipart/form-data")


def sync_roster(app, client_api, integration_id, body, dry_run=True):
    """Upload, run the job, and answer the finished sync."""
    response = upload_roster(client_api, integration_id, body, dry_run=dry_run)
    assert response.status_code == 202, response.get_json()
    run_jobs(app)
    sync_id = response.get_json()["data"]["id"]
    return client_api.get(f"/api/v1/integrations/{integration_id}/syncs/{sync_id}").get_json()["data"]


def roster_errors(client_api, integration_id, sync_id):
    path = f"/api/v1/integrations/{integration_id}/syncs/{sync_id}/errors?per_page=100"
    return [
        (e["file"], e["row_number"], e["column"], e["value"], e["reason"])
        for e in client_api.get(path).get_json()["data"]
    ]


def oneroster_dry_run(actor, name="SIS", bad_row=False):
    """Inside a tenant: a OneRoster integration and a dry run of the sample (queued; run the jobs), made as
    `actor`; (integration id, sync id)."""
    integration = Integration(kind="oneroster", name=name, settings={"source_url": None, "processing": "bulk"})
    db.session.add(integration)
    db.session.commit()
    files = sample_files()
    if bad_row:
        files["enrollments.csv"] += "enr-x,active,2024-07-01T12:00:00.000Z,class-none,org-school-1,user-s-1,student\n"
    record = roster_sync.start_sync(
        integration, io.BytesIO(roster_zip(files)), "roster.zip", roster_sync.DRY_RUN, actor
    )
    return integration.id, record.id


def demo_roster_ids(actor):
    """The crawler's: a OneRoster integration of the demo and a dry run of the sample with a bad row."""
    integration_id, sync_id = oneroster_dry_run(actor, "Demo SIS", bad_row=True)
    return {"integration_id": integration_id, "sync_id": sync_id}


def matrix_roster_ids(actor):
    """The permission matrix's: a OneRoster integration and a dry run of the sample to commit."""
    integration_id, sync_id = oneroster_dry_run(actor)
    return {"roster_integration": integration_id, "roster_dry_run": sync_id}
