"""The person page for org admins and branch managers: the current role, e-mail and branches, invitations."""

from datetime import timedelta

import sqlalchemy as sa

from app.extensions import db
from app.tenancy.context import tenant_context
from app.tenancy.models import utcnow
from blueprints.branches.models import Branch, BranchMembership
from blueprints.users.models import User
from tests.conftest import make_user, run_jobs, user_token
from tests.support.auth import LOGIN, RESET, reset_token_from
from tests.support.browser import Browser
from tests.support.membership_guard import memberships_written_without_event


def branches(app, tenant, *codes):
    with tenant_context(tenant, app):
        made = [Branch(code=code, name=code.capitalize(), settings={}) for code in codes]
        db.session.add_all(made)
        db.session.commit()
        return [branch.id for branch in made]


def join(app, tenant, user_id, branch_id, role):
    with tenant_context(tenant, app), memberships_written_without_event("test data seeded as rows"):
        db.session.add(BranchMembership(user_id=user_id, branch_id=branch_id, role=role))
        db.session.commit()


def memberships(app, tenant, user_id):
    with tenant_context(tenant, app):
        rows = db.session.execute(
            sa.select(BranchMembership.branch_id, BranchMembership.role).where(BranchMembership.user_id == user_id)
        )
        return dict(rows.all())


def edit(browser, user_id, **changes):
    data = {"first_name": "Kim", "last_name": "Lee", "role": "student", "external_id": "", "branches_on_form": "1"}
    data.update(changes)
    path = f"/people/{user_id}/edit"
    return browser.post(path, data, csrf_from=path)


def test_a_student_made_branch_manager_manages_their_branch_and_the_page_says_so(app, tenant):
    [north] = branches(app, tenant, "north")
    kim = make_user(app, tenant, "student", email="kim@example.org", first_name="Kim", last_name="Lee")
    join(app, tenant, kim, north, "student")
    admin = Browser(app, tenant)
    admin.sign_in("admin@example.org")
    saved = edit(admin, kim, email="kim@example.org", role="branch_manager", branch_ids=[north])
    assert saved.status_code == 302
    page = admin.get(f"/people/{kim}").get_data(as_text=True)
    # The branch line used to keep "North (student)": the membership kept the old role, so the new
    # manager managed nothing (their scope is the branches where they are branch_manager).
    assert "<dt>Role</dt><dd>branch manager</dd>" in page and "North (branch manager)" in page
    assert "North (student)" not in page
    kim_browser = Browser(app, tenant)
    kim_browser.sign_in("kim@example.org")
    assert ">North</a>" in kim_browser.get("/branches").get_data(as_text=True)


def test_an_org_admin_changes_a_sign_in_address_and_moves_a_person_between_branches(app, tenant, mailbox):
    north, south = branches(app, tenant, "north", "south")
    admin = Browser(app, tenant)
    admin.sign_in("admin@example.org")
    added = admin.post(
        "/people/new",
        {
            "email": "old@example.org",
            "first_name": "Kim",
            "last_name": "Lee",
            "role": "student",
            "branch_id": north,
            "send_invitation": "y",
        },
        csrf_from="/people/new",
    )
    kim = int(added.headers["Location"].rsplit("/", 1)[1])
    run_jobs(app)
    _link, old_token = reset_token_from(mailbox.to("old@example.org")[0])
    form = admin.get(f"/people/{kim}/edit").get_data(as_text=True)
    assert 'name="email"' in form and 'value="old@example.org"' in form
    taken = edit(admin, kim, email="admin@example.org", branch_ids=[north])
    assert taken.status_code == 409 and "Already in use by someone else." in taken.get_data(as_text=True)
    assert edit(admin, kim, email="new@example.org", branch_ids=[south]).status_code == 302
    page = admin.get(f"/people/{kim}").get_data(as_text=True)
    assert "new@example.org" in page and "South (student)" in page and "North" not in page
    assert memberships(app, tenant, kim) == {south: "student"}
    # The invitation mailed to the old address no longer opens the account.
    refused = admin.client.post(
        RESET, json={"token": old_token, "password": "a-brand-new-passphrase"}, headers={"Host": admin.host}
    )
    assert refused.status_code == 400


