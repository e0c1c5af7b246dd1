"""Events through the outbox, on real Redis and the real database: written with the change or not at all,
delivered once per subscriber, retried, listed when failing, replayed; the catalog refuses what it does not know."""

import io

import pytest
import sqlalchemy as sa

from app import events
from app.events import emit_after_commit
from app.events.catalog import InvalidPayload, UnknownEvent, catalog_markdown
from app.events.models import EventDelivery, OutboxEvent
from app.events.relay import deliver
from app.extensions import db
from app.jobs import enqueue_many, get_queue
from app.tenancy.context import tenant_context
from blueprints.classes.models import ClassMembership
from blueprints.learning.models import Enrollment
from blueprints.users.models import User
from config import BASE_DIR
from tests.conftest import make_user, run_jobs, user_token
from tests.support.event_subscribers import Flaky, app_with_these_subscribers


@pytest.fixture
def marking_app(app_config):
    return app_with_these_subscribers(app_config)


def rows(app, tenant, stmt):
    with tenant_context(tenant, app):
        return db.session.execute(stmt).all()


def first_names(app, tenant, user_ids):
    return sorted(name for (name,) in rows(app, tenant, sa.select(User.first_name).where(User.id.in_(user_ids))))


def test_the_catalog_refuses_unknown_events_and_wrong_payloads_and_writes_nothing(app, tenant):
    with tenant_context(tenant, app):
        for name, fields, error in [
            ("class.member_added", {"class_id": 1, "user_ids": [1], "role": "student"}, UnknownEvent),
            ("class.members_added", {"class_id": "7", "user_ids": [1], "role": "student"}, InvalidPayload),
            ("class.members_added", {"class_id": 7, "user_ids": [1, "2"], "role": "student"}, InvalidPayload),
            ("class.members_added", {"class_id": 7, "user_ids": [1]}, InvalidPayload),
            ("course.completed", {"course_id": 1, "user_id": 2, "score": 3}, InvalidPayload),
        ]:
            with pytest.raises(error):
                emit_after_commit(db.session, name, **fields)
        with pytest.raises(UnknownEvent):
            events.subscribe("course.complete")
        db.session.commit()
        assert db.session.scalar(sa.select(sa.func.count(OutboxEvent.id))) == 0


def test_a_rolled_back_transaction_emits_nothing_and_a_commit_writes_the_event_with_the_change(marking_app, tenant):
    student = make_user(marking_app, tenant, "student", first_name="Ann")
    queued = get_queue(marking_app).count
    with tenant_context(tenant, marking_app):
        db.session.get(User, student).last_name = "Rolled"
        emit_after_commit(db.session, "class.members_added", class_id=1, user_ids=[student], role="student")
        db.session.rollback()
        db.session.commit()  # nothing left over to commit later
        assert db.session.scalar(sa.select(sa.func.count(OutboxEvent.id))) == 0
    assert get_queue(marking_app).count == queued
    run_jobs(marking_app)
    assert first_names(marking_app, tenant, [student]) == ["Ann"]

    with tenant_context(tenant, marking_app):
        event = emit_after_commit(db.session, "class.members_added", class_id=1, user_ids=[student], role="student")
        db.session.commit()
        stored = db.session.get(OutboxEvent, event.event_id)
        assert stored.name == "class.members_added" and stored.relayed_at is not None
        assert stored.payload["tenant"] == tenant.slug and stored.payload["user_ids"] == [student]
    run_jobs(marking_app)
    assert first_names(marking_app, tenant, [student]) == ["Ann+"]
    deliveries = rows(marking_app, tenant, sa.select(EventDelivery.subscriber, EventDelivery.status))
    assert sorted(deliveries) == [
        ("blueprints.integrations.subscribers.deliver_to_webhooks", "done"),  # every event: to webhooks (issue 16)
        ("blueprints.learning.subscribers.enroll_new_class_members", "done"),
        ("tests.support.event_subscribers.flaky_mark_members", "done"),
        ("tests.support.event_subscribers.mark_members", "done"),
    ]


def test_the_same_event_delivered_twice_takes_effect_once(marking_app, tenant):
    student = make_user(marking_app, tenant, "student", first_name="Bo")
    with tenant_context(tenant, marking_app):
        emit_after_commit(db.session, "class.members_added", class_id=1, user_ids=[student], role="student")
        db.session.commit()
        (delivery_id,) = db.session.scalars(
            sa.select(EventDelivery.id).where(EventDelivery.subscriber.like("%.mark_members"))
        ).all()
    run_jobs(marking_app)

    with tenant_context(tenant, marking_app):
        enqueue_many(tenant, deliver, [("tenant", delivery_id)] * 2)  # the sweep or a retry, delivering again
        assert deliver("tenant", delivery_id) == "already done"
    run_jobs(marking_app)
    assert first_names(marking_app, tenant, [student]) == ["Bo+"]


