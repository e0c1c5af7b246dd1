"""Review of issue 14 (scheduled reports): one person cannot add schedules without end (each run is a job and a
file kept for days)."""

from blueprints.reports.schedules import MAX_SCHEDULES
from tests.conftest import make_user, user_token


def test_an_owner_has_at_most_max_schedules(app, api, tenant):
    manager_id = make_user(app, tenant, "branch_manager", email="boss@example.org")
    with app.app_context():
        manager = api(tenant, user_token(app, tenant, manager_id, "branch_manager"))
    body = {"name": "Daily", "kind": "overdue_learners", "format": "csv", "cadence": "daily", "hour": 6}
    made = [manager.post("/api/v1/reports/schedules", json=body) for _ in range(MAX_SCHEDULES)]
    assert {response.status_code for response in made} == {201}
    refused = manager.post("/api/v1/reports/schedules", json=body)
    assert refused.status_code == 429, refused.get_json()
    assert "name" in refused.get_json()["error"]["details"]

    first = made[0].get_json()["data"]["id"]
    assert manager.delete(f"/api/v1/reports/schedules/{first}").status_code in (200, 204)
    assert manager.post("/api/v1/reports/schedules", json=body).status_code == 201
