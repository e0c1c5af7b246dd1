"""The demo shows part privacy: `make run`'s org admin finds a finished data export of a student on that
student's page and an archiving policy (courses, 24 months) under Settings."""

import json

from app.demo import seed_demo
from tests.conftest import build_app, run_jobs
from tests.support.privacy import unzip


def test_the_demo_has_an_export_and_a_policy(app_config, tmp_path):
    demo_app = build_app(
        app_config,
        INSTANCE_DIR=str(tmp_path),
        CONTROL_DATABASE_URL=f"sqlite:///{tmp_path}/control.db",
        TENANT_DATABASE_URL_TEMPLATE=f"sqlite:///{tmp_path}/tenants/{{slug}}.db",
    )
    password = "demo-password-123"
    with demo_app.app_context():
        seeded = [line for line in seed_demo(password) if "export" in line or "archiving" in line]
        assert len(seeded) == 2, seeded
        assert not [line for line in seed_demo(password) if "export" in line or "archiving" in line]  # idempotent
    run_jobs(demo_app)
    client = demo_app.test_client()
    headers = {"Host": "demo.localhost:5000"}
    login = client.post(
        "/api/v1/auth/login", json={"email": "admin@demo.example", "password": password}, headers=headers
    )
    headers["Authorization"] = f"Bearer {login.get_json()['data']['access_token']}"
    policy = client.get("/api/v1/privacy/archiving-policy", headers=headers).get_json()["data"]
    assert (policy["course_months"], policy["people_months"]) == (24, None)
    student = next(
        person
        for person in client.get("/api/v1/users?filter[role]=student&sort=id", headers=headers).get_json()["data"]
    )
    (export,) = client.get(f"/api/v1/users/{student['id']}/data-exports", headers=headers).get_json()["data"]
    assert export["status"] == "done", export
    files = unzip(client.get(export["download_url"], headers=headers).get_data())
    assert json.loads(files["profile.json"])["email"] == student["email"]
    assert json.loads(files["enrollments.json"])  # the demo student learns
