"""Whose figures the analytics API shows: a branch manager's numbers leave the other branch's learners out; a
branch, class or course out of the caller's reach is a 404 (as if it did not exist); a student is refused; an
API key with a branch role sees nobody; bad filters are a 400 naming the field."""

from datetime import timedelta
from types import SimpleNamespace

import pytest

from app.errors import BadRequest
from app.tenancy.context import tenant_context
from app.tenancy.provisioning import provision_tenant
from blueprints.analytics.filters import filters_from
from blueprints.branches.scope import BranchScope
from tests.conftest import PASSWORD, destroy_tenant, unique_slug
from tests.support.analytics_figures import build_district

ENDPOINTS = ("overview", "engagement", "users", "courses", "assessments", "performance")


@pytest.fixture(scope="module")
def district(app):
    with app.app_context():
        tenant = provision_tenant(unique_slug("scope"), "Scope", "owner@example.org", PASSWORD).tenant.ref()
    try:
        yield build_district(app, app.test_client(), tenant)
    finally:
        destroy_tenant(app, tenant.id)


def _data(response):
    assert response.status_code == 200, response.get_json()
    return response.get_json()["data"]


def test_a_branch_manager_sees_only_their_branches_people(district):
    d = district
    manager = d.clients["manager"]
    learners = {row["user_id"] for row in _data(manager.get("/api/v1/analytics/users", query_string={"per_page": 100}))}
    assert learners == {d.n1, d.n2}
    overview = _data(manager.get("/api/v1/analytics/overview"))
    assert overview["learners"] == 2 and overview["active_enrollments"] == 4  # n1: Statistics, Geometry; n2: 2
    geometry = {row["course_id"]: row for row in _data(manager.get("/api/v1/analytics/courses"))["courses"]}[d.geo]
    assert geometry["learners"] == 1 and geometry["completed"] == 0  # s1 (South) completed it: not counted here
    performance = _data(manager.get("/api/v1/analytics/performance"))
    assert [row["branch_id"] for row in performance["branches"]] == [d.north]
    assert [row["class_id"] for row in performance["classes"]] == [d.n7]
    quizzes = _data(manager.get("/api/v1/analytics/assessments"))["assessments"]
    assert {row["quiz_id"]: row["learners"] for row in quizzes} == {d.stats_quiz: 1}  # n1's; not s1's, not s2's


def test_a_teacher_sees_their_courses_and_their_classes_students(district):
    d = district
    learners = _data(d.clients["t"].get("/api/v1/analytics/users", query_string={"per_page": 100}))
    assert {row["user_id"] for row in learners} == {d.n1, d.n2, d.s1, d.s2, d.x}  # Statistics' and S7's
    courses = {
        row["course_id"]: row["learners"] for row in _data(d.clients["t"].get("/api/v1/analytics/courses"))["courses"]
    }
    assert courses == {d.stats: 4, d.geo: 2}  # Geometry: only S7's students (n1 takes it too)
    other = {row["course_id"] for row in _data(d.clients["t2"].get("/api/v1/analytics/courses"))["courses"]}
    assert other == {d.geo, d.empty}


@pytest.mark.parametrize(
    ("role", "name", "target"),
    [
        ("manager", "branch_id", "south"),
        ("manager", "class_id", "s7"),
        ("manager", "course_id", "draft"),
        ("t", "branch_id", "north"),
        ("t", "class_id", "n7"),
        ("t", "course_id", "draft"),
        ("admin", "branch_id", None),
        ("admin", "class_id", None),
        ("admin", "course_id", None),
    ],
)
def test_a_filter_out_of_reach_is_not_found(district, role, name, target):
    value = getattr(district, target) if target else 2_000_000  # None: no such row at all
    for endpoint in ENDPOINTS:
        response = district.clients[role].get(f"/api/v1/analytics/{endpoint}", query_string={name: value})
        assert response.status_code == 404, (endpoint, response.get_json())
        assert response.get_json()["error"]["code"] == "NOT_FOUND"


