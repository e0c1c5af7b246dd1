"""A branch manager reaches their own branches' people and nothing above them; sign-ins end when they should.

The attacks of issue 9, each tried the way it was found, and refused.
"""

import io
import re

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.tenancy.context import tenant_context
from blueprints.branches.models import BranchMembership
from blueprints.classes.models import ClassMembership
from blueprints.users.models import User
from tests.conftest import PASSWORD, make_user, run_jobs, user_token
from tests.support.browser import Browser

NEW_PASSWORD = "a-brand-new-passphrase-42"


@pytest.fixture
def org(app, api, tenant, login_as):
    """North and South; an org admin who is also a member of North; a manager of North (the attacker),
    a manager of North and South (a peer with more reach), and a student in each branch."""
    admin = api(tenant, login_as(tenant, "org_admin"))
    base = f"/api/v1/organizations/{tenant.id}/branches"
    north = admin.post(base, json={"code": "north", "name": "North"}).get_json()["data"]["id"]
    south = admin.post(base, json={"code": "south", "name": "South"}).get_json()["data"]["id"]
    ids = {
        "admin": make_user(app, tenant, "org_admin", email="boss@example.org"),
        "manager": make_user(app, tenant, "branch_manager", email="manager@example.org"),
        "peer": make_user(app, tenant, "branch_manager", email="peer@example.org"),
        "north_student": make_user(app, tenant, "student", email="ns@example.org"),
        "south_student": make_user(app, tenant, "student", email="ss@example.org"),
    }
    for who, external_id in (("north_student", "S-N"), ("south_student", "S-S")):
        assert admin.put(f"/api/v1/users/{ids[who]}", json={"external_id": external_id}).status_code == 200
    members = [
        (north, "admin", "student"),
        (north, "manager", "branch_manager"),
        (north, "peer", "branch_manager"),
        (south, "peer", "branch_manager"),
        (north, "north_student", "student"),
        (south, "south_student", "student"),
    ]
    for branch, who, role in members:
        added = admin.post(f"{base}/{branch}/users", json={"user_id": ids[who], "role": role})
        assert added.status_code == 201
    north_class = admin.post("/api/v1/classes", json={"branch_id": north, "name": "N1"}).get_json()["data"]["id"]
    with app.app_context():
        manager = api(tenant, user_token(app, tenant, ids["manager"], "branch_manager"))
    return {
        "tenant": tenant,
        "admin": admin,
        "manager": manager,
        "north": north,
        "south": south,
        "class": north_class,
        **{f"{k}_id": v for k, v in ids.items()},
    }


def snapshot(app, tenant):
    """What the attacks would change: people, their branch and class memberships."""
    with tenant_context(tenant, app):
        users = db.session.execute(
            sa.select(User.id, User.email, User.role, User.is_active, User.notification_email).order_by(User.id)
        ).all()
        branches = db.session.execute(
            sa.select(BranchMembership.user_id, BranchMembership.branch_id, BranchMembership.role).order_by(
                BranchMembership.id
            )
        ).all()
        classes = db.session.execute(
            sa.select(ClassMembership.user_id, ClassMembership.class_id, ClassMembership.role).order_by(
                ClassMembership.id
            )
        ).all()
        return users, branches, classes


def test_a_branch_manager_cannot_take_over_an_org_admin(app, api, org, mailbox):
    tenant, manager = org["tenant"], org["manager"]
    before = snapshot(app, tenant)
    branch_users = f"/api/v1/organizations/{tenant.id}/branches/{org['north']}/users"
    # Step 1 of the attack: pull the org admin (here: not yet a member of the branch) into one's branch.
    outsider_admin = make_user(app, tenant, "org_admin", email="second-admin@example.org")
    before = snapshot(app, tenant)
    refused = manager.post(branch_users, json={"user_id": outsider_admin, "role": "student"})
    assert refused.status_code == 422 and "user_id" in refused.get_json()["error"]["details"]
    # Step 2: an org admin who IS a member of the manager's branch is seen, but not changed.
    admin = org["admin_id"]
    assert manager.get(f"/api/v1/users/{admin}").status_code == 200
    for call in (
        manager.put(f"/api/v1/users/{admin}/profile", json={"notification_email": "attacker@evil.example"}),
        manager.put(f"/api/v1/users/{admin}", json={"is_active": False}),
        manager.put(f"/api/v1/users/{admin}", json={"role": "student"}),
        manager.delete(f"/api/v1/users/{admin}"),
        manager.post(branch_users, json={"user_id": admin, "role": "branch_manager"}),
    ):
        assert call.status_code in (403, 422), call.get_json()
    assert snapshot(app, tenant) == before
    # Step 3: even with a notification address set by someone, the reset link goes to the sign-in address.
    org["admin"].put(f"/api/v1/users/{admin}/profile", json={"notification_email": "elsewhere@example.net"})
    api(tenant).post("/api/v1/auth/forgot-password", json={"email": "boss@example.org"})
    run_jobs(app)
    assert len(mailbox.to("boss@example.org")) == 1 and mailbox.to("elsewhere@example.net") == []


