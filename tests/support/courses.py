"""Courses for tests: a school (people and a class) and courses built through the API, sample files."""

import io
import re

import pytest
from PIL import Image

from tests.conftest import make_user, user_token
from tests.support.browser import Browser

PDF = b"%PDF-1.4\n" + b"x" * 2000


@pytest.fixture
def school(app, api, tenant, login_as):
    """A teacher, three students, a class with two of them, and clients for each."""

    def client_for(user_id, role):
        with app.app_context():
            return api(tenant, user_token(app, tenant, user_id, role))

    admin = api(tenant, login_as(tenant, "org_admin"))
    branch = admin.post(f"/api/v1/organizations/{tenant.id}/branches", json={"code": "north", "name": "North"})
    branch_id = branch.get_json()["data"]["id"]
    school_class = admin.post("/api/v1/classes", json={"branch_id": branch_id, "name": "Year 9"}).get_json()["data"]
    teacher_id = make_user(app, tenant, "teacher", email="teacher@example.org")
    students = [make_user(app, tenant, "student", email=f"s{n}@example.org") for n in range(3)]
    admin.post(f"/api/v1/classes/{school_class['id']}/members", json={"user_ids": students[:2], "role": "student"})
    return {
        "tenant": tenant,
        "admin": admin,
        "class_id": school_class["id"],
        "students": students,
        "teacher": client_for(teacher_id, "teacher"),
        "learners": [client_for(s, "student") for s in students],
    }


def make_course(teacher, title="Algebra", items=3, publish=True):
    course = teacher.post(
        "/api/v1/courses",
        json={"title": title, "summary": "Numbers", "description": "<p>Hi<script>alert(1)</script></p>"},
    )
    assert course.status_code == 201, course.get_json()
    course_id = course.get_json()["data"]["id"]
    item_ids, first_module = [], None
    for n in range(items):
        module = {"module_id": first_module} if first_module else {"module_title": "Week 1"}
        item = teacher.post(
            f"/api/v1/courses/{course_id}/content",
            json={"kind": "text", "title": f"Lesson {n + 1}", "body": f"<p>Lesson {n + 1}</p>", **module},
        )
        assert item.status_code == 201, item.get_json()
        item_ids.append(item.get_json()["data"]["id"])
        first_module = item.get_json()["data"]["module_id"]
    if publish:
        teacher.put(f"/api/v1/courses/{course_id}", json={"status": "published"})
    return course_id, item_ids


def _image(size, mode="RGB", fmt="JPEG", **save_options):
    out = io.BytesIO()
    Image.new(mode, size, "red" if mode != "1" else 0).save(out, fmt, **save_options)
    return out.getvalue()


@pytest.fixture
def district(app, api, tenant, login_as):
    """Branches North and South, a manager of North, a student and a class in each, and four courses."""

    def client(user_id, role):
        with app.app_context():
            return api(tenant, user_token(app, tenant, user_id, role))

    admin = api(tenant, login_as(tenant, "org_admin"))
    base = f"/api/v1/organizations/{tenant.id}/branches"
    north = admin.post(base, json={"code": "north", "name": "North"}).get_json()["data"]["id"]
    south = admin.post(base, json={"code": "south", "name": "South"}).get_json()["data"]["id"]
    manager_id = make_user(app, tenant, "branch_manager", email="boss@example.org")
    admin.post(f"{base}/{north}/users", json={"user_id": manager_id, "role": "branch_manager"})
    people, classes = {}, {}
    for branch_id, name in ((north, "north"), (south, "south")):
        people[name] = make_user(app, tenant, "student", email=f"{name}@example.org", last_name=name.title())
        admin.post(f"{base}/{branch_id}/users", json={"user_id": people[name], "role": "student"})
        classes[name] = admin.post("/api/v1/classes", json={"branch_id": branch_id, "name": f"{name} 7"}).get_json()[
            "data"
        ]["id"]
        admin.post(f"/api/v1/classes/{classes[name]}/members", json={"user_ids": [people[name]], "role": "student"})
    teacher = client(make_user(app, tenant, "teacher", email="teach@example.org"), "teacher")
    courses = {
        "everyone": make_course(teacher, title="Safety for everyone", items=2)[0],
        "draft": make_course(teacher, title="Draft for everyone", items=1, publish=False)[0],
        "north": make_course(teacher, title="North only", items=1)[0],
        "south": make_course(teacher, title="South only", items=1)[0],
    }
    for name, branch_id in (("north", north), ("south", south)):
        restricted = admin.put(f"/api/v1/courses/{courses[name]}", json={"branch_ids": [branch_id]})
        assert restricted.get_json()["data"]["branch_ids"] == [branch_id]
    teacher.post(f"/api/v1/courses/{courses['everyone']}/enrollments", json={"user_ids": [people["south"]]})
    return {
        "admin": admin,
        "teacher": teacher,
        "manager": client(manager_id, "branch_manager"),
        "people": people,
        "classes": classes,
        "courses": courses,
    }


def teacher_with_course(app, api, tenant):
    """A teacher with a course of two modules ("Week 1": Lesson 1..3, "Week 2": Quiz), signed in on both sides."""
    teacher_id = make_user(app, tenant, "teacher", email="teach@example.org")
    with app.app_context():
        teacher_api = api(tenant, user_token(app, tenant, teacher_id, "teacher"))
    course_id = teacher_api.post("/api/v1/courses", json={"title": "Algebra"}).get_json()["data"]["id"]
    ids = {}
    for title, module in (("Lesson 1", "Week 1"), ("Lesson 2", "Week 1"), ("Lesson 3", "Week 1"), ("Quiz", "Week 2")):
        outline = teacher_api.get(f"/api/v1/courses/{course_id}/content").get_json()["data"]
        existing = next((m["id"] for m in outline if m["title"] == module), None)
        where = {"module_id": existing} if existing else {"module_title": module}
        created = teacher_api.post(
            f"/api/v1/courses/{course_id}/content",
            json={"kind": "text", "title": title, "body": f"<p>{title}</p>", **where},
        )
        ids[title] = created.get_json()["data"]["id"]
    outline = teacher_api.get(f"/api/v1/courses/{course_id}/content").get_json()["data"]
    ids.update({m["title"]: m["id"] for m in outline})
    page = Browser(app, tenant)
    page.sign_in("teach@example.org")
    return teacher_api, page, course_id, ids


def csrf_header(browser, path):
    page = browser.get(path).get_data(as_text=True)
    return {"HX-Request": "true", "X-CSRFToken": re.search(r"X-CSRFToken\": \"([^\"]+)\"", page).group(1)}


def item_order(html):
    return re.findall(r'data-item="([^"]+)"', html)
