"""The org admin's pages: a person's data (export with its progress and download, erasure behind typing the
e-mail) and the archiving policy under Settings (dry run, save, run, reverse); usable at 375 and 1280 px."""

import os
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.security.actor import Actor
from app.tenancy.context import tenant_context
from app.tenancy.models import utcnow
from blueprints.privacy import archiving
from blueprints.privacy.exports import request_export
from blueprints.users.services import find_user_by_email, principal_for_user
from tests.conftest import make_user, run_jobs
from tests.support.browser import Browser, accessibility_violations, layout_problems, open_signed_in
from tests.support.privacy import person_facts

ADMIN = "admin@example.org"


def _admin(app, tenant):
    page = Browser(app, tenant)
    assert page.sign_in(ADMIN).status_code == 302
    return page


def test_export_and_erase_from_the_persons_page(app, tenant):
    person = make_user(app, tenant, "student", email="pat@example.org", first_name="Pat", last_name="Doe")
    admin = _admin(app, tenant)
    detail = admin.get(f"/people/{person}").get_data(as_text=True)
    assert f'href="/people/{person}/privacy"' in detail
    path = f"/people/{person}/privacy"
    assert "Export data" in admin.get(path).get_data(as_text=True)
    asked = admin.post(f"{path}/exports", csrf_from=path)
    assert asked.status_code == 302
    page = admin.get(path).get_data(as_text=True)
    assert 'data-status="queued"' in page and 'hx-trigger="every 1s"' in page
    run_jobs(app)
    page = admin.get(path, headers={"HX-Request": "true"}).get_data(as_text=True)
    assert page.startswith('<section id="privacy-exports"') and "every 1s" not in page  # done: no more polling
    link = re.search(r'href="(/privacy/exports/\d+/download)"', page).group(1)
    assert admin.get(link).headers["Content-Type"] == "application/zip"

    wrong = admin.post(f"{path}/erasure", {"confirm_email": "someone@example.org"}, csrf_from=path)
    assert wrong.status_code == 422 and "Type the person" in wrong.get_data(as_text=True)
    assert person_facts(app, tenant, person)[0] == "pat@example.org"
    erased = admin.post(f"{path}/erasure", {"confirm_email": "pat@example.org"}, csrf_from=path)
    assert erased.status_code == 302
    page = admin.get(path).get_data(as_text=True)
    assert "Erased person #" in page and 'id="erased-state"' in page and "pat@example.org" not in page
    assert "Download" not in page  # the erased person's exports went with them


def test_other_roles_do_not_reach_the_pages(app, tenant):
    person = make_user(app, tenant, "student", email="pat@example.org")
    for role in ("branch_manager", "teacher", "student"):
        make_user(app, tenant, role, email=f"{role}@example.org")
        page = Browser(app, tenant)
        page.sign_in(f"{role}@example.org")
        assert page.get(f"/people/{person}/privacy").status_code == 403
        assert page.get("/settings/archiving").status_code == 403
        assert f"/people/{person}/privacy" not in page.get(f"/people/{person}").get_data(as_text=True)


def test_the_archiving_page_previews_saves_runs_and_reverses(app, tenant):
    idle = make_user(app, tenant, "student", email="idle@example.org", first_name="Ida", last_name="Idle")
    with tenant_context(tenant, app):
        users = db.metadatas["tenant"].tables["users"]
        db.session.execute(sa.update(users).where(users.c.id == idle).values(created_at=utcnow() - timedelta(days=400)))
        db.session.commit()
    admin = _admin(app, tenant)
    assert 'href="/settings/archiving"' in admin.get("/settings").get_data(as_text=True)
    page = admin.get("/settings/archiving").get_data(as_text=True)
    assert "No runs yet" in page and 'id="archiving-run-now"' not in page  # off: nothing to run
    preview = admin.post(
        "/settings/archiving",
        {"people_months": "6", "course_months": "", "action": "preview"},
        csrf_from="/settings/archiving",
    ).get_data(as_text=True)
    assert "1 people deactivated" in preview and "Ida Idle" in preview and "Nothing is changed yet" in preview
    bad = admin.post("/settings/archiving", {"people_months": "six", "action": "save"}, csrf_from="/settings/archiving")
    assert bad.status_code == 422 and 'aria-invalid="true"' in bad.get_data(as_text=True)
    saved = admin.post(
        "/settings/archiving",
        {"people_months": "6", "course_months": "", "action": "save"},
        csrf_from="/settings/archiving",
    )
    assert saved.status_code == 302
    ran = admin.post("/settings/archiving/runs", csrf_from="/settings/archiving")
    assert ran.status_code == 302
    page = admin.get("/settings/archiving").get_data(as_text=True)
    assert "1 people deactivated" in page
    run_id = re.search(r'action="/settings/archiving/runs/(\d+)/reversal"', page).group(1)
    assert admin.post(f"/settings/archiving/runs/{run_id}/reversal", csrf_from="/settings/archiving").status_code == 302
    with tenant_context(tenant, app):
        assert db.session.scalar(sa.select(users.c.is_active).where(users.c.id == idle)) is True
    assert "Reversed" in admin.get("/settings/archiving").get_data(as_text=True)


@pytest.mark.browser
@pytest.mark.parametrize(("width", "height"), [(375, 812), (1280, 800)])
def test_the_pages_read_well_on_a_phone_and_a_desktop(app, tenant, browser, live_server, width, height):
    person = make_user(app, tenant, "student", email="pat@example.org", first_name="Pat", last_name="Doe")
    with tenant_context(tenant, app):  # a finished export to download, and a run to reverse
        admin = Actor(principal_for_user(find_user_by_email(ADMIN).id))
        request_export(person, admin)
        archiving.save_policy({"course_months": 12, "people_months": 12}, admin)
        archiving.apply_policy(actor=admin)
    run_jobs(app)
    shots = os.environ.get("SCREENSHOT_DIR")
    for path in (f"/people/{person}/privacy", "/settings/archiving?preview=1&course_months=12&people_months=12"):
        page = open_signed_in(browser, live_server, tenant, ADMIN, path.split("?")[0], width, height)
        if "?" in path:
            page.goto(f"http://{tenant.slug}.localhost:{live_server}{path}")
        assert layout_problems(page) == []
        assert accessibility_violations(page) == []
        if shots:
            name = "archiving" if path.startswith("/settings") else "person"
            page.screenshot(path=f"{shots}/privacy-{name}-{width}.png", full_page=True)
        page.close()