def test_a_student_is_refused_and_a_branch_key_sees_nobody(district):
    d = district
    for endpoint in ENDPOINTS:
        assert d.clients["n1"].get(f"/api/v1/analytics/{endpoint}").status_code == 403
    assert d.clients["n1"].get(f"/api/v1/courses/{d.stats}/analytics").status_code == 403
    overview = _data(d.api_key("GET", "/api/v1/analytics/overview"))
    assert overview["learners"] == 0 and overview["sign_ins"] == 0 and overview["attempts"] == 0
    assert overview["active_learners"] == {"day": 0, "week": 0, "month": 0, "period": 0}
    assert _data(d.api_key("GET", "/api/v1/analytics/users")) == []
    assert _data(d.api_key("GET", "/api/v1/analytics/courses"))["courses"] == []
    assert _data(d.api_key("GET", "/api/v1/analytics/assessments"))["assessments"] == []
    assert _data(d.api_key("GET", "/api/v1/analytics/performance")) | {"period": None, "filters": None} == {
        "period": None,
        "filters": None,
        "branches": [],
        "classes": [],
    }
    assert d.api_key("GET", f"/api/v1/analytics/overview?branch_id={d.north}").status_code == 404
    assert d.api_key("GET", f"/api/v1/courses/{d.stats}/analytics").status_code in (403, 404)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("date_from=2026-03-10&date_to=2026-03-01", "date_to"),
        ("date_from=2025-01-01&date_to=2026-02-04", "date_from"),  # 400 days
        ("date_from=2026-02-30", "date_from"),
        ("date_to=yesterday", "date_to"),
        ("date_from=20260101", "date_from"),
        ("date_from=", "date_from"),  # empty is not a date for the API (a page's form: absent)
        ("date_to=0001-01-01", "date_to"),
        ("at_risk_days=0", "at_risk_days"),
        ("at_risk_days=366", "at_risk_days"),
        ("at_risk_days=1.5", "at_risk_days"),
        ("branch_id=0", "branch_id"),
        ("class_id=abc", "class_id"),
        ("course_id=99999999999999999999", "course_id"),
    ],
)
def test_bad_filters_are_a_400_naming_the_field(district, query, field):
    for path in [f"/api/v1/analytics/{endpoint}" for endpoint in ENDPOINTS] + [
        f"/api/v1/courses/{district.stats}/analytics"
    ]:
        response = district.clients["admin"].get(f"{path}?{query}")
        assert response.status_code == 400, (path, query, response.get_json())
        assert field in response.get_json()["error"]["details"], (path, response.get_json())


def test_a_page_s_blank_fields_are_absent(app, district):
    """A form's "All branches" and empty dates (the pages call `filters_from` with the request's args)."""
    everywhere = SimpleNamespace(scope=BranchScope(None))
    blank = {"date_from": "", "date_to": "", "branch_id": "", "class_id": "", "course_id": "", "at_risk_days": ""}
    with tenant_context(district.tenant, app):
        filters = filters_from(blank, everywhere, today=district.today)
        with pytest.raises(BadRequest) as refused:
            filters_from(blank, everywhere, blank_is_absent=False)
    assert (filters.date_from, filters.date_to) == (district.today - timedelta(days=29), district.today)
    assert filters.echo() == {"branch_id": None, "class_id": None, "course_id": None, "at_risk_days": 14}
    assert set(refused.value.details) == set(blank)


def test_a_year_is_the_longest_period(district):
    d = district
    date_from = d.today - timedelta(days=365)
    overview = _data(d.clients["admin"].get("/api/v1/analytics/overview", query_string={"date_from": date_from}))
    assert overview["period"]["days"] == 366
    days = _data(d.clients["admin"].get("/api/v1/analytics/engagement", query_string={"date_from": date_from}))
    assert len(days["days"]) == 366 and days["days"][-1]["day"] == d.today.isoformat()
