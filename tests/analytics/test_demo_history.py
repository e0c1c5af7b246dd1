"""`make run`'s demo organization has a past for the dashboards to show (blueprints/analytics/demo.py)."""

from datetime import timedelta

import sqlalchemy as sa

from app.demo import seed_demo
from app.extensions import db
from app.tenancy.context import tenant_context
from app.tenancy.models import utcnow
from app.tenancy.provisioning import get_tenant_by_slug
from blueprints.analytics.demo import HISTORY_AGENT
from blueprints.auth.models import SignIn
from blueprints.learning.models import Enrollment, ItemProgress, ItemTime, TimeByDay
from blueprints.users.models import User
from tests.conftest import build_app


def test_the_demo_learners_have_thirty_days_of_history(app_config, tmp_path):
    demo_app = build_app(
        app_config,
        INSTANCE_DIR=str(tmp_path),
        CONTROL_DATABASE_URL=f"sqlite:///{tmp_path}/control.db",
        TENANT_DATABASE_URL_TEMPLATE=f"sqlite:///{tmp_path}/tenants/{{slug}}.db",
    )
    with demo_app.app_context():
        seeded = list(seed_demo("demo-password-123"))
        assert any("days of history" in line for line in seeded)
        assert not [line for line in seed_demo("demo-password-123") if "history" in line]  # idempotent
        tenant = get_tenant_by_slug("demo").ref()
    now = utcnow()
    with demo_app.app_context(), tenant_context(tenant, demo_app):
        sign_ins = db.session.scalars(sa.select(SignIn).where(SignIn.user_agent == HISTORY_AGENT)).all()
        assert sign_ins and all(now - timedelta(days=31) <= s.created_at <= now for s in sign_ins)
        assert all(s.revoked_at is not None for s in sign_ins)  # the past leaves no open session behind
        assert {s.created_at.date() for s in sign_ins} >= {now.date()}  # someone was here today

        enrollments = db.session.scalars(sa.select(Enrollment)).all()
        overdue = [e for e in enrollments if e.completed_at is None and e.due_at and e.due_at < now]
        assert len(overdue) == 2
        assert any(e.completed_at for e in enrollments)
        last_seen = {}
        for e in enrollments:
            last_seen[e.user_id] = max(last_seen.get(e.user_id, e.enrolled_at), e.last_reported_at or e.enrolled_at)
        inactive = {u for u, at in last_seen.items() if at < now - timedelta(days=14)}
        inactive_emails = set(db.session.scalars(sa.select(User.email).where(User.id.in_(inactive))))
        assert {"student2@demo.example", "kofi@demo.example"} <= inactive_emails

        for e in enrollments:  # time per day, per item and in total agree, as the player's reports keep them
            per_day = db.session.scalar(
                sa.select(sa.func.sum(TimeByDay.seconds)).where(TimeByDay.enrollment_id == e.id)
            )
            per_item = db.session.scalar(sa.select(sa.func.sum(ItemTime.seconds)).where(ItemTime.enrollment_id == e.id))
            assert (per_day or 0) == (per_item or 0) == e.seconds_spent
            done = db.session.scalars(sa.select(ItemProgress.completed_at).where(ItemProgress.enrollment_id == e.id))
            assert all(e.enrolled_at <= at <= now for at in done)

        sam = db.session.scalar(sa.select(User).where(User.email == "student@demo.example"))
        assert sam.last_login_at == max(s.created_at for s in sign_ins if s.user_id == sam.id)

    # What the org admin's dashboard shows after `make run` (the read model was rebuilt at the end of the seed)
    client, host = demo_app.test_client(), {"Host": "demo.localhost:5000"}
    login = {"email": "admin@demo.example", "password": "demo-password-123"}
    token = client.post("/api/v1/auth/login", json=login, headers=host).get_json()["data"]["access_token"]
    figures = client.get("/api/v1/analytics/overview", headers=host | {"Authorization": f"Bearer {token}"})
    data = figures.get_json()["data"]
    assert data["overdue"] == 2 and data["at_risk"] >= 3 and data["completed"] >= 1
    assert data["active_learners"]["day"] >= 1 and data["active_learners"]["period"] >= 8
    assert data["items_completed"] > 10 and data["seconds_spent"] > 3600 and data["sign_ins"] > 20
