"""Review of issue 14 (a course's analytics): a branch manager following an organization-wide course sees the
classes of their branches there, as in `performance`, not the classes of other branches their people sit in."""

import pytest

from tests.conftest import make_user, run_jobs
from tests.support.reports import report_world


@pytest.fixture
def world(app, tenant, district):
    return report_world(app, tenant, district, make_user)


def test_a_branch_manager_sees_no_class_of_another_branch_on_a_course_page(app, world):
    south_class = world.classes["south"]
    added = world.admin.post(
        f"/api/v1/classes/{south_class}/members", json={"user_ids": [world.people["north"]], "role": "student"}
    )
    assert added.status_code in (200, 201), added.get_json()
    run_jobs(app)

    performance = world.manager.get("/api/v1/analytics/performance").get_json()["data"]
    assert south_class not in {row["class_id"] for row in performance["classes"]}  # South is not the manager's

    course = world.manager.get(f"/api/v1/courses/{world.courses['everyone']}/analytics")
    assert course.status_code == 200, course.get_json()
    assert south_class not in {row["class_id"] for row in course.get_json()["data"]["classes"]}
