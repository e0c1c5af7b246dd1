"""Behind LMS_TRUSTED_PROXIES proxies the app sees the client's address and scheme from X-Forwarded-*; with none
trusted, anyone could send those headers, and they change nothing."""

import json
import uuid

import pytest
from flask import request, url_for

from app.security.rate_limits import limiter
from tests.conftest import build_app, run_jobs
from tests.support.auth import FORGOT, reset_token_from

CLIENT_A, CLIENT_B = "198.51.100.7", "203.0.113.20"


def app_behind(app_config, proxies):
    app = build_app(
        app_config,
        RQ_QUEUE=f"proxies-{uuid.uuid4().hex[:8]}",  # its own rate-limit counters
        RATELIMIT_ANONYMOUS="2 per minute",
        TRUSTED_PROXIES=proxies,
        LOG_FORMAT="json",
    )

    @app.get("/_seen")
    def seen():
        return {"remote_addr": request.remote_addr, "link": url_for("operations.healthz", _external=True)}

    return app


@pytest.fixture(params=[1, 0], ids=["one proxy", "no proxy"])
def proxied(request, app_config):
    app = app_behind(app_config, request.param)
    with app.app_context():
        limiter.reset()  # counts of an earlier test's requests from the same addresses
    return request.param, app


def forwarded(client, address, proto="https"):
    return client.get("/_seen", headers={"X-Forwarded-For": address, "X-Forwarded-Proto": proto})


def test_the_client_address_and_scheme_are_believed_only_from_a_trusted_proxy(proxied, capsys):
    proxies, app = proxied
    client = app.test_client()
    capsys.readouterr()
    seen = forwarded(client, CLIENT_A).get_json()
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    [logged] = [line["remote_addr"] for line in lines if line["logger"] == "tessera.request"]
    if proxies:
        assert seen == {"remote_addr": CLIENT_A, "link": "https://localhost/healthz"}
        assert logged == CLIENT_A
    else:
        assert seen == {"remote_addr": "127.0.0.1", "link": "http://localhost/healthz"}
        assert logged == "127.0.0.1"


def test_the_anonymous_rate_limit_counts_per_client_behind_a_trusted_proxy(proxied):
    proxies, app = proxied
    client = app.test_client()
    assert [forwarded(client, CLIENT_A).status_code for _ in range(3)] == [200, 200, 429]
    other_client = forwarded(client, CLIENT_B).status_code
    assert other_client == (200 if proxies else 429)  # without a trusted proxy, everyone is the proxy's address


def test_mail_links_come_from_the_configuration_never_from_the_request(app_config, tenant, mailbox):
    app = build_app(app_config, TRUSTED_PROXIES=1, LMS_URL_SCHEME="https")
    response = app.test_client().post(
        FORGOT,
        json={"email": "admin@example.org"},
        headers={
            "Host": f"{tenant.slug}.localhost:5000",
            "X-Forwarded-Proto": "http",
            "X-Forwarded-For": CLIENT_A,
        },
    )
    assert response.status_code == 202
    run_jobs(app)
    link, _token = reset_token_from(mailbox.to("admin@example.org")[-1])
    assert link.startswith(f"https://{tenant.slug}.localhost:5000/reset-password?token=")
