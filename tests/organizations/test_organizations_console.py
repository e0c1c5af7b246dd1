"""The operators' console of organizations (issue 10): list with figures, create, suspend, archive."""

import time
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.tenancy.models import Tenant, TenantStatus
from tests.conftest import destroy_tenant, make_user, run_jobs
from tests.support.browser import Browser


@pytest.fixture
def operator(app, operator_token):
    """A signed-in operator's browser on the platform domain."""
    browser = Browser(app, None)
    browser.sign_in("operator@example.org")
    return browser


def test_figures_are_counted_into_the_control_plane_and_listed_as_of_then(app, operator, tenant):
    make_user(app, tenant, "student", email="pupil@example.org")
    Browser(app, tenant).sign_in("pupil@example.org")  # a sign-in is activity
    before = operator.get(f"/organizations?q={tenant.slug}").get_data(as_text=True)
    assert "not counted yet" in before and "figures as of never" in before

    result = app.test_cli_runner().invoke(args=["organizations", "refresh-figures"])
    assert result.exit_code == 0, result.output

    page = operator.get(f"/organizations?q={tenant.slug}").get_data(as_text=True)
    assert "1 organization" in page and tenant.name in page and "figures as of never" not in page
    row = page.split(tenant.name, 1)[1].split("</tr>", 1)[0]
    cells = [cell.split(">", 1)[1].split("<", 1)[0] for cell in row.split('<td class="number"')[1:]]
    assert cells[:2] == ["2", "0"]  # the admin and the pupil; no course
    assert "B" in cells[2] and "none yet" not in row  # some storage, and a last activity
    detail = operator.get(f"/organizations/{tenant.id}").get_data(as_text=True)
    assert "As of" in detail and "Suspend" in detail


def test_a_thousand_organizations_list_fast_searched_and_paged(app, operator):
    marker = uuid.uuid4().hex[:6]
    with app.app_context():
        db.session.execute(
            sa.insert(Tenant),
            [
                {
                    "slug": f"bulk{marker}-{n:04d}",
                    "name": f"Bulk {marker} {n:04d}",
                    "status": TenantStatus.SUSPENDED,
                    "database_url": "sqlite:///nowhere.db",
                    "settings": {},
                }
                for n in range(1000)
            ],
        )
        db.session.commit()
    try:
        started = time.perf_counter()
        first = operator.get(f"/organizations?q=bulk{marker}").get_data(as_text=True)
        assert time.perf_counter() - started < 2  # one count and one page query, whatever the number
        assert "1,000 organizations" in first and "Page 1 of 40" in first and f"Bulk {marker} 0024" in first
        assert f"Bulk {marker} 0025" not in first
        fragment = operator.get(
            f"/organizations?q=BULK+{marker}+002&status=suspended&page=1", headers={"HX-Request": "true"}
        ).get_data(as_text=True)
        assert fragment.startswith('<section id="organizations-results">') and "10 organizations" in fragment
        last = operator.get(f"/organizations?q=bulk{marker}&page=40").get_data(as_text=True)
        assert f"Bulk {marker} 0999" in last and f"Bulk {marker} 0000" not in last
        assert "0 organizations" in operator.get(f"/organizations?q=bulk{marker}&status=active").get_data(as_text=True)
        assert "Page 40 of 40" in operator.get(f"/organizations?q=bulk{marker}&page=99999999999999").get_data(
            as_text=True
        )
        assert operator.get("/organizations?page=%C2%B2").status_code == 200  # a superscript two is no page
    finally:
        with app.app_context():
            db.session.execute(sa.delete(Tenant).where(Tenant.slug.like(f"bulk{marker}-%")))
            db.session.commit()


