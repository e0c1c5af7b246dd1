"""The delivery log API (`/api/v1/integrations/{id}/deliveries`, `/webhooks/{sid}/test`): an org admin lists and
filters the deliveries, reads one with its attempts, redelivers one or every failed one, sends a test event; the
receiver sees each with its webhook-id; nobody else may, and another integration's deliveries are not found."""

import pytest

from app.events import emit_after_commit
from app.extensions import db
from app.tenancy.context import tenant_context
from blueprints.integrations.models import DeliveryStatus, WebhookDelivery
from tests.support.integrations import deliver_until_settled, forget_scheduled_webhook_retries, make_webhook_integration
from tests.support.webhook_receiver import WebhookReceiver

WANTED = ["user.registered", "course.completed"]  # not the sign-ins of the tests' own logins
MANY = 8  # attempts of a delivery that fails for good (the schedule's 7 retries + the first)


@pytest.fixture(autouse=True)
def _no_retries_left_behind(app):
    yield
    forget_scheduled_webhook_retries(app)


def emit(app, tenant, name, **fields):
    with tenant_context(tenant, app):
        emit_after_commit(db.session, name, **fields)
        db.session.commit()


@pytest.fixture
def admin(api, tenant, login_as):
    return api(tenant, login_as(tenant, "org_admin"))


def test_an_admin_reads_the_log_redelivers_the_failed_and_sends_a_test_event(app, tenant, admin):
    with WebhookReceiver() as receiver:
        integration_id, subscription_id, secret = make_webhook_integration(
            app, tenant, receiver.url, event_types=WANTED
        )
        receiver.secrets.append(secret)
        receiver.answer(500, body=b"down for maintenance", times=2 * MANY)
        emit(app, tenant, "user.registered", user_id=1)
        emit(app, tenant, "course.completed", course_id=2, user_id=1)
        deliver_until_settled(app, tenant, timeout=40, sweep_grace=0)

        listed = admin.get(f"/api/v1/integrations/{integration_id}/deliveries")
        assert listed.status_code == 200, listed.get_json()
        items = listed.get_json()["data"]
        assert [d["event_type"] for d in items] == ["course.completed", "user.registered"]  # newest first
        assert {d["status"] for d in items} == {"failed"} and {d["attempts"] for d in items} == {MANY}
        assert listed.get_json()["meta"]["total"] == 2
        only = admin.get(f"/api/v1/integrations/{integration_id}/deliveries?filter[event_type]=user.registered")
        (registered,) = only.get_json()["data"]
        bad = admin.get(f"/api/v1/integrations/{integration_id}/deliveries?filter[colour]=red")
        assert bad.status_code == 400

        one = admin.get(f"/api/v1/integrations/{integration_id}/deliveries/{registered['id']}").get_json()["data"]
        assert len(one["attempt_log"]) == MANY and one["attempt_log"][0]["number"] == 1
        assert one["attempt_log"][0]["status_code"] == 500
        assert one["attempt_log"][0]["response_excerpt"] == "down for maintenance"
        assert '"type":"user.registered"' in one["body"]

        again = admin.post(f"/api/v1/integrations/{integration_id}/deliveries/{registered['id']}/redeliver")
        assert again.status_code == 202 and again.get_json()["data"]["status"] == "pending"
        deliver_until_settled(app, tenant)
        assert receiver.received[-1].message_id == registered["message_id"]
        assert receiver.received[-1].verified_with == [secret]

        everything = admin.post(f"/api/v1/integrations/{integration_id}/deliveries/redeliver")
        assert everything.status_code == 202 and everything.get_json()["data"] == {"queued": 1}  # the other failed
        test = admin.post(
            f"/api/v1/integrations/{integration_id}/webhooks/{subscription_id}/test", json={"message": "ping"}
        )
        assert test.status_code == 202, test.get_json()
        assert test.get_json()["data"]["event_type"] == "webhook.test"
        deliver_until_settled(app, tenant)
        last = receiver.received[-2:]
        assert sorted(r.json["type"] for r in last) == ["course.completed", "webhook.test"]
        assert all(r.verified_with == [secret] for r in last)

    statuses = admin.get(f"/api/v1/integrations/{integration_id}/deliveries?filter[status]=succeeded").get_json()
    assert statuses["meta"]["total"] == 3
    none_failed = admin.post(f"/api/v1/integrations/{integration_id}/deliveries/redeliver")
    assert none_failed.get_json()["data"] == {"queued": 0}


def test_deliveries_of_another_integration_are_not_found_and_nobody_but_org_admins_may(
    app, tenant, admin, api, login_as
):
    with WebhookReceiver() as receiver:
        first, _, _ = make_webhook_integration(app, tenant, receiver.url, event_types=WANTED)
        second, second_subscription, _ = make_webhook_integration(app, tenant, receiver.url, event_types=WANTED)
        emit(app, tenant, "user.registered", user_id=1)
        deliver_until_settled(app, tenant)
    mine = admin.get(f"/api/v1/integrations/{first}/deliveries").get_json()["data"]
    theirs = admin.get(f"/api/v1/integrations/{second}/deliveries").get_json()["data"]
    assert len(mine) == len(theirs) == 1
    assert admin.get(f"/api/v1/integrations/{second}/deliveries/{mine[0]['id']}").status_code == 404
    assert admin.post(f"/api/v1/integrations/{second}/deliveries/{mine[0]['id']}/redeliver").status_code == 404
    assert admin.post(f"/api/v1/integrations/{first}/webhooks/{second_subscription}/test").status_code == 404
    assert admin.get("/api/v1/integrations/999999/deliveries").status_code == 404
    for role in ("branch_manager", "teacher", "student"):
        other = api(tenant, login_as(tenant, role))
        assert other.get(f"/api/v1/integrations/{first}/deliveries").status_code == 403
        assert other.post(f"/api/v1/integrations/{first}/deliveries/redeliver").status_code == 403
    assert api(tenant).get(f"/api/v1/integrations/{first}/deliveries").status_code == 401
    with tenant_context(tenant, app):
        assert {d.status for d in db.session.query(WebhookDelivery)} == {DeliveryStatus.SUCCEEDED}
