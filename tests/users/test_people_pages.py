"""The people pages: live search (htmx fragment), filters, paging, scope, deactivation."""

import io
import re

from app.extensions import db
from app.tenancy.context import tenant_context
from blueprints.branches.models import Branch, BranchMembership
from tests.conftest import make_user, run_jobs
from tests.support.browser import Browser
from tests.support.membership_guard import memberships_written_without_event


def seed(app, tenant, count=25):
    with tenant_context(tenant, app):
        north, south = Branch(code="north", name="North", settings={}), Branch(code="south", name="South", settings={})
        db.session.add_all([north, south])
        db.session.commit()
        ids = {"north": north.id, "south": south.id}
    for n in range(count):
        user_id = make_user(
            app,
            tenant,
            "student",
            email=f"learner{n:02d}@example.org",
            first_name=f"Learner{n:02d}",
            last_name="North" if n % 2 else "South",
        )
        with tenant_context(tenant, app), memberships_written_without_event("test data seeded as rows"):
            db.session.add(
                BranchMembership(user_id=user_id, branch_id=ids["north" if n % 2 else "south"], role="student")
            )
            db.session.commit()
    return ids


def test_search_as_you_type_answers_a_fragment(app, tenant):
    seed(app, tenant)
    browser = Browser(app, tenant)
    browser.sign_in("admin@example.org")
    full = browser.get("/people").get_data(as_text=True)
    assert "<html" in full and "26 people" in full and "Page 1 of 2" in full
    fragment = browser.get("/people?q=learner07", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert fragment.lstrip().startswith('<section id="people-results">') and "<html" not in fragment
    assert "1 person" in fragment and "learner07@example.org" in fragment


def test_filters_and_paging_keep_each_other(app, tenant):
    ids = seed(app, tenant)
    browser = Browser(app, tenant)
    browser.sign_in("admin@example.org")
    north = browser.get(f"/people?branch={ids['north']}&status=invited").get_data(as_text=True)
    assert "0 people" in north  # they all have passwords: none is merely invited
    page2 = browser.get("/people?role=student&page=2").get_data(as_text=True)
    assert "Page 2 of 2" in page2 and "role=student" in page2 and "learner24@example.org" in page2


def status_of_page(html):
    return re.search(r'<option value="([^"]*)" selected>', html.split('name="status"')[1]).group(1)


def test_the_list_shows_active_and_invited_people_unless_asked_and_keeps_the_choice(app, tenant):
    seed(app, tenant)
    browser = Browser(app, tenant)
    browser.sign_in("admin@example.org")
    first = re.search(r'href="/people/(\d+)">Learner00', browser.get("/people?q=learner00").get_data(as_text=True))
    done = browser.post(f"/people/{first.group(1)}/active", {"active": "0"}, csrf_from=f"/people/{first.group(1)}")
    assert done.status_code == 302

    listing = browser.get("/people").get_data(as_text=True)
    assert "25 people" in listing and "learner00@example.org" not in listing  # the deactivated one has left
    assert status_of_page(listing) == "active,invited"
    assert "1 person" in browser.get("/people?status=inactive&q=learner").get_data(as_text=True)
    everyone = browser.get("/people?status=all").get_data(as_text=True)
    assert "26 people" in everyone and "learner00@example.org" in everyone and status_of_page(everyone) == "all"
    assert "status=all" in re.search(r'<nav class="pager".*?</nav>', everyone, re.S).group(0)  # paging keeps it
    page2 = browser.get("/people?status=all&page=2").get_data(as_text=True)
    assert status_of_page(page2) == "all" and "Page 2 of 2" in page2
    searched = browser.get("/people?status=all&q=learner0", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "10 people" in searched  # learner00 to learner09: the search form sends the select with it
    export = re.search(r'href="([^"]*export\.csv[^"]*)"', everyone).group(1).replace("&amp;", "&")
    assert "learner00@example.org" in browser.get(export).get_data(as_text=True)
    default_export = browser.get("/people/export.csv").get_data(as_text=True)
    assert "learner00@example.org" not in default_export and "learner01@example.org" in default_export
    assert browser.get("/people?status=sleeping").status_code == 302  # an unknown status: back to the list


def test_managers_see_their_branch_and_can_deactivate_there(app, api, tenant, login_as):
    ids = seed(app, tenant, count=4)
    manager = make_user(app, tenant, "branch_manager", email="boss@example.org")

    with tenant_context(tenant, app), memberships_written_without_event("test data seeded as rows"):
        db.session.add(BranchMembership(user_id=manager, branch_id=ids["north"], role="branch_manager"))
        db.session.commit()
    browser = Browser(app, tenant)
    browser.sign_in("boss@example.org")
    listing = browser.get("/people").get_data(as_text=True)
    assert "learner01@example.org" in listing and "learner00@example.org" not in listing
    person_id = re.search(r'href="/people/(\d+)">Learner01', listing).group(1)
    done = browser.post(f"/people/{person_id}/active", {"active": "0"}, csrf_from=f"/people/{person_id}")
    assert done.status_code == 302
    assert 'id="person-status">inactive' in browser.get(f"/people/{person_id}").get_data(as_text=True)
    other = browser.get("/people?q=learner00").get_data(as_text=True)
    assert "0 people" in other and "learner00@example.org" not in other


def test_teachers_and_students_do_not_get_the_people_pages(app, tenant):
    make_user(app, tenant, "student", email="stu@example.org")
    browser = Browser(app, tenant)
    browser.sign_in("stu@example.org")
    assert browser.get("/people").status_code == 403
    assert browser.get("/people/import").status_code == 403


def test_import_page_rejects_a_bad_file_inline(app, tenant):
    browser = Browser(app, tenant)
    browser.sign_in("admin@example.org")
    page = browser.get("/people/import").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = browser.client.post(
        "/people/import",
        headers={"Host": browser.host},
        content_type="multipart/form-data",
        data={"csrf_token": token, "mode": "dry_run", "file": (io.BytesIO(b"name,surname\nA,B\n"), "x.csv")},
    )
    assert response.status_code == 422
    assert "lacks email" in response.get_data(as_text=True)


def test_add_and_edit_a_person_with_inline_errors(app, tenant, mailbox):
    seed(app, tenant, count=1)
    browser = Browser(app, tenant)
    browser.sign_in("admin@example.org")
    page = browser.get("/people/new").get_data(as_text=True)
    branch = re.search(r'<option value="(\d+)">North</option>', page).group(1)
    invalid = browser.post(
        "/people/new",
        {"email": "nope", "first_name": "", "last_name": "Doe", "role": "student", "branch_id": branch},
        csrf_from="/people/new",
    )
    assert invalid.status_code == 422
    text = invalid.get_data(as_text=True)
    assert 'aria-invalid="true"' in text and "Invalid email address." in text and 'value="Doe"' in text
    added = browser.post(
        "/people/new",
        {
            "email": "jane@example.org",
            "first_name": "Jane",
            "last_name": "Doe",
            "role": "student",
            "branch_id": branch,
            "send_invitation": "y",
        },
        csrf_from="/people/new",
    )
    assert added.status_code == 302
    detail_url = added.headers["Location"]
    assert "North (student)" in browser.get(detail_url).get_data(as_text=True)
    run_jobs(app)
    assert len(mailbox.to("jane@example.org")) == 1
    taken = browser.post(
        "/people/new",
        {"email": "jane@example.org", "first_name": "J", "last_name": "D", "role": "student", "branch_id": branch},
        csrf_from="/people/new",
    )
    assert taken.status_code == 409 and "Already in use." in taken.get_data(as_text=True)
    edited = browser.post(
        f"{detail_url}/edit",
        {"first_name": "Janet", "last_name": "Doe", "role": "teacher", "external_id": "HR-9"},
        csrf_from=f"{detail_url}/edit",
    )
    assert edited.status_code == 302
    shown = browser.get(detail_url).get_data(as_text=True)
    assert "Janet Doe" in shown and "teacher" in shown and "HR-9" in shown


def test_export_from_the_people_page_is_a_csv_of_what_the_page_shows(app, tenant):
    """The page linked to the API, which ignores the page session: the export answered 401 JSON (issue 10)."""
    ids = seed(app, tenant, count=6)
    browser = Browser(app, tenant)
    browser.sign_in("admin@example.org")
    page = browser.get(f"/people?branch={ids['north']}").get_data(as_text=True)
    link = re.search(r'href="([^"]*export\.csv[^"]*)"', page).group(1).replace("&amp;", "&")
    export = browser.get(link)
    assert export.status_code == 200 and export.mimetype == "text/csv"
    rows = export.get_data(as_text=True).lstrip("\ufeff").splitlines()
    assert rows[0].startswith("email,first_name,last_name,role,branch")
    assert sorted(row.split(",")[0] for row in rows[1:]) == [f"learner{n:02d}@example.org" for n in (1, 3, 5)]
