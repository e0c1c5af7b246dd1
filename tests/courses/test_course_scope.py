"""Org admins and branch managers on courses: all courses in their scope, enrolling their classes, following
their own people's progress, and nobody else's (API and pages)."""

import re

from app.security.permissions import BRANCH_MANAGER, TEACHER
from app.security.principal import Principal
from app.tenancy.context import tenant_context
from blueprints.branches.scope import BranchScope
from blueprints.courses import services as course_services
from tests.conftest import make_user, user_token
from tests.support.browser import Browser
from tests.support.courses import make_course
from tests.support.statements import count_statements


def test_a_branch_manager_enrolls_and_follows_only_their_branch_in_a_course_for_everyone(district):
    manager, people, classes = district["manager"], district["people"], district["classes"]
    everyone = district["courses"]["everyone"]
    assert manager.get(f"/api/v1/courses/{everyone}/progress").get_json()["data"] == []  # South's learner unseen

    outsider = manager.post(f"/api/v1/courses/{everyone}/enrollments", json={"user_ids": [people["south"]]})
    assert outsider.status_code == 422 and outsider.get_json()["error"]["details"]["user_ids"]
    other_class = manager.post(f"/api/v1/courses/{everyone}/enrollments", json={"class_id": classes["south"]})
    assert other_class.status_code == 422
    assert manager.delete(f"/api/v1/courses/{everyone}/enrollments/{people['south']}").status_code == 404
    enrolled = manager.post(f"/api/v1/courses/{everyone}/enrollments", json={"class_id": classes["north"]})
    assert enrolled.status_code == 201 and enrolled.get_json()["data"]["created"] == 1

    rows = manager.get(f"/api/v1/courses/{everyone}/progress").get_json()["data"]
    assert [row["id"] for row in rows] == [people["north"]]
    teacher_rows = district["teacher"].get(f"/api/v1/courses/{everyone}/progress").get_json()["data"]
    assert {row["id"] for row in teacher_rows} == {people["north"], people["south"]}
    assert manager.put(f"/api/v1/courses/{everyone}", json={"title": "Mine now"}).status_code == 403

    draft = district["courses"]["draft"]
    draft_enroll = manager.post(f"/api/v1/courses/{draft}/enrollments", json={"class_id": classes["north"]})
    assert draft_enroll.status_code == 404  # a draft for everyone is not theirs to see yet
    assert manager.get(f"/api/v1/courses/{district['courses']['south']}/progress").status_code == 404
    own = district["courses"]["north"]  # a course of their branch only: theirs to manage
    assert manager.put(f"/api/v1/courses/{own}", json={"summary": "Updated by North"}).status_code == 200


def test_courses_page_shows_each_role_its_scope_and_the_roster_its_people(app, tenant, district):
    make_user(app, tenant, "org_admin", email="chief@example.org")
    courses = district["courses"]

    boss = Browser(app, tenant)
    boss.sign_in("boss@example.org")
    page = boss.get("/teach").get_data(as_text=True)
    assert ">Courses</a>" in page and "Courses in your scope" in page
    assert f'href="/teach/{courses["north"]}">North only</a>' in page
    assert "Safety for everyone<br><small>open to your branches</small>" in page
    assert "South only" not in page and "Draft for everyone" not in page

    roster = f"/teach/{courses['everyone']}/roster"
    html = boss.get(roster).get_data(as_text=True)
    assert "0 enrolled from your branches" in html and "south@example.org" not in html
    assert "north 7" in html and "south 7" not in html  # only their branch's classes to choose from
    refused = boss.post(
        roster, {"class_id": "0", "emails": "south@example.org"}, csrf_from=roster, follow_redirects=True
    )
    assert "Not enrolled: south@example.org (nobody you can enrol has this address)." in refused.get_data(as_text=True)
    class_id = re.search(r'<option value="(\d+)">north 7', html).group(1)
    done = boss.post(roster, {"class_id": class_id, "emails": ""}, csrf_from=roster, follow_redirects=True)
    html = done.get_data(as_text=True)
    assert "1 enrolled." in html and "north@example.org" in html and "south@example.org" not in html
    assert boss.get(f"/teach/{courses['everyone']}").status_code == 403  # enroll, yes; edit, no
    assert boss.get(f"/teach/{courses['south']}/roster").status_code == 404

    chief = Browser(app, tenant)
    chief.sign_in("chief@example.org")
    page = chief.get("/teach").get_data(as_text=True)
    for course_id in courses.values():
        assert f'href="/teach/{course_id}">' in page
    everyone_row = re.search(r"Safety for everyone</a></td>\s*<td>published</td><td>(\d+)</td>", page)
    assert everyone_row.group(1) == "2"  # the admin counts everyone: North's and South's learner


def test_the_courses_page_takes_the_same_queries_for_few_or_many_courses(app, tenant, district):
    boss = Browser(app, tenant)
    boss.sign_in("boss@example.org")
    few = count_statements(app, tenant, lambda: boss.get("/teach"))
    for n in range(8):
        course_id, _ = make_course(district["teacher"], title=f"Extra {n}", items=1)
        district["teacher"].post(
            f"/api/v1/courses/{course_id}/enrollments", json={"user_ids": [district["people"]["north"]]}
        )
    many = count_statements(app, tenant, lambda: boss.get("/teach"))
    assert boss.get("/teach").get_data(as_text=True).count("open to your branches") == 9
    assert few == many


