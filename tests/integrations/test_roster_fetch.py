"""A sync without an upload fetches the zip from the integration's source URL, with its sealed bearer token,
through the SSRF guard (tests allow loopback; tests/integrations/test_webhook_ssrf.py covers the guard itself)."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from app.extensions import db
from app.security.sealing import seal
from app.tenancy.context import tenant_context
from blueprints.integrations.models import Integration
from tests.conftest import run_jobs
from tests.support.integrations import roster_zip

TOKEN = "roster-source-token"


class RosterSource:
    """A school system's endpoint on loopback: the zip to a request with the right bearer token, else 401."""

    def __init__(self, body):
        seen = self.authorizations = []

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                seen.append(self.headers.get("Authorization"))
                if self.headers.get("Authorization") != f"Bearer {TOKEN}":
                    self.send_response(401)
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/zip")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/export/roster.zip"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def _integration(app, tenant, url, token):
    with tenant_context(tenant, app):
        integration = Integration(
            kind="oneroster",
            name="Fetched SIS",
            settings={"source_url": url, "processing": "bulk"},
            secrets_sealed=seal({"source_token": token}, purpose="integrations") if token else None,
        )
        db.session.add(integration)
        db.session.commit()
        return integration.id


def test_a_sync_without_an_upload_fetches_the_source_url_with_its_token(app, api, tenant, login_as):
    admin = api(tenant, login_as(tenant, "org_admin"))
    source = RosterSource(roster_zip())
    try:
        integration = _integration(app, tenant, source.url, TOKEN)
        response = admin.post(
            f"/api/v1/integrations/{integration}/sync", data={"dry_run": "false"}, content_type="multipart/form-data"
        )
        assert response.status_code == 202, response.get_json()
        assert response.get_json()["data"]["filename"] == "roster.zip"
        run_jobs(app)
        sync = admin.get(f"/api/v1/integrations/{integration}/syncs/{response.get_json()['data']['id']}").get_json()
        assert sync["data"]["status"] == "done" and sync["data"]["bad_rows"] == 0
        assert sync["data"]["counts"]["users.csv"]["created"] == 8
        assert source.authorizations == [f"Bearer {TOKEN}"]

        wrong = _integration(app, tenant, source.url, "not-the-token")
        refused = admin.post(f"/api/v1/integrations/{wrong}/sync", data={}, content_type="multipart/form-data")
        assert refused.status_code == 422
        assert refused.get_json()["error"]["details"]["source_url"] == [
            "The source URL answered 401, not 200 with a zip."
        ]
        assert admin.get(f"/api/v1/integrations/{wrong}/syncs").get_json()["data"] == []  # no sync was made
    finally:
        source.stop()


def test_without_an_upload_or_a_source_url_it_asks_for_one(app, api, tenant, login_as):
    admin = api(tenant, login_as(tenant, "org_admin"))
    integration = _integration(app, tenant, None, None)
    refused = admin.post(f"/api/v1/integrations/{integration}/sync", data={}, content_type="multipart/form-data")
    assert refused.status_code == 422
    assert "source_url" in refused.get_json()["error"]["details"]
