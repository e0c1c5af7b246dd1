"""Enrolling people: by e-mail with some bad addresses, a class twice, and picking people from a list."""

import re

from app.extensions import db
from app.tenancy.context import tenant_context
from blueprints.branches.models import Branch, BranchMembership
from blueprints.users.models import User
from tests.conftest import make_user, user_token
from tests.support.browser import Browser
from tests.support.membership_guard import memberships_written_without_event


def north_and_south(app, tenant):
    with tenant_context(tenant, app):
        north, south = Branch(code="north", name="North", settings={}), Branch(code="south", name="South", settings={})
        db.session.add_all([north, south])
        db.session.commit()
        return north.id, south.id


def join(app, tenant, user_id, branch_id, role="student"):
    with tenant_context(tenant, app), memberships_written_without_event("test data seeded as rows"):
        db.session.add(BranchMembership(user_id=user_id, branch_id=branch_id, role=role))
        db.session.commit()


def published_course(browser, title="Chemistry"):
    created = browser.post("/teach", {"title": title, "summary": "Atoms"}, csrf_from="/teach")
    editor = created.headers["Location"]
    browser.post(
        editor, {"form": "course", "title": title, "summary": "Atoms", "status": "published"}, csrf_from=editor
    )
    return int(editor.rsplit("/", 1)[1]), f"{editor}/roster"


def flashes(page):
    return re.findall(r'<p class="flash" role="status">([^<]*)</p>', page)


def test_one_bad_address_is_named_and_the_good_ones_are_enrolled_on_the_page_and_in_the_api(app, api, tenant):
    for name in ("ann", "bob", "cyd", "dan"):
        make_user(app, tenant, "student", email=f"{name}@example.org")
    gone = make_user(app, tenant, "student", email="gone@example.org")
    with tenant_context(tenant, app):
        db.session.get(User, gone).is_active = False
        db.session.commit()
    admin = Browser(app, tenant)
    admin.sign_in("admin@example.org")
    course_id, roster = published_course(admin)
    emails = "ann@example.org\nBob@Example.org\nghost@example.org\nnot an address\ngone@example.org\n\n"
    page = admin.post(roster, {"class_id": "0", "emails": emails}, csrf_from=roster, follow_redirects=True)
    messages = flashes(page.get_data(as_text=True))
    assert messages == [
        "2 enrolled.",
        "Not enrolled: not an address (not an e-mail address).",
        "Not enrolled: ghost@example.org (nobody you can enrol has this address).",
        "Not enrolled: gone@example.org (deactivated).",
    ]
    assert "2 enrolled</p>" in page.get_data(as_text=True)

    client = api(tenant, user_token(app, tenant, make_user(app, tenant, "org_admin"), "org_admin"))
    answer = client.post(
        f"/api/v1/courses/{course_id}/enrollments", json={"emails": ["ann@example.org", "cyd@example.org", "x@y"]}
    )
    assert answer.status_code == 201
    assert answer.get_json()["data"] == {
        "created": 1,
        "already_enrolled": 1,
        "not_enrolled": [{"email": "x@y", "reason": "not an e-mail address"}],
    }
    again = admin.post(roster, {"class_id": "0", "emails": "ann@example.org\ndan@example.org"}, csrf_from=roster)
    assert flashes(admin.get(again.headers["Location"]).get_data(as_text=True)) == [
        "1 enrolled (1 person already were)."
    ]


def test_enrolling_an_enrolled_class_says_so(app, tenant):
    north, _south = north_and_south(app, tenant)
    admin = Browser(app, tenant)
    admin.sign_in("admin@example.org")
    created = admin.post("/classes", {"branch_id": str(north), "name": "7A"}, csrf_from="/classes")
    class_roster = created.headers["Location"]
    class_id = int(class_roster.rsplit("/", 1)[1])
    for n in range(3):
        make_user(app, tenant, "student", email=f"kid{n}@example.org")
    admin.post(
        class_roster,
        {"emails": "kid0@example.org\nkid1@example.org\nkid2@example.org", "role": "student"},
        csrf_from=class_roster,
    )
    _course_id, roster = published_course(admin)
    first = admin.post(roster, {"class_id": str(class_id), "emails": ""}, csrf_from=roster, follow_redirects=True)
    assert flashes(first.get_data(as_text=True)) == ["3 enrolled."]
    second = admin.post(roster, {"class_id": str(class_id), "emails": ""}, csrf_from=roster, follow_redirects=True)
    assert flashes(second.get_data(as_text=True)) == ["Already enrolled: 3 people, 0 new."]


