"""The roster page: paging, search, CSV export, unenrolment after a question, and one learner's detail,
scoped to the teacher's course and in a number of queries that does not grow with the roster."""

import csv
import io
import re

from tests.conftest import make_user, user_token
from tests.support.browser import Browser
from tests.support.courses import make_course
from tests.support.statements import count_statements


def _client(app, api, tenant, user_id, role):
    with app.app_context():
        return api(tenant, user_token(app, tenant, user_id, role))


def _class_of(app, api, tenant, count, items=3):
    """A teacher's published course of `items` lessons with `count` learners (Learner 00.., the last one
    named "Zed =1+1"), signed in on the page."""
    teacher_api = _client(app, api, tenant, make_user(app, tenant, "teacher", email="teach@example.org"), "teacher")
    course_id, item_ids = make_course(teacher_api, items=items)
    learners = [
        make_user(app, tenant, "student", email=f"l{n:02d}@example.org", first_name="Learner", last_name=f"{n:02d}")
        for n in range(count - 1)
    ]
    learners.append(make_user(app, tenant, "student", email="zed@example.org", first_name="Zed", last_name="=1+1"))
    teacher_api.post(f"/api/v1/courses/{course_id}/enrollments", json={"user_ids": learners})
    teacher = Browser(app, tenant)
    teacher.sign_in("teach@example.org")
    return teacher_api, teacher, course_id, item_ids, learners


def _emails(html):
    return re.findall(r"<small>(\S+@example\.org)</small>", html)


def test_the_roster_pages_and_searches_and_htmx_gets_the_results_only(app, tenant, api):
    _, teacher, course_id, _, _ = _class_of(app, api, tenant, 25)
    roster = f"/teach/{course_id}/roster"
    first = teacher.get(roster).get_data(as_text=True)
    assert "25 enrolled" in first and "Page 1 of 2" in first and len(_emails(first)) == 20
    second = teacher.get(f"{roster}?page=2").get_data(as_text=True)
    assert len(_emails(second)) == 5 and "← Previous" in second
    assert set(_emails(first)).isdisjoint(_emails(second))

    found = teacher.get(f"{roster}?q=zed", headers={"HX-Request": "true"})
    text = found.get_data(as_text=True)
    assert "<html" not in text and _emails(text) == ["zed@example.org"] and "1 enrolled matching “zed”" in text
    assert "Nobody matches." in teacher.get(f"{roster}?q=nobody-at-all").get_data(as_text=True)
    assert teacher.get(f"{roster}?page=x").status_code == 400


def test_the_roster_exports_as_csv_with_the_search_and_no_formulas(app, tenant, api):
    _, teacher, course_id, item_ids, learners = _class_of(app, api, tenant, 3)
    learner = _client(app, api, tenant, learners[-1], "student")
    learner.post(f"/api/v1/content/{item_ids[0]}/complete")
    export = teacher.get(f"/teach/{course_id}/roster.csv")
    assert export.status_code == 200 and export.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(export.get_data(as_text=True).lstrip("\ufeff"))))
    assert [r["email"] for r in rows] == ["l00@example.org", "l01@example.org", "zed@example.org"]
    zed = rows[-1]
    assert (zed["last_name"], zed["completed_items"], zed["total_items"], zed["percent"]) == ("'=1+1", "1", "3", "33")
    only = teacher.get(f"/teach/{course_id}/roster.csv?q=l01").get_data(as_text=True)
    assert "l01@example.org" in only and "l00@example.org" not in only
    page = teacher.get(f"/teach/{course_id}/roster?q=l01").get_data(as_text=True)
    assert f'href="/teach/{course_id}/roster.csv?q=l01"' in page


def test_unenrolling_asks_first_keeps_progress_and_leaves_the_roster(app, tenant, api):
    teacher_api, teacher, course_id, item_ids, learners = _class_of(app, api, tenant, 2)
    _client(app, api, tenant, learners[0], "student").post(f"/api/v1/content/{item_ids[0]}/complete")
    roster = f"/teach/{course_id}/roster"
    ask = re.search(rf'href="({roster}/{learners[0]}/unenroll)"', teacher.get(roster).get_data(as_text=True)).group(1)
    question = teacher.get(ask).get_data(as_text=True)
    assert "Unenroll l00@example.org from Algebra?" in question and "Their progress is kept (1 of 3 items" in question
    assert "2 enrolled" in teacher.get(roster).get_data(as_text=True)  # asking changed nothing

    done = teacher.post(ask, csrf_from=ask, follow_redirects=True).get_data(as_text=True)
    assert "l00@example.org unenrolled." in done and "1 enrolled" in done and "l00@example.org</small>" not in done
    again = teacher_api.post(f"/api/v1/courses/{course_id}/enrollments", json={"user_ids": [learners[0]]})
    assert again.status_code == 201
    progress = teacher_api.get(f"/api/v1/courses/{course_id}/progress?filter[email]=l00@example.org")
    assert progress.get_json()["data"][0]["done"] == 1  # resumed where they stopped


