"""Never a 500 on bad input: each class of it is a 4xx that names the field (issue 9)."""

import json

import pytest
from werkzeug.datastructures import MultiDict

from app.api.listing import parse_list_query
from app.errors import BadRequest
from blueprints.users.listing import USER_LIST
from tests.conftest import make_user
from tests.support.browser import Browser

PAST_INTEGER = 2**31  # one past what an INTEGER column holds on PostgreSQL (every id)
HUGE = 2**63  # one past what SQLite's driver takes
HUGER = 10**30


@pytest.fixture
def admin(api, tenant, login_as):
    return api(tenant, login_as(tenant, "org_admin"))


def _branch(admin, tenant, code="main"):
    response = admin.post(f"/api/v1/organizations/{tenant.id}/branches", json={"code": code, "name": code.title()})
    assert response.status_code == 201, response.get_json()
    return response.get_json()["data"]["id"]


def _course(admin, **fields):
    response = admin.post("/api/v1/courses", json={"title": "Algebra", **fields})
    assert response.status_code == 201, response.get_json()
    return response.get_json()["data"]


def _error(response, status):
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.get_json()
    assert body["success"] is False and body["data"] is None
    return body["error"]


@pytest.mark.parametrize(
    "path",
    [
        f"/api/v1/users/{PAST_INTEGER}",
        f"/api/v1/users/{HUGE}",
        f"/api/v1/users/{HUGER}",
        f"/api/v1/api-keys/{PAST_INTEGER}",
        "/api/v1/users/0",
        f"/api/v1/classes/{HUGE}",
        f"/api/v1/classes/{HUGE}/members",
        f"/api/v1/courses/{HUGE}/content",
        f"/api/v1/content/{HUGE}",
        f"/api/v1/media/{HUGE}",
        f"/api/v1/imports/{HUGE}/errors",
        f"/api/v1/organizations/{HUGE}/branches",
    ],
)
def test_ids_out_of_range_in_api_paths_are_404(admin, path):
    for method in (admin.get, admin.delete):
        assert method(path).status_code in (404, 405), path
    if not path.startswith("/api/v1/api-keys"):
        assert _error(admin.get(path), 404)["code"] == "NOT_FOUND"


def test_ids_out_of_range_in_page_paths_are_404_pages(app, tenant):
    browser = Browser(app, tenant)
    browser.sign_in("admin@example.org")
    for path in (f"/classes/{PAST_INTEGER}", f"/classes/{HUGE}", f"/people/{HUGE}", f"/people/{HUGER}", "/classes/0"):
        response = browser.get(path)
        assert response.status_code == 404, path
        assert "text/html" in response.content_type


def test_a_huge_page_number_on_a_page_is_not_a_500(app, tenant):
    browser = Browser(app, tenant)
    browser.sign_in("admin@example.org")
    response = browser.get(f"/people?page={HUGE}")
    assert response.status_code in (200, 302, 400), response.status_code


@pytest.mark.parametrize(
    "args, field",
    [
        ({"page": str(HUGE)}, "page"),
        ({"page": "1000001"}, "page"),
        ({"page": ""}, "page"),
        ({"per_page": ""}, "per_page"),
        ({"per_page": str(HUGE)}, "per_page"),
        ({"filter[id]": str(PAST_INTEGER)}, "filter[id]"),
        ({"filter[id]": str(HUGE)}, "filter[id]"),
        ({"filter[id][in]": f"1,{HUGE}"}, "filter[id][in]"),
        ({"filter[id][gt]": str(-HUGE - 1)}, "filter[id][gt]"),
        ({"filter[is_active][gt]": "true"}, "filter[is_active][gt]"),
        ({"filter[is_active][lte]": "false"}, "filter[is_active][lte]"),
        ({"filter[created_at][like]": "2026%"}, "filter[created_at][like]"),
    ],
)
def test_list_parameters_out_of_range_or_meaningless_are_400_with_the_parameter_named(args, field):
    with pytest.raises(BadRequest) as raised:
        parse_list_query(MultiDict(args), USER_LIST)
    assert field in raised.value.details


@pytest.mark.parametrize(
    "query, field",
    [
        (f"page={HUGE}", "page"),
        (f"filter[id]={PAST_INTEGER}", "filter[id]"),
        ("filter[is_active][gt]=true", "filter[is_active][gt]"),
        ("filter[email]=a%00b", "filter[email]"),
    ],
)
def test_list_parameters_through_the_api_are_400_envelopes(admin, query, field):
    error = _error(admin.get(f"/api/v1/users?{query}"), 400)
    assert error["code"] == "BAD_REQUEST" and field in error["details"]


def test_a_filter_with_an_offset_compares_in_utc(admin):
    created = admin.get("/api/v1/users").get_json()["data"][0]["created_at"]
    assert created.endswith("Z")
    # The same instant, written in another time zone, still finds the admin.
    assert admin.get(f"/api/v1/users?filter[created_at][lte]={created}").get_json()["meta"]["total"] >= 1
    assert (
        admin.get("/api/v1/users?filter[created_at][lt]=2000-01-01T05:00:00%2B05:00").get_json()["meta"]["total"] == 0
    )


