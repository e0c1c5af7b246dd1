"""Courses for tests: a school (people and a class) and courses built through the API, sample files."""

import pytest
import sqlalchemy as sa

from app.tenancy.engines import engine_for
from tests.conftest import make_user, user_token

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
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new(mode, size, "red" if mode != "1" else 0).save(out, fmt, **save_options)
    return out.getvalue()


def _count_queries(app, tenant, call):
    with app.app_context():
        engine = engine_for(tenant)
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    sa.event.listen(engine, "before_cursor_execute", listener)
    try:
        call()
    finally:
        sa.event.remove(engine, "before_cursor_execute", listener)
    return len(statements)