def test_a_branch_manager_cannot_tell_other_branches_people_from_unknown_addresses(app, tenant):
    north, south = north_and_south(app, tenant)
    boss = make_user(app, tenant, "branch_manager", email="boss@example.org")
    join(app, tenant, boss, north, "branch_manager")
    join(app, tenant, make_user(app, tenant, "student", email="mine@example.org"), north)
    join(app, tenant, make_user(app, tenant, "student", email="theirs@example.org"), south)
    admin = Browser(app, tenant)
    admin.sign_in("admin@example.org")
    _course_id, roster = published_course(admin)
    browser = Browser(app, tenant)
    browser.sign_in("boss@example.org")
    emails = "mine@example.org\ntheirs@example.org\nghost@example.org"
    page = browser.post(roster, {"class_id": "0", "emails": emails}, csrf_from=roster, follow_redirects=True)
    assert flashes(page.get_data(as_text=True)) == [
        "1 enrolled.",
        "Not enrolled: theirs@example.org (nobody you can enrol has this address).",
        "Not enrolled: ghost@example.org (nobody you can enrol has this address).",
    ]


def test_the_people_picker_searches_as_you_type_within_reach_and_keeps_the_ticked_people(app, tenant):
    north, south = north_and_south(app, tenant)
    boss = make_user(app, tenant, "branch_manager", email="boss@example.org")
    join(app, tenant, boss, north, "branch_manager")
    ids = {}
    for name, branch in (("anna", north), ("anne", north), ("annika", south)):
        ids[name] = make_user(app, tenant, "student", email=f"{name}@example.org", first_name=name.capitalize())
        join(app, tenant, ids[name], branch)
    admin_of_north = make_user(app, tenant, "org_admin", email="annadmin@example.org")
    join(app, tenant, admin_of_north, north, "branch_manager")  # seen by the manager, but above their reach
    browser = Browser(app, tenant)
    browser.sign_in("boss@example.org")
    fragment = browser.get("/people/picker?picker_q=ann", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert fragment.startswith('<div id="people-picker-results"') and "<html" not in fragment
    assert "anna@example.org" in fragment and "anne@example.org" in fragment
    assert "annika@example.org" not in fragment and "annadmin@example.org" not in fragment
    ticked = browser.get(f"/people/picker?picker_q=zzz&user_ids={ids['anna']}&user_ids={ids['annika']}").get_data(
        as_text=True
    )
    assert f'value="{ids["anna"]}" checked' in ticked and "annika" not in ticked and "Nobody else you can add" in ticked

    admin = Browser(app, tenant)
    admin.sign_in("admin@example.org")
    created = admin.post("/classes", {"branch_id": str(north), "name": "7A"}, csrf_from="/classes")
    class_roster = created.headers["Location"]
    page = browser.get(class_roster).get_data(as_text=True)
    assert 'name="picker_q"' in page and 'hx-get="/people/picker"' in page
    added = browser.post(
        class_roster,
        {"user_ids": [ids["anna"], ids["anne"]], "emails": "", "role": "student"},
        csrf_from=class_roster,
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "2 added as students." in added and "anna@example.org" in added and "anne@example.org" in added
    out_of_reach = browser.post(
        class_roster, {"user_ids": [ids["annika"]], "emails": "", "role": "student"}, csrf_from=class_roster
    )
    assert out_of_reach.status_code == 422 and "annika@example.org" not in out_of_reach.get_data(as_text=True)

    _course_id, roster = published_course(admin)
    enrolled = browser.post(
        roster, {"class_id": "0", "user_ids": [ids["anna"]], "emails": ""}, csrf_from=roster, follow_redirects=True
    ).get_data(as_text=True)
    assert flashes(enrolled) == ["1 enrolled."]
