"""The syncs pages of a OneRoster integration: upload, dry run with its bad rows, commit, progress, history."""

import io
import os
import re

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.tenancy.context import tenant_context
from blueprints.users.models import User
from blueprints.users.services import principal_for_user
from tests.conftest import make_user, run_jobs
from tests.support.browser import Browser, accessibility_violations, layout_problems, open_signed_in
from tests.support.integrations import make_oneroster_integration, oneroster_dry_run, roster_zip, sample_files

SHOTS = os.environ.get("SCREENSHOT_DIR")


def _broken_zip():
    files = sample_files()
    files["enrollments.csv"] += "enr-x,active,2024-07-01T12:00:00.000Z,class-none,org-school-1,user-s-1,student\n"
    return roster_zip(files)


def test_upload_dry_run_shows_bad_rows_then_commit_syncs(app, tenant):
    integration = make_oneroster_integration(app, tenant, name="District SIS")
    browser = Browser(app, tenant)
    browser.sign_in("admin@example.org")
    page = browser.get(f"/integrations/{integration}/syncs").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    uploaded = browser.client.post(
        f"/integrations/{integration}/syncs",
        headers={"Host": browser.host},
        content_type="multipart/form-data",
        data={"csrf_token": token, "mode": "dry_run", "file": (io.BytesIO(_broken_zip()), "district.zip")},
    )
    assert uploaded.status_code == 302
    status_path = uploaded.headers["Location"]
    waiting = browser.get(status_path).get_data(as_text=True)
    assert 'hx-trigger="every 1s"' in waiting  # polls until the worker is done
    run_jobs(app)
    done = browser.get(status_path).get_data(as_text=True)
    assert 'hx-trigger="every 1s"' not in done and "100 %" in done
    assert "enrollments.csv" in done and "class-none" in done and "Unknown class." in done
    assert "Sync, skipping the 1 refused row" in done and "Rows refused (1 problem)" in done
    csv_text = browser.get(f"{status_path}/errors.csv").get_data(as_text=True)
    assert "enrollments.csv,11,classSourcedId,class-none,Unknown class." in csv_text

    committed = browser.post(f"{status_path}/commit", {}, csrf_from=status_path)
    assert committed.status_code == 302
    run_jobs(app)
    synced = browser.get(committed.headers["Location"]).get_data(as_text=True)
    assert "What the sync did" in synced
    counts = re.search(r'<th scope="row">enrollments.csv</th>(.*?)</tr>', done, re.S).group(1)
    assert re.findall(r"<td>(\d+)</td>", counts)[-1] == "1"  # its one bad row, counted once
    history = browser.get(f"/integrations/{integration}/syncs").get_data(as_text=True)
    assert history.count("district.zip") == 2 and "dry run" in history


def test_a_file_that_is_no_zip_is_refused_inline_and_others_get_no_page(app, tenant):
    integration = make_oneroster_integration(app, tenant)
    browser = Browser(app, tenant)
    browser.sign_in("admin@example.org")
    page = browser.get(f"/integrations/{integration}/syncs").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    refused = browser.client.post(
        f"/integrations/{integration}/syncs",
        headers={"Host": browser.host},
        content_type="multipart/form-data",
        data={"csrf_token": token, "mode": "dry_run", "file": (io.BytesIO(b"a,b\n"), "people.csv")},
    )
    assert refused.status_code == 422 and "A .zip file, please." in refused.get_data(as_text=True)
    assert browser.get("/integrations/999/syncs").status_code == 404

    make_user(app, tenant, "branch_manager", email="bm@example.org")
    manager = Browser(app, tenant)
    manager.sign_in("bm@example.org")
    assert manager.get(f"/integrations/{integration}/syncs").status_code == 403


@pytest.mark.browser
def test_the_sync_pages_at_both_widths(app, tenant, browser, live_server):
    with tenant_context(tenant, app):
        admin_id = db.session.scalar(sa.select(User.id).where(User.role == "org_admin"))
        integration_id, sync_id = oneroster_dry_run(principal_for_user(admin_id), bad_row=True)
    run_jobs(app)
    for width, height in ((375, 812), (1280, 800)):
        for path in (f"/integrations/{integration_id}/syncs", f"/integrations/{integration_id}/syncs/{sync_id}"):
            page = open_signed_in(browser, live_server, tenant, "admin@example.org", path, width, height)
            assert layout_problems(page) == [], (width, path)
            assert accessibility_violations(page) == [], (width, path)
            if SHOTS:
                name = "syncs" if path.endswith("syncs") else "sync"
                page.screenshot(path=f"{SHOTS}/{name}-{width}.png", full_page=True)
            page.close()
