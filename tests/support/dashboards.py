"""A district's learning for the analytics pages' tests: on top of the `district` fixture (branches North and
South, a manager of North, a student and a class in each, four courses), learners who enroll, complete items
and spend time through the API, delivered to the read model by the relay."""

from types import SimpleNamespace

from app.tenancy.context import tenant_context
from app.tenancy.models import utcnow
from blueprints.analytics import readmodel
from scripts.analytics_data import generate
from tests.conftest import make_user, run_jobs, user_token


def _first_item(client, course_id):
    outline = client.get(f"/api/v1/courses/{course_id}/content").get_json()["data"]
    return [item["id"] for module in outline for item in module["items"]]


def district_learning(app, api, tenant, district):
    """North's student (and a second one, Nia) and South's student in "Safety for everyone" and their own
    branch's course; North's student completes one of the two items of Safety with 2 minutes spent, South's
    spends 1 minute in it. Returns the clients and ids."""
    teacher, admin = district["teacher"], district["admin"]
    people, courses = district["people"], district["courses"]
    branches = {b["code"]: b["id"] for b in admin.get(f"/api/v1/organizations/{tenant.id}/branches").get_json()["data"]}
    nia = make_user(app, tenant, "student", email="nia@example.org", first_name="Nia", last_name="North")
    admin.post(
        f"/api/v1/organizations/{tenant.id}/branches/{branches['north']}/users",
        json={"user_id": nia, "role": "student"},
    )
    north = [people["north"], nia]
    assert (
        teacher.post(f"/api/v1/courses/{courses['everyone']}/enrollments", json={"user_ids": north}).status_code < 300
    )
    assert teacher.post(f"/api/v1/courses/{courses['north']}/enrollments", json={"user_ids": north}).status_code < 300
    assert (
        teacher.post(
            f"/api/v1/courses/{courses['south']}/enrollments", json={"user_ids": [people["south"]]}
        ).status_code
        < 300
    )
    with app.app_context():
        learners = {
            name: api(tenant, user_token(app, tenant, user_id, "student"))
            for name, user_id in (("north", people["north"]), ("south", people["south"]), ("nia", nia))
        }
    safety = _first_item(teacher, courses["everyone"])
    assert learners["north"].post(f"/api/v1/content/{safety[0]}/complete").status_code < 300
    assert learners["north"].post(f"/api/v1/content/{safety[0]}/time", json={"seconds": 120}).status_code < 300
    assert learners["south"].post(f"/api/v1/content/{safety[0]}/time", json={"seconds": 60}).status_code < 300
    run_jobs(app)
    return SimpleNamespace(learners=learners, nia=nia, branches=branches, safety_items=safety, **district)


def crowded_organization(app, tenant):
    """More courses and classes than a bar chart draws (charts.BARS_SHOWN): 16 of each, 2 branches, 160 learners
    (the benchmark's generator, then the read model rebuilt); the org admin is admin@example.org."""
    with tenant_context(tenant, app):
        data = generate(learners=160, progress=2000, courses=16, branches=2, classes=16, now=utcnow())
        readmodel.rebuild()
    return data
