"""The people's roll-up rows (`analytics_people`: latest activity, earliest open due date and activity) that choose
the drill-down's page follow each person's enrollments through the subscribers, as the sources say: a learner who
completes their course leaves "overdue" at once, one who is unenrolled leaves every list, and a rebuild gives the
same rows."""

from datetime import timedelta

from app.tenancy.context import tenant_context
from app.tenancy.models import utcnow
from blueprints.analytics import learner_figures, readmodel
from blueprints.analytics.audience import Audience
from blueprints.analytics.filters import Filters
from tests.conftest import run_jobs
from tests.support.analytics import expected_person_figures, expected_read_model, person_figures, roll_ups
from tests.support.courses import make_course, school  # noqa: F401 (fixture)


def _listed(app, tenant, figure, now):
    """The user ids of the drill-down of `figure` for an org admin, seen at `now`."""
    today = now.date()
    filters = Filters(date_from=today - timedelta(days=29), date_to=today, now=now)
    with tenant_context(tenant, app):
        page = learner_figures.learners(filters, Audience(everyone=True), {"figure": figure, "sort": "user_id"})
    assert page["meta"]["total"] == len(page["items"])
    return [row["user_id"] for row in page["items"]]


def _people_as_the_sources_say(app, tenant):
    kept = roll_ups(app, tenant)["analytics_people"]
    expected_enrollments, _days = expected_read_model(app, tenant)
    assert person_figures(kept) == expected_person_figures(expected_enrollments)
    return kept


def test_a_person_s_row_follows_their_enrollments_and_chooses_the_drill_down(app, tenant, school):  # noqa: F811
    teacher, admin = school["teacher"], school["admin"]
    first, second, third = school["students"]
    course_id, items = make_course(teacher, title="Due soon", items=2)
    assert teacher.put(f"/api/v1/courses/{course_id}", json={"due_days": 2}).status_code == 200
    enrolled = teacher.post(f"/api/v1/courses/{course_id}/enrollments", json={"user_ids": [first, second]})
    assert enrolled.status_code in (200, 201), enrolled.get_json()
    other_course, _other_items = make_course(teacher, title="No due date", items=1)
    teacher.post(f"/api/v1/courses/{other_course}/enrollments", json={"user_ids": [third]})
    run_jobs(app)

    kept = _people_as_the_sources_say(app, tenant)
    assert kept[(first,)]["open_due_at"] is not None and kept[(third,)]["open_due_at"] is None
    in_three_days = utcnow() + timedelta(days=3)  # past the two-day due dates
    assert _listed(app, tenant, "overdue", utcnow()) == []
    assert _listed(app, tenant, "overdue", in_three_days) == [first, second]
    assert _listed(app, tenant, "at_risk", in_three_days) == [first, second]
    assert _listed(app, tenant, "at_risk", utcnow() + timedelta(days=15)) == [first, second, third]  # inactive

    learner = school["learners"][0]
    for item in items:  # the first learner completes the course: nothing of theirs is open any more
        assert learner.post(f"/api/v1/content/{item}/complete").status_code in (200, 201)
    assert admin.delete(f"/api/v1/courses/{course_id}/enrollments/{second}").status_code in (200, 204)
    run_jobs(app)

    kept = _people_as_the_sources_say(app, tenant)
    assert kept[(first,)]["open_due_at"] is None and kept[(first,)]["last_activity_at"] is not None
    assert _listed(app, tenant, "overdue", in_three_days) == []
    assert _listed(app, tenant, "at_risk", utcnow() + timedelta(days=15)) == [third]
    assert _listed(app, tenant, "all", utcnow()) == [first, third]

    with tenant_context(tenant, app):
        readmodel.rebuild()
    assert roll_ups(app, tenant)["analytics_people"] == kept