def test_a_failing_subscriber_is_retried_then_listed_as_failed_and_replay_runs_it(marking_app, tenant):
    student = make_user(marking_app, tenant, "student", first_name="Cy", last_name="Dee")
    Flaky.failures = 99
    try:
        with tenant_context(tenant, marking_app):
            emit_after_commit(db.session, "class.members_added", class_id=1, user_ids=[student], role="student")
            db.session.commit()
        run_jobs(marking_app)
        (failed,) = rows(
            marking_app,
            tenant,
            sa.select(EventDelivery.id, EventDelivery.status, EventDelivery.attempts, EventDelivery.last_error).where(
                EventDelivery.subscriber.like("%.flaky_mark_members")
            ),
        )
        retries = len(marking_app.config["EVENT_RETRY_INTERVALS"])
        assert failed.status == "failed" and failed.attempts == 1 + retries
        assert failed.last_error == "RuntimeError: the webhook endpoint is down"
        assert 99 - Flaky.failures == 1 + retries  # really run each time
        assert first_names(marking_app, tenant, [student]) == ["Cy+"]  # the other subscriber was not held up

        runner = marking_app.test_cli_runner()
        listed = runner.invoke(args=["events", "failed"]).output
        assert f"{tenant.slug}:{failed.id}  class.members_added" in listed
        assert "flaky_mark_members, 3 attempts: RuntimeError: the webhook endpoint is down" in listed

        Flaky.failures = 0  # the endpoint is back
        replayed = runner.invoke(args=["events", "replay", f"{tenant.slug}:{failed.id}"])
        assert replayed.exit_code == 0, replayed.output
        run_jobs(marking_app)
        (last_name,) = rows(marking_app, tenant, sa.select(User.last_name).where(User.id == student))[0]
        assert last_name == "Dee!"
        assert f"{tenant.slug}:{failed.id} " not in runner.invoke(args=["events", "failed"]).output
        again = runner.invoke(args=["events", "replay", f"{tenant.slug}:{failed.id}"])
        assert again.exit_code != 0 and "done" in again.output
    finally:
        Flaky.failures = 0


def test_people_imported_into_a_class_enrolled_in_a_course_are_enrolled(app, api, tenant, login_as):
    admin = api(tenant, login_as(tenant, "org_admin"))
    north = admin.post(f"/api/v1/organizations/{tenant.id}/branches", json={"code": "north", "name": "North"})
    north_id = north.get_json()["data"]["id"]
    algebra = admin.post("/api/v1/classes", json={"branch_id": north_id, "name": "Algebra 1"}).get_json()["data"]
    teacher_id = make_user(app, tenant, "teacher")
    admin.post(f"/api/v1/classes/{algebra['id']}/members", json={"user_ids": [teacher_id], "role": "teacher"})
    teacher = api(tenant, user_token(app, tenant, teacher_id, "teacher"))
    course_id = teacher.post("/api/v1/courses", json={"title": "Algebra", "summary": "x"}).get_json()["data"]["id"]
    enrolled = teacher.post(f"/api/v1/courses/{course_id}/enrollments", json={"class_id": algebra["id"]})
    assert enrolled.status_code == 201, enrolled.get_json()

    header = "email,first_name,last_name,role,branch,classes,external_id,password\n"
    people = "".join(f"p{n}@example.org,P{n},Q,student,north,Algebra 1,,\n" for n in range(120))
    response = admin.post(
        "/api/v1/imports",
        data={"file": (io.BytesIO((header + people).encode()), "p.csv"), "mode": "commit", "send_invitations": "false"},
        content_type="multipart/form-data",
    )
    assert response.status_code == 202, response.get_json()
    run_jobs(app)  # the import, then the deliveries of the events it emitted

    with tenant_context(tenant, app):
        members = db.session.scalar(
            sa.select(sa.func.count()).where(
                ClassMembership.class_id == algebra["id"], ClassMembership.role == "student"
            )
        )
        enrolled_emails = db.session.scalars(
            sa.select(User.email)
            .join(Enrollment, Enrollment.user_id == User.id)
            .where(Enrollment.course_id == course_id)
        ).all()
        emitted = db.session.scalars(sa.select(OutboxEvent.payload).where(OutboxEvent.name == "class.members_added"))
        imported_ids = sorted(uid for payload in emitted if payload["role"] == "student" for uid in payload["user_ids"])
    assert members == 120
    assert sorted(enrolled_emails) == sorted(f"p{n}@example.org" for n in range(120))
    assert len(imported_ids) == len(set(imported_ids)) == 120
    progress = teacher.get(f"/api/v1/courses/{course_id}/progress?per_page=100").get_json()
    assert progress["meta"]["total"] == 120


def test_an_event_names_who_acted(app, api, tenant, login_as):
    admin_token = login_as(tenant, "org_admin")
    admin = api(tenant, admin_token)
    north = admin.post(f"/api/v1/organizations/{tenant.id}/branches", json={"code": "n", "name": "N"})
    school_class = admin.post("/api/v1/classes", json={"branch_id": north.get_json()["data"]["id"], "name": "C"})
    student = make_user(app, tenant, "student")
    class_id = school_class.get_json()["data"]["id"]
    admin.post(f"/api/v1/classes/{class_id}/members", json={"user_ids": [student], "role": "student"})
    with tenant_context(tenant, app):
        (payload,) = db.session.scalars(
            sa.select(OutboxEvent.payload).where(OutboxEvent.name == "class.members_added")
        ).all()
        acting_admin = db.session.scalar(
            sa.select(User.id).where(User.role == "org_admin", User.email != "admin@example.org")
        )
    assert payload["actor"] == {"user_id": acting_admin, "api_key_id": None, "operator_id": None}
    assert payload["class_id"] == class_id and payload["user_ids"] == [student] and payload["tenant"] == tenant.slug


def test_the_documented_catalog_is_the_generated_one(app):
    with app.app_context():
        table = catalog_markdown(events.subscribers_of)
    assert table in (BASE_DIR / "docs" / "events.md").read_text()
