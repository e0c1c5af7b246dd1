"""The demo's webhook receiver: `flask integrations receiver [--port 8765]` (started by `make run`) listens on loopback,
verifies each delivery's Standard Webhooks signature with the demo integration's current secrets (read afresh for
each request, so a rotation is seen at once) and prints its type, its `webhook-id` and whether the signature verified.
A verified delivery is answered 204, a bad one 401 (so the delivery log shows it failing)."""

import contextlib
import hmac
import json
import sys
import time
from wsgiref.simple_server import WSGIRequestHandler, make_server

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import AppGroup, with_appcontext

from app.demo import DEMO_SLUG
from app.extensions import db
from app.tenancy import provisioning
from app.tenancy.context import tenant_context
from blueprints.integrations import signing
from blueprints.integrations.models import Integration, IntegrationKind
from blueprints.integrations.services import signing_secrets

DEMO_INTEGRATION = "Demo receiver"
DEFAULT_PORT = 8765
PATH = "/webhooks"
TOLERANCE_SECONDS = 5 * 60  # the specification's: an older (or future) timestamp may be a replay
MAX_BODY = 1_000_000

integrations_cli = AppGroup("integrations", help="Integrations: the demo's webhook receiver (and more by each part).")


def verify(headers, body, secrets, now=None):
    """(verified, reason): whether one of the header's `v1,` signatures is that of `body` under one of `secrets`,
    with a timestamp within the tolerance. `headers` is a mapping with lower-case names."""
    message_id, timestamp = headers.get("webhook-id", ""), headers.get("webhook-timestamp", "")
    if not message_id or not timestamp.isdigit():
        return False, "no webhook-id or webhook-timestamp header"
    if abs((now or time.time()) - int(timestamp)) > TOLERANCE_SECONDS:
        return False, "timestamp outside 5 minutes"
    if not secrets:
        return False, "no secret to verify with"
    given = headers.get("webhook-signature", "").split()
    for secret in secrets:
        expected = signing.signature(secret, message_id, int(timestamp), body)
        if any(hmac.compare_digest(expected, signature) for signature in given):
            return True, "verified"
    return False, "no signature matches"


def receiver_app(secrets_of, out):
    """A WSGI app answering POST /webhooks: verifies with `secrets_of()` (the secrets in use) and writes one line
    per delivery to `out`."""

    def app(environ, start_response):
        if environ["REQUEST_METHOD"] != "POST" or environ.get("PATH_INFO") != PATH:
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"POST deliveries to /webhooks\n"]
        try:
            length = min(int(environ.get("CONTENT_LENGTH") or 0), MAX_BODY)
        except ValueError:
            length = 0
        body = environ["wsgi.input"].read(length)
        headers = {
            key[5:].lower().replace("_", "-"): value for key, value in environ.items() if key.startswith("HTTP_")
        }
        verified, reason = verify(headers, body, secrets_of())
        try:
            event_type = json.loads(body).get("type", "?")
        except (ValueError, AttributeError):
            event_type = "(not JSON)"
        mark = "signature verified" if verified else f"signature NOT verified ({reason})"
        print(f"{event_type}  {headers.get('webhook-id', '-')}  {mark}", file=out, flush=True)
        start_response("204 No Content" if verified else "401 Unauthorized", [])
        return []

    return app


def demo_secrets(app, slug=DEMO_SLUG, name=DEMO_INTEGRATION):
    """A function returning the secrets that sign now for the organization's integration `name` (none if gone)."""

    def secrets_of():
        with app.app_context():
            tenant = provisioning.get_tenant_by_slug(slug).ref()
        with tenant_context(tenant, app):
            integration = db.session.scalar(
                sa.select(Integration).where(Integration.name == name, Integration.kind == IntegrationKind.WEBHOOK)
            )
            return signing_secrets(integration) if integration is not None else []

    return secrets_of


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, *args):  # one line per delivery is printed by the app itself
        pass


@integrations_cli.command("receiver")
@click.option("--port", default=DEFAULT_PORT, show_default=True, help="Port on 127.0.0.1.")
@click.option("--organization", default=DEMO_SLUG, show_default=True, help="The organization's slug.")
@click.option("--integration", default=DEMO_INTEGRATION, show_default=True, help="The webhook integration's name.")
@with_appcontext
def receiver(port, organization, integration):
    """Receive the demo's webhooks on 127.0.0.1 and print each one, verified or not."""
    app = current_app._get_current_object()
    server = make_server(
        "127.0.0.1",
        port,
        receiver_app(demo_secrets(app, organization, integration), sys.stdout),
        handler_class=_QuietHandler,
    )
    click.echo(f"Receiving webhooks for “{integration}” ({organization}) at http://127.0.0.1:{port}{PATH}")
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C ends it quietly
        server.serve_forever()
