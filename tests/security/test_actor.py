"""One actor per request: the principal's scope is worked out once per request, never carried to the next."""

import re

from tests.conftest import make_user, user_token
from tests.support.browser import Browser
from tests.support.statements import recorded_statements


def _statements_during(app, tenant, call):
    with recorded_statements(app, tenant) as recorded:
        result = call()
    return result, [sql for sql, _parameters in recorded.statements]


def _scope_resolutions(statements):
    """The scope's second query (the classes a person teaches) is the only read of class memberships here."""
    return sum(1 for sql in statements if re.search(r"FROM class_memberships\s+WHERE", sql))


def test_saving_a_course_in_the_editor_works_out_the_teachers_scope_once(app, tenant):
    make_user(app, tenant, "teacher", email="scope-teacher@example.org")
    teacher = Browser(app, tenant)
    teacher.sign_in("scope-teacher@example.org")
    editor_url = teacher.post("/teach", {"title": "Optics"}, csrf_from="/teach").headers["Location"]
    page = teacher.get(editor_url).get_data(as_text=True)
    token = re.search(r'<input[^>]*name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    form = {"form": "course", "title": "Optics and light", "summary": "", "status": "draft", "csrf_token": token}

    saved, statements = _statements_during(app, tenant, lambda: teacher.post(editor_url, form))

    assert saved.status_code == 302
    assert _scope_resolutions(statements) == 1  # the editor checks it manages the course, then saves with it
    assert "Optics and light" in teacher.get(editor_url).get_data(as_text=True)


def test_a_scope_changed_between_two_requests_is_seen_by_the_second(app, api, tenant, login_as):
    admin = api(tenant, login_as(tenant, "org_admin"))
    base = f"/api/v1/organizations/{tenant.id}/branches"
    north = admin.post(base, json={"code": "north", "name": "North"}).get_json()["data"]["id"]
    south = admin.post(base, json={"code": "south", "name": "South"}).get_json()["data"]["id"]
    manager_id = make_user(app, tenant, "branch_manager", email="two-branches@example.org")
    admin.post(f"{base}/{north}/users", json={"user_id": manager_id, "role": "branch_manager"})
    with app.app_context():
        manager = api(tenant, user_token(app, tenant, manager_id, "branch_manager"))

    def branch_ids():
        return sorted(branch["id"] for branch in manager.get(base).get_json()["data"])

    assert branch_ids() == [north]
    assert manager.get(f"{base}/{south}").status_code == 404
    admin.post(f"{base}/{south}/users", json={"user_id": manager_id, "role": "branch_manager"})
    assert branch_ids() == [north, south]
    assert manager.get(f"{base}/{south}").status_code == 200