def test_a_branch_manager_cannot_change_a_manager_of_other_branches(app, org):
    peer, manager = org["peer_id"], org["manager"]
    assert manager.put(f"/api/v1/users/{peer}/profile", json={"first_name": "X"}).status_code == 403
    assert manager.delete(f"/api/v1/users/{peer}").status_code == 403
    student = org["north_student_id"]
    assert manager.put(f"/api/v1/users/{student}", json={"first_name": "Nora"}).status_code == 200


def test_class_members_come_from_the_managers_own_branches(app, org):
    tenant, manager = org["tenant"], org["manager"]
    members = f"/api/v1/classes/{org['class']}/members"
    before = snapshot(app, tenant)
    for outsider in (org["south_student_id"], org["admin_id"]):
        refused = manager.post(members, json={"user_ids": [outsider, org["north_student_id"]], "role": "student"})
        assert refused.status_code == 422
        assert f"No user with id {outsider}." in refused.get_json()["error"]["details"]["user_ids"]
    assert snapshot(app, tenant) == before
    roster = manager.get(members).get_json()["data"]
    assert "ss@example.org" not in str(roster)
    added = manager.post(members, json={"user_ids": [org["north_student_id"]], "role": "student"})
    assert added.status_code == 200, added.get_json()


def test_the_class_page_adds_by_e_mail_only_the_managers_people(app, org):
    tenant = org["tenant"]
    browser = Browser(app, tenant)
    browser.sign_in("manager@example.org")
    path = f"/classes/{org['class']}"
    page = browser.post(
        path, {"emails": "ss@example.org\nns@example.org", "role": "student"}, csrf_from=path, follow_redirects=True
    ).get_data(as_text=True)
    assert "Nobody you manage has these addresses: ss@example.org." in page
    with tenant_context(tenant, app):
        in_class = set(db.session.scalars(sa.select(ClassMembership.user_id)))
    assert in_class == {org["north_student_id"]}


def test_a_managers_import_cannot_demote_an_admin_or_move_a_sign_in_address(app, org):
    tenant, manager = org["tenant"], org["manager"]
    header = "email,first_name,last_name,role,branch,classes,external_id,password\n"
    text = header + (
        "boss@example.org,Boss,Demoted,teacher,north,,,\n"  # the org admin, in North
        "hijack@evil.example,Nora,Renamed,student,north,,S-N,\n"  # matched by external_id: a new sign-in address
        "new@example.org,Nina,New,student,north,,,\n"  # a new person of their branch: fine
    )
    upload = manager.post(
        "/api/v1/imports",
        data={"file": (io.BytesIO(text.encode()), "people.csv"), "mode": "commit"},
        content_type="multipart/form-data",
    )
    assert upload.status_code == 202
    run_jobs(app)
    import_id = upload.get_json()["data"]["id"]
    errors = manager.get(f"/api/v1/imports/{import_id}/errors").get_json()["data"]
    assert {(e["row_number"], e["column"]) for e in errors} == {(2, "email"), (3, "email")}
    with tenant_context(tenant, app):
        people = {u.id: u for u in db.session.scalars(sa.select(User))}
    assert people[org["admin_id"]].role == "org_admin"
    assert people[org["north_student_id"]].email == "ns@example.org"
    assert people[org["north_student_id"]].last_name == ""  # the refused row changed nothing
    assert "new@example.org" in {person.email for person in people.values()}


