"""The demo's webhook receiver (`flask integrations receiver`): a real HTTP server on loopback that verifies each
delivery's signature (signed here by the `standardwebhooks` reference library, not by our own signing code) and prints
type, id and the verdict; and the demo part that makes the "Demo receiver" integration it verifies with."""

import io
import json
import re
import threading
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime
from wsgiref.simple_server import WSGIRequestHandler, make_server

import pytest
import sqlalchemy as sa
from standardwebhooks.webhooks import Webhook

from app.events import emit_after_commit
from app.extensions import db
from app.tenancy.context import tenant_context
from blueprints.integrations import services, signing
from blueprints.integrations.demo import DEMO_RECEIVER_URL, seed_demo_receiver
from blueprints.integrations.models import Integration, WebhookSubscription
from blueprints.integrations.receiver import demo_secrets, receiver_app
from tests.conftest import make_user
from tests.support.integrations import deliver_until_settled
from tests.support.services import free_port


class _Quiet(WSGIRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def receiver():
    """Serve a receiver whose secrets the test sets; yields (url, secrets list, output)."""
    secrets, out = [], io.StringIO()
    port = free_port()
    server = make_server("127.0.0.1", port, receiver_app(lambda: list(secrets), out), handler_class=_Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}/webhooks", secrets, out
    server.shutdown()
    server.server_close()


def deliver(url, body, message_id, signature, timestamp):
    request = urllib.request.Request(  # noqa: S310 (the receiver's loopback http URL, made here)
        url,
        data=body.encode(),
        method="POST",
        headers={
            "Content-Type": "application/json",
            "webhook-id": message_id,
            "webhook-timestamp": str(int(timestamp.timestamp())),
            "webhook-signature": signature,
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


BODY = json.dumps({"type": "course.completed", "timestamp": "2026-11-26T05:00:00+00:00", "data": {"course_id": 1}})


def test_the_receiver_verifies_a_signed_delivery_and_reports_a_wrong_one(receiver):
    url, secrets, out = receiver
    secret = signing.new_signing_secret()
    secrets.append(secret)
    now = datetime.now(UTC)
    good = Webhook(secret).sign("msg_good", now, BODY)
    assert deliver(url, BODY, "msg_good", good, now) == 204
    wrong = Webhook(signing.new_signing_secret()).sign("msg_bad", now, BODY)
    assert deliver(url, BODY, "msg_bad", wrong, now) == 401
    tampered = Webhook(secret).sign("msg_tampered", now, BODY)
    assert deliver(url, BODY.replace('"course_id": 1', '"course_id": 2'), "msg_tampered", tampered, now) == 401
    lines = out.getvalue().splitlines()
    assert lines[0].split() == ["course.completed", "msg_good", "signature", "verified"]
    assert lines[1].startswith("course.completed  msg_bad  signature NOT verified (no signature matches)")
    assert "msg_tampered  signature NOT verified" in lines[2]


def test_during_a_rotation_either_secret_verifies(receiver):
    url, secrets, out = receiver
    old, new = signing.new_signing_secret(), signing.new_signing_secret()
    secrets.extend([new, old])
    now = datetime.now(UTC)
    both = f"{Webhook(new).sign('msg_1', now, BODY)} {Webhook(old).sign('msg_1', now, BODY)}"
    assert deliver(url, BODY, "msg_1", both, now) == 204
    assert deliver(url, BODY, "msg_2", Webhook(old).sign("msg_2", now, BODY), now) == 204
    stale = datetime.fromtimestamp(time.time() - 3600, UTC)
    assert deliver(url, BODY, "msg_3", Webhook(new).sign("msg_3", stale, BODY), stale) == 401
    assert "timestamp outside 5 minutes" in out.getvalue()


def test_the_demo_part_makes_the_receiver_integration_it_verifies_with(app, tenant, receiver):
    make_user(app, tenant, "org_admin", email="admin@demo.example")
    with tenant_context(tenant, app):
        lines = list(seed_demo_receiver("unused"))
        assert len(lines) == 1 and list(seed_demo_receiver("unused")) == []  # idempotent
        integration = db.session.scalar(sa.select(Integration))
        subscription = db.session.scalar(sa.select(WebhookSubscription))
        assert (integration.name, integration.kind, integration.owner_id is not None) == (
            "Demo receiver",
            "webhook",
            True,
        )
        assert (subscription.url, subscription.event_types) == (DEMO_RECEIVER_URL, ["*"])
        current = services.signing_secrets(integration)
    assert demo_secrets(app, slug=tenant.slug)() == current
    url, secrets, _out = receiver
    secrets.extend(demo_secrets(app, slug=tenant.slug)())
    now = datetime.now(UTC)
    assert deliver(url, BODY, "msg_demo", Webhook(current[0]).sign("msg_demo", now, BODY), now) == 204


def test_connected_through_the_api_a_course_completion_reaches_the_receiver_signed(
    app, api, tenant, login_as, receiver
):
    """The issue's "done when", short of the browser: an org admin connects the receiver, an event happens, the
    delivery engine sends it, and the receiver (verifying with the integration's secrets as stored) prints it
    verified; after a rotation, the next one verifies too."""
    url, secrets, out = receiver
    admin = api(tenant, login_as(tenant, "org_admin"))
    made = admin.post(
        "/api/v1/integrations",
        json={
            "kind": "webhook",
            "name": "Lab receiver",
            "subscription": {"url": url, "event_types": ["course.completed"]},
        },
    )
    assert made.status_code == 201, made.get_json()
    stored = demo_secrets(app, slug=tenant.slug, name="Lab receiver")
    secrets.extend(stored())
    assert secrets == [made.get_json()["data"]["signing_secret"]]
    student = make_user(app, tenant, "student")
    with tenant_context(tenant, app):
        emit_after_commit(db.session, "course.completed", course_id=7, user_id=student)
        db.session.commit()
    deliver_until_settled(app, tenant)
    assert re.fullmatch(r"course\.completed  msg_\S+  signature verified\n", out.getvalue())

    rotated = admin.post(f"/api/v1/integrations/{made.get_json()['data']['id']}/rotate-secret").get_json()["data"]
    secrets[:] = [rotated["signing_secret"]]  # a receiver that switched to the new secret at once
    with tenant_context(tenant, app):
        emit_after_commit(db.session, "course.completed", course_id=8, user_id=student)
        db.session.commit()
    deliver_until_settled(app, tenant)
    assert out.getvalue().splitlines()[1].endswith("signature verified")