def test_creating_an_organization_invites_its_first_admin(app, operator, mailbox):
    slug = f"new{uuid.uuid4().hex[:6]}"
    refused = operator.post(
        "/organizations/new", {"slug": "Not A Slug", "name": "X", "admin_email": "x@example.org"}, "/organizations/new"
    )
    assert refused.status_code == 422 and "Use lowercase letters" in refused.get_data(as_text=True)

    created = operator.post(
        "/organizations/new",
        {"slug": slug, "name": "Brand New School", "admin_email": "head@example.org"},
        "/organizations/new",
    )
    with app.app_context():
        organization_id = db.session.scalar(sa.select(Tenant.id).where(Tenant.slug == slug))
    try:
        assert created.status_code == 302 and created.headers["Location"] == f"/organizations/{organization_id}"
        run_jobs(app)
        [mail] = mailbox.to("head@example.org")
        assert "Brand New School invites you" in mail.get_body(("plain",)).get_content()
        page = operator.get(created.headers["Location"]).get_data(as_text=True)
        assert "Brand New School" in page and "invitation" in page
        taken = operator.post(
            "/organizations/new",
            {"slug": slug, "name": "Twin", "admin_email": "twin@example.org"},
            "/organizations/new",
        )
        assert taken.status_code == 409 and "Already taken." in taken.get_data(as_text=True)
    finally:
        destroy_tenant(app, organization_id)


def test_a_suspended_organization_tells_its_people_and_comes_back(app, api, operator, tenant, login_as):
    token = login_as(tenant, "org_admin")
    suspended = operator.post(
        f"/organizations/{tenant.id}/status", {"status": "suspended"}, f"/organizations/{tenant.id}"
    )
    assert suspended.status_code == 302
    page = Browser(app, tenant).get("/login")
    assert page.status_code == 403 and "This organization is suspended" in page.get_data(as_text=True)
    refused = api(tenant, token).get("/api/v1/users")
    assert refused.status_code == 403 and refused.get_json()["error"]["code"] == "ORGANIZATION_SUSPENDED"

    operator.post(f"/organizations/{tenant.id}/status", {"status": "active"}, f"/organizations/{tenant.id}")
    assert api(tenant, token).get("/api/v1/users").status_code == 200


def test_archiving_needs_the_address_typed_and_leaves_a_backup(app, operator, tenant):
    wrong = operator.post(
        f"/organizations/{tenant.id}/archive", {"confirm_slug": "nope"}, f"/organizations/{tenant.id}"
    )
    assert wrong.status_code == 422 and f"Type {tenant.slug} to archive." in wrong.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Tenant, tenant.id).status == TenantStatus.ACTIVE

    done = operator.post(
        f"/organizations/{tenant.id}/archive", {"confirm_slug": tenant.slug}, f"/organizations/{tenant.id}"
    )
    assert done.status_code == 302
    with app.app_context():
        record = db.session.get(Tenant, tenant.id)
        assert record.status == TenantStatus.ARCHIVED and Path(record.backup_path).stat().st_size > 0
    assert "Archived" in operator.get(f"/organizations/{tenant.id}").get_data(as_text=True)


def test_the_console_is_for_operators_on_the_platform_only(app, tenant):
    admin = Browser(app, tenant)
    admin.sign_in("admin@example.org")
    assert admin.get("/organizations").status_code == 403
    assert Browser(app, None).get("/organizations").status_code == 302  # sign in first


def test_the_refresh_button_counts_in_the_worker(app, operator, tenant):
    response = operator.post("/organizations/figures", {}, "/organizations")
    assert response.status_code == 302
    assert "not counted yet" in operator.get(f"/organizations?q={tenant.slug}").get_data(as_text=True)
    run_jobs(app)
    assert "not counted yet" not in operator.get(f"/organizations?q={tenant.slug}").get_data(as_text=True)


def test_an_unreadable_database_is_named_and_the_others_are_still_counted(app, operator, tenant, tmp_path):
    missing = tmp_path / "gone.db"
    with app.app_context():
        broken = Tenant(
            slug=f"gone{uuid.uuid4().hex[:6]}",
            name="Gone Organization",
            status=TenantStatus.ACTIVE,
            database_url=f"sqlite:///{missing}",
            settings={},
        )
        db.session.add(broken)
        db.session.commit()
        broken_id, broken_slug = broken.id, broken.slug
    try:
        result = app.test_cli_runner().invoke(args=["organizations", "refresh-figures"])
        assert result.exit_code == 1 and f"could not read: {broken_slug}" in result.output
        assert not missing.exists()  # reading figures never creates a database
        assert "not counted yet" not in operator.get(f"/organizations?q={tenant.slug}").get_data(as_text=True)
        detail = operator.get(f"/organizations/{broken_id}").get_data(as_text=True)
        assert "could not read the database" in detail and "FileNotFoundError" in detail
    finally:
        with app.app_context():
            db.session.execute(sa.delete(Tenant).where(Tenant.id == broken_id))
            db.session.commit()