def test_a_branch_manager_moves_people_only_among_their_branches_and_never_changes_a_sign_in_address(app, tenant):
    north, north2, south = branches(app, tenant, "north", "northtwo", "south")
    boss = make_user(app, tenant, "branch_manager", email="boss@example.org")
    join(app, tenant, boss, north, "branch_manager")
    join(app, tenant, boss, north2, "branch_manager")
    kim = make_user(app, tenant, "student", email="kim@example.org", first_name="Kim", last_name="Lee")
    join(app, tenant, kim, north, "student")
    join(app, tenant, kim, south, "student")  # a branch the manager does not see
    browser = Browser(app, tenant)
    browser.sign_in("boss@example.org")
    form = browser.get(f"/people/{kim}/edit").get_data(as_text=True)
    assert 'name="email"' not in form and "South" not in form and "Northtwo" in form
    outside = edit(browser, kim, branch_ids=[south])
    assert outside.status_code == 422 and memberships(app, tenant, kim) == {north: "student", south: "student"}
    emptied = edit(browser, kim)
    assert emptied.status_code == 422 and "Choose at least one branch" in emptied.get_data(as_text=True)
    email = edit(browser, kim, email="mine@example.org", branch_ids=[north])  # not on their form: ignored
    assert email.status_code == 302
    assert edit(browser, kim, branch_ids=[north2]).status_code == 302
    assert memberships(app, tenant, kim) == {north2: "student", south: "student"}
    with tenant_context(tenant, app):
        assert db.session.get(User, kim).email == "kim@example.org"


def test_the_api_changes_branches_and_refuses_a_manager_s_address_change(app, api, tenant):
    north, south = branches(app, tenant, "north", "south")
    boss = make_user(app, tenant, "branch_manager", email="boss@example.org")
    join(app, tenant, boss, north, "branch_manager")
    kim = make_user(app, tenant, "student", email="kim@example.org")
    join(app, tenant, kim, north, "student")
    client = api(tenant, user_token(app, tenant, boss, "branch_manager"))
    refused = client.put(f"/api/v1/users/{kim}", json={"email": "other@example.org"})
    assert refused.status_code == 403
    assert client.put(f"/api/v1/users/{kim}", json={"branch_ids": [south]}).status_code == 403
    admin = api(tenant, user_token(app, tenant, make_user(app, tenant, "org_admin"), "org_admin"))
    moved = admin.put(f"/api/v1/users/{kim}", json={"branch_ids": [south], "email": "Kim.New@Example.org"})
    assert moved.status_code == 200 and moved.get_json()["data"]["email"] == "kim.new@example.org"
    assert memberships(app, tenant, kim) == {south: "student"}


def test_an_invitation_is_sent_again_at_most_every_ten_minutes_and_the_old_link_stops_working(app, tenant, mailbox):
    [north] = branches(app, tenant, "north")
    admin = Browser(app, tenant)
    admin.sign_in("admin@example.org")
    added = admin.post(
        "/people/new",
        {
            "email": "kim@example.org",
            "first_name": "Kim",
            "last_name": "Lee",
            "role": "student",
            "branch_id": north,
            "send_invitation": "y",
        },
        csrf_from="/people/new",
    )
    path = added.headers["Location"]
    run_jobs(app)
    _link, first_token = reset_token_from(mailbox.to("kim@example.org")[0])
    page = admin.get(path).get_data(as_text=True)
    assert "invitation sent" in page and "Send the invitation again" in page
    too_soon = admin.post(f"{path}/invitation", csrf_from=path)
    assert too_soon.status_code == 302
    assert "you can send another after" in admin.get(path).get_data(as_text=True)
    run_jobs(app)
    assert len(mailbox.to("kim@example.org")) == 1
    with tenant_context(tenant, app):
        db.session.get(User, int(path.rsplit("/", 1)[1])).invited_at = utcnow() - timedelta(minutes=11)
        db.session.commit()
    admin.post(f"{path}/invitation", csrf_from=path)
    admin.post(f"{path}/invitation", csrf_from=path)  # a double click: still one mail
    assert "A new invitation is on its way" in admin.get(path).get_data(as_text=True)
    run_jobs(app)
    assert len(mailbox.to("kim@example.org")) == 2
    _link, second_token = reset_token_from(mailbox.to("kim@example.org")[1])
    reset = {"Host": admin.host}
    assert (
        admin.client.post(
            RESET, json={"token": first_token, "password": "a-brand-new-passphrase"}, headers=reset
        ).status_code
        == 400
    )
    assert (
        admin.client.post(
            RESET, json={"token": second_token, "password": "a-brand-new-passphrase"}, headers=reset
        ).status_code
        == 200
    )
    login = admin.client.post(
        LOGIN, json={"email": "kim@example.org", "password": "a-brand-new-passphrase"}, headers=reset
    )
    assert login.status_code == 200
    assert "Send the invitation again" not in admin.get(path).get_data(as_text=True)  # they signed up


def test_a_manager_cannot_resend_an_invitation_to_someone_outside_their_branches(app, tenant):
    north, south = branches(app, tenant, "north", "south")
    boss = make_user(app, tenant, "branch_manager", email="boss@example.org")
    join(app, tenant, boss, north, "branch_manager")
    other = make_user(app, tenant, "student", email="far@example.org", password=None)
    join(app, tenant, other, south, "student")
    browser = Browser(app, tenant)
    browser.sign_in("boss@example.org")
    assert browser.post(f"/people/{other}/invitation", csrf_from="/people").status_code == 404
