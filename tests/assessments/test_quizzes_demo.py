"""The demo's quiz is a real one: `make run`'s student takes it through the API, passes, and its item is completed."""

import sqlalchemy as sa

from app.demo import seed_demo
from app.extensions import db
from app.tenancy.context import tenant_context
from app.tenancy.provisioning import get_tenant_by_slug
from blueprints.assessments.grading import correct_response
from blueprints.assessments.models import AttemptQuestion, QuestionVersion
from blueprints.learning.models import Enrollment, ItemProgress
from tests.conftest import build_app, run_jobs


def test_the_demo_student_passes_the_demo_quiz_and_completes_its_item(app_config, tmp_path):
    demo_app = build_app(
        app_config,
        INSTANCE_DIR=str(tmp_path),
        CONTROL_DATABASE_URL=f"sqlite:///{tmp_path}/control.db",
        TENANT_DATABASE_URL_TEMPLATE=f"sqlite:///{tmp_path}/tenants/{{slug}}.db",
    )
    password = "demo-password-123"
    with demo_app.app_context():
        seeded = list(seed_demo(password))
        assert "created quiz Check what you learned in Getting started (6 questions)" in seeded
        assert "created quiz Check what you learned" not in " ".join(seed_demo(password))  # idempotent
        tenant = get_tenant_by_slug("demo").ref()
    client = demo_app.test_client()
    headers = {"Host": "demo.localhost:5000"}
    token = client.post(
        "/api/v1/auth/login", json={"email": "student@demo.example", "password": password}, headers=headers
    ).get_json()["data"]["access_token"]
    headers["Authorization"] = f"Bearer {token}"

    (quiz,) = client.get("/api/v1/assessments", headers=headers).get_json()["data"]
    assert (quiz["title"], quiz["published"], quiz["time_limit_minutes"]) == ("Check what you learned", True, 10)
    attempt = client.post(f"/api/v1/assessments/{quiz['id']}/attempts", headers=headers).get_json()["data"]
    assert len(attempt["questions"]) == 6  # four fixed, two drawn by tag
    with tenant_context(tenant, demo_app):
        given = db.session.execute(
            sa.select(AttemptQuestion.position, QuestionVersion.spec, AttemptQuestion.question_id)
            .join(QuestionVersion, QuestionVersion.id == AttemptQuestion.version_id)
            .where(AttemptQuestion.attempt_id == attempt["id"])
        ).all()
        kinds = {q["position"]: q["kind"] for q in attempt["questions"]}
        assert len({question_id for _p, _s, question_id in given}) == 6  # never one question twice
    answers = [{"position": p, "response": correct_response(kinds[p], spec)} for p, spec, _q in given]
    submitted = client.post(f"/api/v1/attempts/{attempt['id']}/submit", json={"answers": answers}, headers=headers)
    assert submitted.status_code == 200, submitted.get_json()
    assert submitted.get_json()["data"]["passed"] is True
    run_jobs(demo_app)  # assessment.passed reaches learning's subscriber
    with tenant_context(tenant, demo_app):
        completed = db.session.scalar(
            sa.select(sa.func.count(ItemProgress.id))
            .join(Enrollment, Enrollment.id == ItemProgress.enrollment_id)
            .where(ItemProgress.item_id == quiz["item_id"], Enrollment.user_id == attempt["user_id"])
        )
        assert completed == 1
