"""Each person's completed enrollments and progress (`analytics_people`: completed, progress_sum, progress_count),
from which the per-branch and per-class figures are summed, follow their enrollments and their courses' items
through the subscribers: a course that gains items lowers its learners' progress, one that loses them raises it
(or, losing them all, stops counting), as direct SQL over the sources says, and a rebuild gives the same rows."""

from datetime import timedelta

from app.tenancy.context import tenant_context
from app.tenancy.models import utcnow
from blueprints.analytics import group_figures, readmodel
from blueprints.analytics.audience import Audience
from blueprints.analytics.filters import Filters
from tests.conftest import run_jobs
from tests.support.analytics import expected_person_progress, person_progress, roll_ups
from tests.support.courses import make_course, school  # noqa: F401 (fixture)


def _people_as_the_sources_say(app, tenant):
    """The people's progress rows, checked against direct SQL, then against a rebuild (which must not change
    them); answers them."""
    kept = person_progress(roll_ups(app, tenant)["analytics_people"])
    assert kept == expected_person_progress(app, tenant)
    with tenant_context(tenant, app):
        readmodel.rebuild()
    assert person_progress(roll_ups(app, tenant)["analytics_people"]) == kept
    return kept


def _class_progress(app, tenant, class_id):
    """The class's average progress in `performance` for an org admin."""
    today = utcnow().date()
    filters = Filters(date_from=today - timedelta(days=29), date_to=today, now=utcnow())
    with tenant_context(tenant, app):
        found = group_figures.performance(filters, Audience(everyone=True))
    (row,) = [row for row in found["classes"] if row["class_id"] == class_id]
    return row["average_progress"]


def test_a_course_gaining_and_losing_items_changes_its_learners_progress_rows(app, tenant, school):  # noqa: F811
    teacher = school["teacher"]
    first, second, _third = school["students"]  # the first two are in the school's class
    learner = school["learners"][0]  # signed in as `first`
    course_id, items = make_course(teacher, title="Growing", items=4)
    small_course, _small_items = make_course(teacher, title="Small", items=1)
    teacher.post(f"/api/v1/courses/{course_id}/enrollments", json={"user_ids": [first, second]})
    teacher.post(f"/api/v1/courses/{small_course}/enrollments", json={"user_ids": [second]})
    for item in items[:2]:
        assert learner.post(f"/api/v1/content/{item}/complete").status_code in (200, 201)
    run_jobs(app)

    kept = _people_as_the_sources_say(app, tenant)
    assert kept[first] == {"completed": 0, "progress_sum": 50.0, "progress_count": 1}
    assert kept[second] == {"completed": 0, "progress_sum": 0.0, "progress_count": 2}
    class_id = school["class_id"]
    assert _class_progress(app, tenant, class_id) == 16.7  # 50, 0 and 0 over three enrollments

    module_id = teacher.get(f"/api/v1/courses/{course_id}/content").get_json()["data"][0]["id"]
    for n in range(4):  # the course doubles: two of eight items done
        added = teacher.post(
            f"/api/v1/courses/{course_id}/content",
            json={"kind": "text", "title": f"Extra {n}", "body": "<p>More</p>", "module_id": module_id},
        )
        assert added.status_code == 201, added.get_json()
    run_jobs(app)
    kept = _people_as_the_sources_say(app, tenant)
    assert kept[first]["progress_sum"] == 25.0
    assert _class_progress(app, tenant, class_id) == 8.3

    extra = [item["id"] for item in teacher.get(f"/api/v1/courses/{course_id}/content").get_json()["data"][0]["items"]]
    for item in extra[-3:]:  # three of the new items go again: two of five
        assert teacher.delete(f"/api/v1/content/{item}").status_code == 200
    small_module = teacher.get(f"/api/v1/courses/{small_course}/content").get_json()["data"][0]["id"]
    assert teacher.delete(f"/api/v1/courses/{small_course}/modules/{small_module}").status_code == 200
    run_jobs(app)  # the small course has no items left: its enrollment has no progress to count
    kept = _people_as_the_sources_say(app, tenant)
    assert kept[first] == {"completed": 0, "progress_sum": 40.0, "progress_count": 1}
    assert kept[second] == {"completed": 0, "progress_sum": 0.0, "progress_count": 1}
    assert _class_progress(app, tenant, class_id) == 20.0
