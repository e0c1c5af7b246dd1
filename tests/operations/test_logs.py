"""One JSON line per request and per job on stdout, with the request id; never a secret."""

import json

import pytest

from app import create_app
from app.jobs import enqueue
from tests.conftest import PASSWORD, build_app, make_user, run_jobs, user_token
from tests.support.operations import failing_job

ME = "/api/v1/auth/me"


@pytest.fixture(scope="module")
def json_app(app_config):
    return build_app(app_config, LOG_FORMAT="json")


@pytest.fixture
def json_client(json_app):
    return json_app.test_client()


def log_lines(capsys, logger):
    """The JSON lines `logger` wrote to stdout since the last call."""
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    return [line for line in lines if line["logger"] == logger]


def host_of(tenant):
    return {"Host": f"{tenant.slug}.localhost:5000"}


def test_a_request_logs_one_json_line_with_who_what_and_how_long(json_app, json_client, tenant, capsys):
    user_id = make_user(json_app, tenant, "teacher")
    token = user_token(json_app, tenant, user_id, "teacher")
    capsys.readouterr()
    response = json_client.get(ME, headers={**host_of(tenant), "Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    [line] = log_lines(capsys, "tessera.request")
    assert line["request_id"] == response.headers["X-Request-Id"]
    assert line["level"] == "info" and line["time"].endswith("Z")
    assert {key: line[key] for key in ("tenant", "principal", "method", "route", "status", "remote_addr")} == {
        "tenant": tenant.slug,
        "principal": f"user:{user_id}",
        "method": "GET",
        "route": ME,
        "status": 200,
        "remote_addr": "127.0.0.1",
    }
    assert line["duration_ms"] > 0
    assert line["queries"] >= 2  # the token's sign-in and person, on the tenant's database

    json_client.get("/healthz")
    [probe] = log_lines(capsys, "tessera.request")
    assert (probe["route"], probe["status"], probe["queries"], probe["tenant"], probe["principal"]) == (
        "/healthz",
        200,
        0,
        None,
        None,
    )


def test_the_route_is_logged_never_the_path_or_query_string_or_a_password(json_client, tenant, capsys):
    secret = "reset-token-that-must-never-be-logged"
    capsys.readouterr()
    json_client.get(f"/reset-password?token={secret}", headers=host_of(tenant))
    json_client.get(f"/courses/{secret}/nothing", headers=host_of(tenant))
    json_client.post(
        "/api/v1/auth/login", json={"email": "admin@example.org", "password": PASSWORD}, headers=host_of(tenant)
    )
    output = capsys.readouterr().out
    assert secret not in output and PASSWORD not in output and "access_token" not in output
    lines = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    routes = [(line["route"], line["status"]) for line in lines if line["logger"] == "tessera.request"]
    assert routes == [("/reset-password", 200), ("<unmatched>", 404), ("/api/v1/auth/login", 200)]


def test_a_job_logs_its_line_under_the_request_that_queued_it(json_app, json_client, tenant, capsys):
    response = json_client.post(
        "/api/v1/auth/forgot-password", json={"email": "admin@example.org"}, headers=host_of(tenant)
    )
    with json_app.app_context():
        enqueue(tenant, failing_job, retries=0)
    capsys.readouterr()
    run_jobs(json_app)
    jobs = {line["job"]: line for line in log_lines(capsys, "tessera.job")}
    mail = jobs["blueprints.auth.jobs.send_password_reset"]
    assert mail["request_id"] == response.headers["X-Request-Id"]
    assert (mail["tenant"], mail["outcome"]) == (tenant.slug, "succeeded")
    assert mail["duration_ms"] > 0 and mail["queries"] >= 1
    failed = jobs["tests.support.operations.failing_job"]
    assert (failed["outcome"], failed["request_id"]) == ("failed", None)


def test_text_lines_in_development_and_no_other_format(app_config, capsys):
    text_app = build_app(app_config, LOG_FORMAT="text")
    capsys.readouterr()
    response = text_app.test_client().get("/healthz")
    line = capsys.readouterr().out.strip().splitlines()[-1]
    assert f"INFO [{response.headers['X-Request-Id']}] tessera.request: GET /healthz 200" in line
    assert "duration_ms=" in line and "queries=0" in line
    with pytest.raises(RuntimeError, match="LMS_LOG_FORMAT"):
        create_app(LOG_FORMAT="xml", **app_config)
