"""Revocation, re-issue after a name change, expiry and renewal: through the API, with the log and the events."""

import json
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.events.models import OutboxEvent
from app.extensions import db
from app.tenancy.context import tenant_context
from app.tenancy.models import utcnow
from blueprints.certificates import lifecycle
from blueprints.certificates.models import Certificate
from blueprints.credentials.models import LedgerEntry
from blueprints.users.models import User
from tests.conftest import run_jobs
from tests.support.certificate_rows import make_certificate
from tests.support.quizzes import make_classroom


@pytest.fixture
def classroom(app, api, tenant):
    return make_classroom(app, api, tenant)


def log_of(app, tenant, certificate_id):
    with tenant_context(tenant, app):
        rows = db.session.scalars(
            sa.select(LedgerEntry)
            .where(LedgerEntry.subject_type == "certificate", LedgerEntry.subject_id == certificate_id)
            .order_by(LedgerEntry.seq)
        )
        return [(row.action, json.loads(row.payload)["data"]) for row in rows]


def test_the_teacher_revokes_with_a_reason_and_the_log_the_event_and_the_verification_say_so(app, api, classroom):
    certificate_id, code = make_certificate(app, classroom.tenant, classroom.course_id, classroom.ids["learner"])
    anyone = api(classroom.tenant)
    assert anyone.get(f"/api/v1/verify/{code}").get_json()["data"]["status"] == "valid"

    refused = classroom.teacher.post(f"/api/v1/certificates/{certificate_id}/revoke", json={"reason": "  "})
    assert refused.status_code == 422 and "reason" in refused.get_json()["error"]["details"]
    missing = classroom.teacher.post(f"/api/v1/certificates/{certificate_id}/revoke", json={})
    assert missing.status_code == 422 and "reason" in missing.get_json()["error"]["details"]

    revoked = classroom.teacher.post(
        f"/api/v1/certificates/{certificate_id}/revoke", json={"reason": "Completed by someone else"}
    )
    assert revoked.status_code == 200, revoked.get_json()
    assert revoked.get_json()["data"]["revocation_reason"] == "Completed by someone else"
    again = classroom.teacher.post(f"/api/v1/certificates/{certificate_id}/revoke", json={"reason": "twice"})
    assert again.status_code == 409

    answer = anyone.get(f"/api/v1/verify/{code}").get_json()["data"]
    assert answer["status"] == "revoked" and answer["revocation_reason"] == "Completed by someone else"
    assert answer["revoked_at"].endswith("Z")
    assert [action for action, _ in log_of(app, classroom.tenant, certificate_id)] == ["issued", "revoked"]
    with tenant_context(classroom.tenant, app):
        events = db.session.scalars(sa.select(OutboxEvent).where(OutboxEvent.name == "certificate.revoked")).all()
        assert [event.payload["certificate_id"] for event in events] == [certificate_id]


def test_only_the_courses_managers_revoke_and_strangers_do_not_learn_it_exists(app, api, classroom, login_as):
    certificate_id, _ = make_certificate(app, classroom.tenant, classroom.course_id, classroom.ids["learner"])
    body = {"reason": "Because"}
    holder = classroom.learner.post(f"/api/v1/certificates/{certificate_id}/revoke", json=body)
    assert holder.status_code == 403  # they see their own certificate, and may not revoke it
    assert classroom.other_teacher.post(f"/api/v1/certificates/{certificate_id}/revoke", json=body).status_code == 404
    # a student may revoke nothing at all: the permission answers first, as everywhere in the API
    assert classroom.outsider.post(f"/api/v1/certificates/{certificate_id}/revoke", json=body).status_code == 403
    assert classroom.teacher.post("/api/v1/certificates/999999/revoke", json=body).status_code == 404
    admin = api(classroom.tenant, login_as(classroom.tenant, "org_admin"))
    assert admin.post(f"/api/v1/certificates/{certificate_id}/revoke", json=body).status_code == 200


