"""The Branches page: counts without a query per branch, create, edit, settings, archive; managers read only."""

import re

import sqlalchemy as sa

from app.extensions import db
from app.tenancy.context import tenant_context
from blueprints.branches.models import Branch, BranchMembership
from blueprints.classes.models import SchoolClass
from tests.conftest import make_user
from tests.support.browser import Browser
from tests.support.membership_guard import memberships_written_without_event
from tests.support.statements import recorded_on


def seed(app, tenant):
    """North (2 people, 1 class) and South (1 person); a manager of North."""
    people = [make_user(app, tenant, "student", email=f"s{n}@example.org") for n in range(3)]
    manager = make_user(app, tenant, "branch_manager", email="boss@example.org")
    with tenant_context(tenant, app), memberships_written_without_event("test data seeded as rows"):
        north, south = Branch(code="north", name="North", settings={}), Branch(code="south", name="South", settings={})
        db.session.add_all([north, south])
        db.session.flush()
        db.session.add_all(
            [
                BranchMembership(branch_id=north.id, user_id=people[0], role="student"),
                BranchMembership(branch_id=north.id, user_id=people[1], role="student"),
                BranchMembership(branch_id=south.id, user_id=people[2], role="student"),
                BranchMembership(branch_id=north.id, user_id=manager, role="branch_manager"),
                SchoolClass(branch_id=north.id, name="7A"),
            ]
        )
        db.session.commit()
        return {"north": north.id, "south": south.id}


def counted_statements(action):
    """`action()`'s result and how many statements it ran on every database (the organization's and the control one)."""
    with recorded_on(sa.engine.Engine) as recorded:
        result = action()
    return result, len(recorded.statements)


def row_of(page, name):
    return re.search(rf">{name}</a><br><small>\w+</small></td>\s*<td>(\d+)</td>\s*<td>(\d+)</td>", page).groups()


def test_the_list_counts_people_and_classes_with_the_same_queries_for_any_number_of_branches(app, tenant):
    seed(app, tenant)
    browser = Browser(app, tenant)
    browser.sign_in("admin@example.org")
    page, before = counted_statements(lambda: browser.get("/branches").get_data(as_text=True))
    assert row_of(page, "North") == ("3", "1") and row_of(page, "South") == ("1", "0")
    with tenant_context(tenant, app):
        db.session.add_all([Branch(code=f"extra{n}", name=f"Extra {n}", settings={}) for n in range(15)])
        db.session.commit()
    page, after = counted_statements(lambda: browser.get("/branches").get_data(as_text=True))
    assert "Extra 14" in page and after == before


def test_an_org_admin_creates_edits_and_configures_a_branch_with_inline_errors(app, tenant):
    seed(app, tenant)
    browser = Browser(app, tenant)
    browser.sign_in("admin@example.org")
    assert 'href="/branches"' in browser.get("/").get_data(as_text=True)
    bad = browser.post("/branches", {"name": "East", "code": "East Side"}, csrf_from="/branches")
    assert bad.status_code == 422 and "Lowercase letters, digits" in bad.get_data(as_text=True)
    taken = browser.post("/branches", {"name": "North", "code": "north2"}, csrf_from="/branches")
    assert taken.status_code == 409 and "Must be unique." in taken.get_data(as_text=True)
    created = browser.post("/branches", {"name": "East", "code": "east"}, csrf_from="/branches")
    assert created.status_code == 302
    path = created.headers["Location"]
    renamed = browser.post(path, {"name": "East End", "code": "east-end"}, csrf_from=path)
    assert renamed.status_code == 302 and "East End" in browser.get("/branches").get_data(as_text=True)

    settings = {"display_name": "", "primary_color": "blue", "accent_color": "", "time_zone": "Mars/Base", "locale": ""}
    refused = browser.post(f"{path}/settings", settings, csrf_from=path)
    text = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "Use a colour like #1d4ed8." in text and "Not a time zone" in text
    settings.update(primary_color="#aa0000", time_zone="Europe/Paris")
    assert browser.post(f"{path}/settings", settings, csrf_from=path).status_code == 302
    branch_id = int(path.rsplit("/", 1)[1])
    api_view = browser.get(path).get_data(as_text=True)
    assert 'value="#aa0000"' in api_view and "Overrides the organization's #1d4ed8." in api_view
    settings.update(primary_color="")  # empty: follow the organization again
    assert browser.post(f"{path}/settings", settings, csrf_from=path).status_code == 302
    with tenant_context(tenant, app):
        own = {k: v for k, v in db.session.get(Branch, branch_id).settings.items() if v}
        assert own == {"time_zone": "Europe/Paris"}


def test_archiving_asks_for_confirmation_says_what_stays_and_keeps_people_and_classes(app, tenant):
    ids = seed(app, tenant)
    browser = Browser(app, tenant)
    browser.sign_in("admin@example.org")
    path = f"/branches/{ids['north']}"
    page = browser.get(path).get_data(as_text=True)
    assert "Nothing is deleted: its 3 people keep their accounts" in page and "its 1 class and" in page
    unconfirmed = browser.post(f"{path}/archive", {}, csrf_from=path)
    assert unconfirmed.status_code == 422 and "Tick the box to confirm." in unconfirmed.get_data(as_text=True)
    done = browser.post(f"{path}/archive", {"confirm": "y"}, csrf_from=path)
    assert done.status_code == 302
    listing = browser.get("/branches").get_data(as_text=True)
    assert "Branch North archived." in listing and ">North</a>" not in listing
    with tenant_context(tenant, app):
        assert db.session.get(Branch, ids["north"]).archived_at is not None
        members = db.session.scalar(sa.select(sa.func.count()).where(BranchMembership.branch_id == ids["north"]))
        assert members == 3


def test_a_branch_manager_sees_their_branches_and_changes_none_of_it(app, tenant):
    ids = seed(app, tenant)
    browser = Browser(app, tenant)
    browser.sign_in("boss@example.org")
    assert 'href="/branches"' in browser.get("/").get_data(as_text=True)
    listing = browser.get("/branches").get_data(as_text=True)
    assert ">North</a>" in listing and ">South</a>" not in listing and "New branch" not in listing
    north = f"/branches/{ids['north']}"
    page = browser.get(north).get_data(as_text=True)
    assert "Only an org admin changes" in page and 'name="code"' not in page and "/archive" not in page
    assert browser.get(f"/branches/{ids['south']}").status_code == 404
    for action, data in (
        ("", {"name": "Mine", "code": "mine"}),
        ("/settings", {"time_zone": "UTC"}),
        ("/archive", {"confirm": "y"}),
    ):
        assert browser.post(north + action, data, csrf_from="/branches").status_code == 403
    assert browser.post("/branches", {"name": "Mine", "code": "mine"}, csrf_from="/branches").status_code == 403
    assert ">Mine</a>" not in browser.get("/branches").get_data(as_text=True)


def test_students_do_not_get_the_branch_pages(app, tenant):
    make_user(app, tenant, "student", email="stu@example.org")
    browser = Browser(app, tenant)
    browser.sign_in("stu@example.org")
    assert browser.get("/branches").status_code == 403
    assert 'href="/branches"' not in browser.get("/").get_data(as_text=True)