def test_a_learners_detail_shows_each_item_time_and_last_activity(app, tenant, api):
    _, teacher, course_id, item_ids, learners = _class_of(app, api, tenant, 2)
    learner = _client(app, api, tenant, learners[0], "student")
    learner.post(f"/api/v1/content/{item_ids[0]}/complete")
    learner.post(f"/api/v1/content/{item_ids[1]}/time", json={"seconds": 90})
    detail = teacher.get(f"/teach/{course_id}/roster/{learners[0]}")
    text = detail.get_data(as_text=True)
    assert detail.status_code == 200 and "1 of 3 items (33 %)" in text
    rows = re.findall(
        r"<tr><td>(Lesson \d)<br><small>Week 1 · text</small></td>\s*<td>([^<]*)</td>\s*<td>([^<]*)</td>", text
    )
    assert [(title, done.startswith("✓"), spent) for title, done, spent in rows] == [
        ("Lesson 1", True, "—"),
        ("Lesson 2", False, "1 min"),
        ("Lesson 3", False, "—"),
    ]
    assert re.search(r'id="last-activity">\d\d \w{3} \d{4} \d\d:\d\d UTC', text)


def test_the_roster_and_a_learner_stay_in_the_teachers_course_and_branch(app, tenant, api, login_as):
    _, teacher, course_id, _, learners = _class_of(app, api, tenant, 2)
    stranger = make_user(app, tenant, "student", email="stranger@example.org")
    other_teacher_api = _client(app, api, tenant, make_user(app, tenant, "teacher", email="o@example.org"), "teacher")
    other_course, _ = make_course(other_teacher_api, title="Other", items=1)
    other_teacher_api.post(f"/api/v1/courses/{other_course}/enrollments", json={"user_ids": [stranger]})

    assert teacher.get(f"/teach/{course_id}/roster/{stranger}").status_code == 404  # not in this course
    assert teacher.get(f"/teach/{course_id}/roster/{stranger}/unenroll").status_code == 404
    assert teacher.get(f"/teach/{other_course}/roster").status_code == 403
    assert teacher.get(f"/teach/{other_course}/roster.csv").status_code == 403
    assert teacher.get(f"/teach/{other_course}/roster/{stranger}").status_code == 403
    refused = teacher.post(f"/teach/{other_course}/roster/{stranger}/unenroll", csrf_from=f"/teach/{course_id}/roster")
    assert refused.status_code == 403
    progress = other_teacher_api.get(f"/api/v1/courses/{other_course}/progress").get_json()["data"]
    assert [row["status"] for row in progress] == ["active"]

    # A branch manager follows only their branch's people in an organization-wide course.
    admin = api(tenant, login_as(tenant, "org_admin"))
    base = f"/api/v1/organizations/{tenant.id}/branches"
    north = admin.post(base, json={"code": "north", "name": "North"}).get_json()["data"]["id"]
    boss_id = make_user(app, tenant, "branch_manager", email="boss@example.org")
    admin.post(f"{base}/{north}/users", json={"user_id": boss_id, "role": "branch_manager"})
    admin.post(f"{base}/{north}/users", json={"user_id": learners[0], "role": "student"})
    boss = Browser(app, tenant)
    boss.sign_in("boss@example.org")
    assert boss.get(f"/teach/{course_id}/roster/{learners[0]}").status_code == 200
    assert boss.get(f"/teach/{course_id}/roster/{learners[1]}").status_code == 404
    assert "zed@example.org" not in boss.get(f"/teach/{course_id}/roster.csv").get_data(as_text=True)


def test_roster_and_learner_pages_take_the_same_queries_for_3_or_30(app, tenant, api):
    teacher_api, teacher, course_id, item_ids, learners = _class_of(app, api, tenant, 3, items=3)
    big_id, big_items = make_course(teacher_api, title="Big", items=30)
    more = [make_user(app, tenant, "student", email=f"m{n}@example.org") for n in range(17)]
    teacher_api.post(f"/api/v1/courses/{big_id}/enrollments", json={"user_ids": learners + more})
    learner = _client(app, api, tenant, learners[0], "student")
    for items in (item_ids, big_items):
        for item_id in items[:3]:
            learner.post(f"/api/v1/content/{item_id}/complete")
            learner.post(f"/api/v1/content/{item_id}/time", json={"seconds": 5})
    for path in ("roster", f"roster/{learners[0]}", "roster.csv"):
        small = count_statements(app, tenant, lambda p=path: teacher.get(f"/teach/{course_id}/{p}").get_data())
        big = count_statements(app, tenant, lambda p=path: teacher.get(f"/teach/{big_id}/{p}").get_data())
        assert small == big, (path, small, big)