def test_a_reissue_after_a_name_change_carries_the_new_name_and_supersedes_the_old_one(app, api, classroom):
    learner = classroom.ids["learner"]
    old_id, old_code = make_certificate(
        app,
        classroom.tenant,
        classroom.course_id,
        learner,
        holder_name="Ada Byron",
        expires_at=utcnow() + timedelta(days=300),
    )
    with tenant_context(classroom.tenant, app):
        db.session.get(User, learner).last_name = "Lovelace"
        db.session.commit()
    assert classroom.learner.post(f"/api/v1/certificates/{old_id}/reissue").status_code == 403
    response = classroom.teacher.post(f"/api/v1/certificates/{old_id}/reissue")
    assert response.status_code == 201, response.get_json()
    new = response.get_json()["data"]
    assert new["holder_name"] == "Ada Lovelace" and new["code"] != old_code and new["superseded_at"] is None
    with tenant_context(classroom.tenant, app):
        old = db.session.get(Certificate, old_id)
        assert old.superseded_by_id == new["id"] and old.superseded_at is not None
        assert db.session.get(Certificate, new["id"]).expires_at == old.expires_at
    anyone = api(classroom.tenant)
    answer = anyone.get(f"/api/v1/verify/{old_code}").get_json()["data"]
    assert (answer["status"], answer["superseded_by"]) == ("superseded", new["code"])
    assert anyone.get(f"/api/v1/verify/{new['code']}").get_json()["data"]["status"] == "valid"
    assert log_of(app, classroom.tenant, old_id)[-1] == ("superseded", {"code": old_code, "superseded_by": new["code"]})
    new_log = log_of(app, classroom.tenant, new["id"])
    assert [action for action, _data in new_log] == ["issued", "reissued"]
    # one transaction: the log's issue entry already carries the kept expiry (not the course's validity)
    assert new_log[0][1]["expires_at"] == old.expires_at.isoformat()
    assert classroom.teacher.post(f"/api/v1/certificates/{old_id}/reissue").status_code == 409


def test_completing_the_course_again_renews_an_expired_certificate_once(app, api, classroom):
    learner = classroom.ids["learner"]
    expired_id, expired_code = make_certificate(
        app, classroom.tenant, classroom.course_id, learner, expires_at=utcnow() - timedelta(days=1)
    )
    assert api(classroom.tenant).get(f"/api/v1/verify/{expired_code}").get_json()["data"]["status"] == "expired"
    done = classroom.learner.post(f"/api/v1/content/{classroom.lesson_id}/complete")
    assert done.status_code in (200, 201), done.get_json()
    run_jobs(app)
    run_jobs(app)
    with tenant_context(classroom.tenant, app):
        rows = db.session.scalars(
            sa.select(Certificate).where(Certificate.user_id == learner).order_by(Certificate.id)
        ).all()
        assert len(rows) == 2 and rows[0].id == expired_id
        assert rows[0].superseded_by_id == rows[1].id
        assert lifecycle.renew_on_completion(classroom.course_id, learner) is None  # a redelivery: nothing new
    answer = api(classroom.tenant).get(f"/api/v1/verify/{expired_code}").get_json()["data"]
    assert answer["status"] == "superseded"


def test_staff_see_certificates_expiring_within_30_days_soonest_first(app, classroom):
    now = utcnow()
    soon, _ = make_certificate(
        app, classroom.tenant, classroom.course_id, classroom.ids["learner"], expires_at=now + timedelta(days=3)
    )
    later, _ = make_certificate(
        app, classroom.tenant, classroom.course_id, classroom.ids["learner2"], expires_at=now + timedelta(days=29)
    )
    make_certificate(
        app, classroom.tenant, classroom.course_id, classroom.ids["outsider"], expires_at=now + timedelta(days=90)
    )
    with tenant_context(classroom.tenant, app):
        assert [c.id for c in db.session.scalars(lifecycle.expiring_certificates())] == [soon, later]
        assert list(db.session.scalars(lifecycle.expiring_certificates(course_ids=[-1]))) == []
