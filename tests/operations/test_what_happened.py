"""What an operator and an auditor see of a browser session: its requests in the log and the metrics under the
ids the browser received, its sign-ins (a refused one too) in the audit trail under the same ids, and the
probes answering."""

import logging

import pytest

from tests.conftest import PASSWORD
from tests.support.operations import metric_value, scrape

pytestmark = pytest.mark.browser


class RequestLines(logging.Handler):
    """The `tessera.request` lines of the test, as their fields."""

    def __init__(self):
        super().__init__(logging.INFO)
        self.lines = []

    def emit(self, record):
        self.lines.append(getattr(record, "fields", None) or {})


@pytest.fixture
def request_lines():
    handler, logger = RequestLines(), logging.getLogger("tessera.request")
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    yield handler.lines
    logger.removeHandler(handler)
    logger.setLevel(level)


def _sign_in(page, base, email, password):
    """Submit the sign-in form; the X-Request-Id the browser got for the POST."""
    page.goto(f"{base}/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    with page.expect_response(lambda r: r.request.method == "POST" and "/login" in r.url) as posted:
        page.get_by_role("button", name="Sign in").click()
    return posted.value.headers["x-request-id"]


def test_a_browser_session_shows_in_the_log_the_metrics_and_the_audit_trail(
    browser, live_server, client, api, tenant, login_as, request_lines
):
    base = f"http://{tenant.slug}.localhost:{live_server}"
    before = scrape(client)
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    refused_id = _sign_in(page, base, "admin@example.org", "not-the-password-1")
    signed_in_id = _sign_in(page, base, "admin@example.org", PASSWORD)
    page.goto(f"{base}/settings/audit-trail")
    trail = page.locator("main").inner_text()
    page.close()
    assert refused_id != signed_in_id

    # the log: one line per request, under the id the browser got, with who and how it went
    logged = {line["request_id"]: line for line in request_lines}
    assert logged[refused_id]["route"] == "/login" and logged[refused_id]["principal"] is None
    assert logged[signed_in_id]["status"] == 302 and logged[signed_in_id]["tenant"] == tenant.slug
    trail_line = next(line for line in request_lines if line["route"] == "/settings/audit-trail")
    assert trail_line["status"] == 200 and trail_line["principal"].startswith("user:")

    # the metrics: the same requests counted by route and status
    after = scrape(client)

    def delta(**labels):
        return metric_value(after, "tessera_http_requests_total", **labels) - metric_value(
            before, "tessera_http_requests_total", **labels
        )

    assert delta(route="/login", method="POST", status="302") >= 1
    assert delta(route="/settings/audit-trail", method="GET", status="200") >= 1

    # the audit trail, on its page and through the API: both sign-ins, from the browser's requests
    assert "Sign-in refused" in trail and "Signed in" in trail
    admin = api(tenant, login_as(tenant, "org_admin"))
    entries = admin.get("/api/v1/audit-events?per_page=50").get_json()["data"]
    by_request = {entry["request_id"]: entry for entry in entries}
    assert by_request[refused_id]["action"] == "auth.sign_in_failed"
    assert by_request[refused_id]["outcome"] == "failure"
    assert by_request[signed_in_id]["action"] == "auth.signed_in"
    assert by_request[signed_in_id]["ip"] == "127.0.0.1"

    # and the probes answer
    assert client.get("/healthz").get_json() == {"status": "ok"}