def test_ids_out_of_range_in_json_bodies_are_422_with_the_field_named(admin, tenant, app):
    branch_id = _branch(admin, tenant)
    school_class = admin.post("/api/v1/classes", json={"branch_id": branch_id, "name": "A"}).get_json()["data"]
    course = _course(admin)
    cases = [
        ("post", "/api/v1/classes", {"branch_id": PAST_INTEGER, "name": "B"}, "branch_id"),
        ("post", "/api/v1/classes", {"branch_id": HUGE, "name": "B"}, "branch_id"),
        ("put", f"/api/v1/classes/{school_class['id']}", {"branch_id": HUGER}, "branch_id"),
        (
            "post",
            f"/api/v1/classes/{school_class['id']}/members",
            {"user_ids": [1, HUGE], "role": "student"},
            "user_ids",
        ),
        ("post", "/api/v1/courses", {"title": "X", "branch_ids": [HUGE]}, "branch_ids"),
        ("put", f"/api/v1/courses/{course['id']}", {"teacher_ids": [HUGE]}, "teacher_ids"),
        ("put", f"/api/v1/courses/{course['id']}", {"prerequisite_ids": [0]}, "prerequisite_ids"),
        ("put", f"/api/v1/courses/{course['id']}", {"due_days": HUGE}, "due_days"),
        ("post", f"/api/v1/courses/{course['id']}/enrollments", {"class_id": PAST_INTEGER}, "class_id"),
        ("post", f"/api/v1/courses/{course['id']}/enrollments", {"user_ids": [-1]}, "user_ids"),
        (
            "post",
            f"/api/v1/courses/{course['id']}/content",
            {"kind": "text", "title": "T", "module_id": HUGE},
            "module_id",
        ),
        (
            "post",
            "/api/v1/users",
            {"email": "x@example.org", "first_name": "X", "last_name": "Y", "role": "student", "branch_ids": [HUGE]},
            "branch_ids",
        ),
        (
            "post",
            f"/api/v1/organizations/{tenant.id}/branches/{branch_id}/users",
            {"user_id": HUGE, "role": "student"},
            "user_id",
        ),
        (
            "post",
            "/api/v1/content",
            {"course_id": HUGE, "kind": "text", "title": "T", "module_title": "M"},
            "course_id",
        ),
    ]
    for method, path, body, field in cases:
        error = _error(getattr(admin, method)(path, json=body), 422)
        assert field in error["details"], (path, error)


def test_json_types_are_strict(admin):
    course = _course(admin)
    for body, field in [
        ({"self_enrollment": 1}, "self_enrollment"),
        ({"self_enrollment": "true"}, "self_enrollment"),
        ({"due_days": "5"}, "due_days"),
        ({"due_days": 5.0}, "due_days"),
        ({"teacher_ids": [True]}, "teacher_ids"),
    ]:
        error = _error(admin.put(f"/api/v1/courses/{course['id']}", json=body), 422)
        assert field in error["details"], body


def test_an_empty_put_is_a_422_nothing_to_change(admin, tenant):
    course = _course(admin)
    for path in (f"/api/v1/courses/{course['id']}", f"/api/v1/organizations/{tenant.id}/settings"):
        for kwargs in ({"json": {}}, {}):
            error = _error(admin.put(path, **kwargs), 422)
            assert "Nothing to change" in json.dumps(error["details"])
    error = _error(admin.post(f"/api/v1/courses/{course['id']}/enrollments", json={}), 422)
    assert "_schema" in error["details"]


def test_an_existing_external_id_is_a_409_on_create_as_on_update(admin, app, tenant):
    body = {"first_name": "A", "last_name": "B", "role": "student", "external_id": "HR-1", "send_invitation": False}
    assert admin.post("/api/v1/users", json={**body, "email": "a@example.org"}).status_code == 201
    error = _error(admin.post("/api/v1/users", json={**body, "email": "b@example.org"}), 409)
    assert "external_id" in error["details"]
    assert (
        admin.get("/api/v1/users?filter[email]=b@example.org").get_json()["meta"]["total"] == 0
    )  # nothing half-written
    other = make_user(app, tenant, "student")
    error = _error(admin.put(f"/api/v1/users/{other}", json={"external_id": "HR-1"}), 409)
    assert "external_id" in error["details"]
    # Also when the same request deactivates them (found by the long fuzz run: a 500 before).
    error = _error(admin.put(f"/api/v1/users/{other}", json={"external_id": "HR-1", "is_active": False}), 409)
    assert "external_id" in error["details"]
    assert admin.get(f"/api/v1/users/{other}").get_json()["data"]["is_active"] is True


def test_a_bad_notification_address_is_named_as_such(admin, app, tenant):
    user_id = make_user(app, tenant, "student")
    error = _error(admin.put(f"/api/v1/users/{user_id}/profile", json={"notification_email": "not-an-address"}), 422)
    assert list(error["details"]) == ["notification_email"]


@pytest.mark.parametrize("text", ["\ud800", "a\udfffb", "nul\x00"])
def test_unstorable_characters_in_json_are_422_with_the_field_named(admin, text):
    raw = json.dumps({"title": "Algebra", "summary": text})  # ensure_ascii: the surrogate is sent as \ud800
    error = _error(admin.post("/api/v1/courses", data=raw, content_type="application/json"), 422)
    assert list(error["details"]) == ["summary"]
    nested = json.dumps({"title": "Algebra", "branch_ids": [], "x": {"deep": [text]}})
    assert _error(admin.post("/api/v1/courses", data=nested, content_type="application/json"), 422)["details"]


def test_json_nested_5000_deep_is_a_400(admin):
    deep = "[" * 5000 + "]" * 5000
    for path in ("/api/v1/courses", "/api/v1/auth/login"):
        error = _error(admin.post(path, data=deep, content_type="application/json"), 400)
        assert "_body" in error["details"]


def test_nul_in_a_page_form_is_refused_not_stored(app, tenant):
    browser = Browser(app, tenant)
    browser.sign_in("admin@example.org")
    response = browser.post("/classes", {"branch_id": "1", "name": "A\x00B"}, csrf_from="/classes")
    assert response.status_code == 422
