"""The demo's certificate is real: `make run`'s student completes "Getting started" (its lessons, then its quiz)
and gets its certificate without anyone clicking: the relay delivers course.completed, the worker renders,
signs and stores the PDF."""

import sqlalchemy as sa

from app.demo import seed_demo
from app.extensions import db
from app.tenancy.context import tenant_context
from app.tenancy.provisioning import get_tenant_by_slug
from blueprints.assessments.grading import correct_response
from blueprints.assessments.models import AttemptQuestion, QuestionVersion
from tests.conftest import build_app, run_jobs
from tests.support.certificates import pdf_text


def test_the_demo_student_gets_the_certificate_by_completing_the_course(app_config, tmp_path):
    demo_app = build_app(
        app_config,
        INSTANCE_DIR=str(tmp_path),
        CONTROL_DATABASE_URL=f"sqlite:///{tmp_path}/control.db",
        TENANT_DATABASE_URL_TEMPLATE=f"sqlite:///{tmp_path}/tenants/{{slug}}.db",
    )
    password = "demo-password-123"
    with demo_app.app_context():
        seeded = list(seed_demo(password))
        assert "Getting started gives a certificate (template Classic (shipped), valid 24 months)" in seeded
        assert not [line for line in seed_demo(password) if "certificate" in line]  # idempotent
    client = demo_app.test_client()
    headers = {"Host": "demo.localhost:5000"}
    login = client.post(
        "/api/v1/auth/login", json={"email": "student@demo.example", "password": password}, headers=headers
    )
    headers["Authorization"] = f"Bearer {login.get_json()['data']['access_token']}"
    me = client.get("/api/v1/auth/me", headers=headers).get_json()["data"]
    run_jobs(demo_app)
    assert client.get(f"/api/v1/users/{me['id']}/certificates", headers=headers).get_json()["data"] == []

    progress = client.get(f"/api/v1/users/{me['id']}/enrollments", headers=headers).get_json()["data"]
    course = next(c for c in progress if c["title"] == "Getting started")
    outline = client.get(f"/api/v1/courses/{course['id']}/content", headers=headers).get_json()["data"]
    quiz = client.get("/api/v1/assessments", headers=headers).get_json()["data"][0]
    for module in outline:
        for item in module["items"]:
            if item["id"] != quiz["item_id"]:
                client.post(f"/api/v1/content/{item['id']}/complete", headers=headers)
    attempt = client.post(f"/api/v1/assessments/{quiz['id']}/attempts", headers=headers).get_json()["data"]
    answers = [
        {"position": q["position"], "response": correct_response(q["kind"], q["spec"])}
        for q in _keys(demo_app, attempt)
    ]
    submitted = client.post(f"/api/v1/attempts/{attempt['id']}/submit", json={"answers": answers}, headers=headers)
    assert submitted.get_json()["data"]["passed"] is True
    run_jobs(demo_app)  # assessment.passed completes the item; then course.completed issues; then the PDF job
    run_jobs(demo_app)

    (certificate,) = client.get(f"/api/v1/users/{me['id']}/certificates", headers=headers).get_json()["data"]
    assert certificate["course_title"] == "Getting started" and certificate["status"] == "ready"
    assert certificate["expires_at"] is not None and certificate["issued_by_id"] is None
    pdf = client.get(certificate["pdf_url"], headers=headers)
    text = pdf_text(pdf.data)
    assert certificate["holder_name"] in text and certificate["code"] in text and "Ada Lovelace" in text


def _keys(demo_app, attempt):
    """Each question of the attempt with its key (read from the database: the attempt shows none)."""
    with demo_app.app_context():
        tenant = get_tenant_by_slug("demo").ref()
    with tenant_context(tenant, demo_app):
        rows = db.session.execute(
            sa.select(AttemptQuestion.position, QuestionVersion.spec)
            .join(QuestionVersion, QuestionVersion.id == AttemptQuestion.version_id)
            .where(AttemptQuestion.attempt_id == attempt["id"])
        ).all()
    kinds = {q["position"]: q["kind"] for q in attempt["questions"]}
    return [{"position": p, "kind": kinds[p], "spec": spec} for p, spec in rows]