def test_an_org_admins_import_may_move_a_sign_in_address(app, org):
    header = "email,first_name,last_name,role,branch,classes,external_id,password\n"
    text = header + "nora.new@example.org,Nora,North,student,north,,S-N,\n"
    upload = org["admin"].post(
        "/api/v1/imports",
        data={"file": (io.BytesIO(text.encode()), "people.csv"), "mode": "commit"},
        content_type="multipart/form-data",
    )
    run_jobs(app)
    assert (
        org["admin"]
        .get(f"/api/v1/imports/{upload.get_json()['data']['id']}")
        .get_json()["data"]["summary"]["to_update"]
        == 1
    )
    with tenant_context(org["tenant"], app):
        assert db.session.get(User, org["north_student_id"]).email == "nora.new@example.org"


# --- sign-ins end when they should -----------------------------------------------------------------


def cookie_of(browser):
    return browser.client.get_cookie("session", domain=browser.host.split(":")[0]).value


def copied(app, tenant, original):
    """Another browser holding a copy of the first one's session cookie."""
    thief = Browser(app, tenant)
    thief.client.set_cookie("session", cookie_of(original), domain=original.host.split(":")[0])
    return thief


def signed_in(page):
    return "Sign out" in page.get_data(as_text=True)


def api_login(api, tenant, email, password=PASSWORD):
    response = api(tenant).post("/api/v1/auth/login", json={"email": email, "password": password})
    assert response.status_code == 200, response.get_json()
    return response.get_json()["data"]


def test_signing_out_ends_that_session_also_for_a_copied_cookie(app, tenant):
    browser = Browser(app, tenant)
    browser.sign_in("admin@example.org")
    other_device = Browser(app, tenant)
    other_device.sign_in("admin@example.org")
    thief = copied(app, tenant, browser)
    assert signed_in(thief.get("/"))
    browser.post("/logout", csrf_from="/")
    assert not signed_in(thief.get("/"))
    assert thief.get("/people").status_code == 302  # to the sign-in page
    assert signed_in(other_device.get("/"))  # signing out here is not signing out everywhere


def test_api_sign_out_ends_the_access_token_at_once(api, tenant):
    tokens = api_login(api, tenant, "admin@example.org")
    me = api(tenant, tokens["access_token"])
    assert me.get("/api/v1/auth/me").status_code == 200
    assert api(tenant).post("/api/v1/auth/logout", json={"refresh_token": tokens["refresh_token"]}).status_code == 200
    ended = me.get("/api/v1/auth/me")
    assert ended.status_code == 401 and ended.get_json()["error"]["code"] == "INVALID_TOKEN"
    # With only the access token in hand, signing out ends it too.
    second = api(tenant, api_login(api, tenant, "admin@example.org")["access_token"])
    assert second.post("/api/v1/auth/logout", json={}).status_code == 200
    assert second.get("/api/v1/auth/me").status_code == 401


def test_a_password_change_ends_every_other_sign_in_and_keeps_this_one(app, api, tenant):
    browser, other = Browser(app, tenant), Browser(app, tenant)
    browser.sign_in("admin@example.org")
    other.sign_in("admin@example.org")
    thief = copied(app, tenant, browser)
    tokens = api_login(api, tenant, "admin@example.org")
    changed = browser.post(
        "/profile",
        {
            "form": "password",
            "password-current_password": PASSWORD,
            "password-new_password": NEW_PASSWORD,
            "password-confirm": NEW_PASSWORD,
        },
        csrf_from="/profile",
    )
    assert changed.status_code == 302
    assert signed_in(browser.get("/"))
    assert not signed_in(other.get("/"))
    assert api(tenant, tokens["access_token"]).get("/api/v1/auth/me").status_code == 401
    refreshed = api(tenant).post("/api/v1/auth/refresh-token", json={"refresh_token": tokens["refresh_token"]})
    assert refreshed.status_code == 401
    # The copied cookie is the same sign-in as the browser that changed the password: it lives with it,
    # and dies when that browser signs out.
    browser.post("/logout", csrf_from="/")
    assert not signed_in(thief.get("/"))


def test_a_password_reset_ends_every_sign_in(app, api, tenant, mailbox):
    browser = Browser(app, tenant)
    browser.sign_in("admin@example.org")
    tokens = api_login(api, tenant, "admin@example.org")
    api(tenant).post("/api/v1/auth/forgot-password", json={"email": "admin@example.org"})
    run_jobs(app)
    [mail] = mailbox.to("admin@example.org")
    token = re.search(r"token=([\w-]+)", mail.get_content()).group(1)
    reset = api(tenant).post("/api/v1/auth/reset-password", json={"token": token, "password": NEW_PASSWORD})
    assert reset.status_code == 200
    assert not signed_in(browser.get("/"))
    assert api(tenant, tokens["access_token"]).get("/api/v1/auth/me").status_code == 401