def test_a_course_for_some_branches_takes_only_their_people_and_classes(district):
    teacher, admin, people, classes = district["teacher"], district["admin"], district["people"], district["classes"]
    north_only = district["courses"]["north"]
    outsider = teacher.post(f"/api/v1/courses/{north_only}/enrollments", json={"user_ids": [people["south"]]})
    assert outsider.status_code == 422
    assert outsider.get_json()["error"]["details"]["user_ids"] == [f"User {people['south']} cannot take this course."]
    other_class = teacher.post(f"/api/v1/courses/{north_only}/enrollments", json={"class_id": classes["south"]})
    assert other_class.status_code == 422 and other_class.get_json()["error"]["details"]["class_id"]
    assert (
        teacher.post(f"/api/v1/courses/{north_only}/enrollments", json={"class_id": classes["north"]}).status_code
        == 201
    )

    # A South student joins North's class later: the North-only course skips them and nothing breaks.
    joined = admin.post(
        f"/api/v1/classes/{classes['north']}/members", json={"user_ids": [people["south"]], "role": "student"}
    )
    assert joined.status_code in (200, 201)
    rows = teacher.get(f"/api/v1/courses/{north_only}/progress").get_json()["data"]
    assert [row["id"] for row in rows] == [people["north"]]


def test_a_branch_manager_cannot_open_their_course_to_everyone_or_move_it_out(district):
    manager, own = district["manager"], district["courses"]["north"]
    for branch_ids in ([], [*district["admin"].get(f"/api/v1/courses/{own}").get_json()["data"]["branch_ids"], 999]):
        refused = manager.put(f"/api/v1/courses/{own}", json={"branch_ids": branch_ids})
        assert refused.status_code == 403 and refused.get_json()["error"]["code"] == "OUT_OF_SCOPE"
    north = district["admin"].get(f"/api/v1/courses/{own}").get_json()["data"]["branch_ids"]
    assert len(north) == 1  # still North only
    assert manager.put(f"/api/v1/courses/{own}", json={"branch_ids": north}).status_code == 200  # no change: fine
    opened = district["admin"].put(f"/api/v1/courses/{own}", json={"branch_ids": []})
    assert opened.status_code == 200 and opened.get_json()["data"]["branch_ids"] == []


def test_lessons_are_read_by_enrolled_learners_past_prerequisites_and_by_managers(app, api, tenant, district):
    everyone = district["courses"]["everyone"]
    item = district["teacher"].get(f"/api/v1/courses/{everyone}/content").get_json()["data"][0]["items"][0]["id"]
    south = api(tenant, user_token(app, tenant, district["people"]["south"], "student"))  # enrolled
    north = api(tenant, user_token(app, tenant, district["people"]["north"], "student"))  # not enrolled
    assert south.get(f"/api/v1/content/{item}").status_code == 200
    assert south.get(f"/api/v1/content/{item}").get_json()["data"]["published_body"]
    assert north.get(f"/api/v1/content/{item}").status_code == 404
    assert district["teacher"].get(f"/api/v1/content/{item}").status_code == 200
    assert district["admin"].get(f"/api/v1/content/{item}").status_code == 200
    # A prerequisite the learner has not completed closes the lessons, as in the player.
    district["teacher"].put(f"/api/v1/courses/{everyone}", json={"prerequisite_ids": [district["courses"]["north"]]})
    locked = south.get(f"/api/v1/content/{item}")
    assert locked.status_code == 403 and locked.get_json()["error"]["code"] == "PREREQUISITES_NOT_MET"


def test_the_courses_one_manages_are_the_ones_one_may_change(app, tenant, district):
    """`manageable_courses` (course lists, banks, quizzes) agrees with `can_manage` (every write): a manager of
    one of a course's branches does not manage it, and an API key whose id equals a teacher's teaches nothing."""
    admin, courses = district["admin"], district["courses"]
    north = admin.get(f"/api/v1/courses/{courses['north']}").get_json()["data"]["branch_ids"][0]
    south = admin.get(f"/api/v1/courses/{courses['south']}").get_json()["data"]["branch_ids"][0]
    assert admin.put(f"/api/v1/courses/{courses['south']}", json={"branch_ids": [north, south]}).status_code == 200
    teacher_id = district["teacher"].get("/api/v1/auth/me").get_json()["data"]["id"]
    with tenant_context(tenant, app):
        manager = Principal("user", 1, "boss@example.org", (BRANCH_MANAGER,), tenant.id)
        scope = BranchScope(frozenset({north}))
        managed = {course.id for course in course_services.manageable_courses(manager, scope)}
        assert managed == {courses["north"]}  # not the course of North and South
        for course_id in (courses["north"], courses["south"]):
            course = course_services.get_course(course_id, manager, scope)
            assert course_services.can_manage(course, manager, scope) == (course_id in managed)
        key = Principal("api_key", teacher_id, "key", (TEACHER,), tenant.id)
        assert course_services.manageable_courses(key, BranchScope(frozenset())) == []
    assert district["manager"].put(f"/api/v1/courses/{courses['south']}", json={"title": "Mine"}).status_code == 403
