"""The branch and person pages in Chromium at 375 px and 1 280 px: nothing wider than the screen, and the
people picker finds people as you type."""

import os
from pathlib import Path

import pytest

from app.extensions import db
from app.tenancy.context import tenant_context
from blueprints.branches.models import Branch, BranchMembership
from blueprints.classes.models import SchoolClass
from tests.conftest import make_user
from tests.support.browser import open_signed_in
from tests.support.membership_guard import memberships_written_without_event

pytestmark = pytest.mark.browser
OVERFLOW = "document.documentElement.scrollWidth <= window.innerWidth"


def seed(app, tenant):
    people = {
        name: make_user(
            app, tenant, "student", email=f"{name}@example.org", first_name=name.capitalize(), last_name="Lee"
        )
        for name in ("anna", "anne", "bo")
    }
    with tenant_context(tenant, app), memberships_written_without_event("test data seeded as rows"):
        north = Branch(code="north", name="North Campus", settings={"time_zone": "Europe/Paris"})
        south = Branch(code="south", name="South Campus", settings={})
        db.session.add_all([north, south])
        db.session.flush()
        db.session.add_all([BranchMembership(branch_id=north.id, user_id=u, role="student") for u in people.values()])
        school_class = SchoolClass(branch_id=north.id, name="7A")
        db.session.add(school_class)
        db.session.commit()
        return north.id, school_class.id, people


def shot(page, name, width):
    folder = Path(os.environ.get("SCREENSHOTS_DIR", "instance/screenshots"))
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{name}-{width}.png"), full_page=True)


@pytest.mark.parametrize("width, height", [(375, 812), (1280, 800)])
def test_branch_and_person_pages_fit_the_screen_and_the_picker_finds_people(
    app,
    tenant,
    browser,
    live_server,
    width,
    height,
):
    north, class_id, people = seed(app, tenant)
    page = open_signed_in(browser, live_server, tenant, "admin@example.org", "/branches", width, height)
    assert page.evaluate(OVERFLOW)
    shot(page, "branches", width)
    page.goto(page.url.replace("/branches", f"/branches/{north}"))
    assert page.evaluate(OVERFLOW)
    shot(page, "branch-detail", width)
    page.goto(page.url.replace(f"/branches/{north}", f"/people/{people['anna']}/edit"))
    assert page.evaluate(OVERFLOW)
    shot(page, "person-edit", width)
    page.goto(page.url.replace(f"/people/{people['anna']}/edit", f"/classes/{class_id}"))
    page.fill("input[name=picker_q]", "ann")
    page.wait_for_selector("#people-picker-results li")
    assert page.locator("#people-picker-results li").count() == 2
    page.check(f"input[name=user_ids][value='{people['anne']}']")
    page.fill("input[name=picker_q]", "bo")
    page.wait_for_selector("text=bo@example.org")
    assert page.is_checked(f"input[name=user_ids][value='{people['anne']}']")  # ticked people stay
    assert page.evaluate(OVERFLOW)
    shot(page, "class-roster-picker", width)
    page.get_by_role("button", name="Add").click()
    page.wait_for_selector("text=1 added as students.")
    assert page.locator("td", has_text="anne@example.org").count() == 1
    page.close()