def test_deactivation_ends_every_sign_in(app, api, tenant, login_as):
    make_user(app, tenant, "teacher", email="t@example.org")
    browser = Browser(app, tenant)
    browser.sign_in("t@example.org")
    tokens = api_login(api, tenant, "t@example.org")
    admin = api(tenant, login_as(tenant, "org_admin"))
    with tenant_context(tenant, app):
        teacher_id = db.session.scalar(sa.select(User.id).where(User.email == "t@example.org"))
    assert admin.delete(f"/api/v1/users/{teacher_id}").status_code == 200
    admin.put(f"/api/v1/users/{teacher_id}", json={"is_active": True})  # back, but the old sign-ins stay ended
    assert not signed_in(browser.get("/"))
    assert api(tenant, tokens["access_token"]).get("/api/v1/auth/me").status_code == 401
    refresh = {"refresh_token": tokens["refresh_token"]}
    assert api(tenant).post("/api/v1/auth/refresh-token", json=refresh).status_code == 401


def test_operator_sign_out_ends_a_copied_platform_cookie(app, operator_token):
    browser = Browser(app, None)
    browser.sign_in("operator@example.org")
    thief = copied(app, None, browser)
    assert signed_in(thief.get("/"))
    browser.post("/logout", csrf_from="/")
    assert not signed_in(thief.get("/"))


def test_the_people_pages_offer_and_allow_no_change_to_an_org_admin(app, org):
    browser = Browser(app, org["tenant"])
    browser.sign_in("manager@example.org")
    admin_page = browser.get(f"/people/{org['admin_id']}").get_data(as_text=True)
    assert "boss@example.org" in admin_page and "Deactivate" not in admin_page
    assert "Only an org admin can change an org admin." in admin_page
    path = f"/people/{org['north_student_id']}"
    assert "Deactivate" in browser.get(path).get_data(as_text=True)
    refused = browser.post(f"/people/{org['admin_id']}/active", {"active": "0"}, csrf_from=path)
    assert refused.status_code == 403
    assert browser.get(f"/people/{org['admin_id']}/edit").status_code == 403


def test_the_profile_lists_sign_ins_and_signs_out_everywhere_else(app, api, tenant):
    browser, other = Browser(app, tenant), Browser(app, tenant)
    browser.sign_in("admin@example.org")
    other.sign_in("admin@example.org")
    tokens = api_login(api, tenant, "admin@example.org")
    page = browser.get("/profile").get_data(as_text=True)
    assert "This browser" in page and "An app (API)" in page and "Sign out everywhere else" in page
    done = browser.post("/profile", {"form": "sessions"}, csrf_from="/profile", follow_redirects=True)
    assert "Signed out everywhere else." in done.get_data(as_text=True)
    assert signed_in(browser.get("/")) and not signed_in(other.get("/"))
    assert api(tenant, tokens["access_token"]).get("/api/v1/auth/me").status_code == 401


def test_the_last_active_org_admin_stays_one(app, api, tenant, login_as):
    me = api(tenant, login_as(tenant, "org_admin"))
    with tenant_context(tenant, app):
        first = db.session.scalar(sa.select(User.id).where(User.email == "admin@example.org"))
        mine = db.session.scalar(sa.select(User.id).where(User.role == "org_admin", User.id != first))
    assert me.delete(f"/api/v1/users/{first}").status_code == 200  # another admin is left: me
    for last_call in (me.delete(f"/api/v1/users/{mine}"), me.put(f"/api/v1/users/{mine}", json={"role": "student"})):
        assert last_call.status_code == 409 and last_call.get_json()["error"]["code"] == "LAST_ORG_ADMIN"
    assert me.get("/api/v1/auth/me").get_json()["data"]["roles"] == ["org_admin"]


def test_a_branch_manager_is_not_offered_the_org_admin_role(app, org):
    browser = Browser(app, org["tenant"])
    browser.sign_in("manager@example.org")
    for path in ("/people/new", f"/people/{org['north_student_id']}/edit"):
        page = browser.get(path).get_data(as_text=True)
        assert 'value="teacher"' in page and 'value="org_admin"' not in page
    admin_browser = Browser(app, org["tenant"])
    admin_browser.sign_in("boss@example.org")
    assert 'value="org_admin"' in admin_browser.get("/people/new").get_data(as_text=True)
