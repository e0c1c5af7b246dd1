"""Every response names its request, errors quote it, and the jobs a request queues run under it."""

from app.jobs import enqueue, get_queue
from app.observability.request_id import assign_request_id
from tests.conftest import run_jobs
from tests.support import operations

MISSING = "/api/v1/no-such-resource"


def test_every_response_carries_a_request_id_and_a_good_incoming_one_is_kept(api, tenant):
    first = api(tenant).get("/")
    second = api(tenant).get("/")
    ids = [first.headers["X-Request-Id"], second.headers["X-Request-Id"]]
    assert all(len(value) == 32 for value in ids) and ids[0] != ids[1]
    kept = api(tenant).get("/", headers={"X-Request-Id": "lb-7f3a9c21.edge"})
    assert kept.headers["X-Request-Id"] == "lb-7f3a9c21.edge"
    for unacceptable in ("short", "has spaces in it", "x" * 65, "<script>alert(1)</script>"):
        replaced = api(tenant).get("/", headers={"X-Request-Id": unacceptable})
        assert replaced.headers["X-Request-Id"] not in (unacceptable, "")
    assert api(tenant).get("/static/css/app.css").headers["X-Request-Id"]


def test_an_api_error_envelope_quotes_the_request_id_after_its_details(api, tenant, client):
    response = api(tenant).get(MISSING, headers={"X-Request-Id": "support-ticket-1234"})
    body = response.get_json()
    assert response.status_code == 404
    assert list(body) == ["success", "data", "meta", "error"]
    assert list(body["error"]) == ["code", "message", "details", "request_id"]
    assert body["error"]["request_id"] == response.headers["X-Request-Id"] == "support-ticket-1234"
    unauthorized = api(tenant).get("/api/v1/auth/me")
    assert unauthorized.status_code == 401
    assert unauthorized.get_json()["error"]["request_id"] == unauthorized.headers["X-Request-Id"]
    unknown_host = client.get(MISSING, headers={"Host": "nobody-here.localhost:5000"})
    assert unknown_host.status_code == 404
    assert unknown_host.get_json()["error"]["request_id"] == unknown_host.headers["X-Request-Id"]


def test_an_error_page_shows_the_reference_in_small_print(api, tenant, client):
    page = api(tenant).get("/no-such-page")
    assert page.status_code == 404
    html = page.get_data(as_text=True)
    assert f'Reference: <span translate="no">{page.headers["X-Request-Id"]}</span>' in html
    unknown_host = client.get("/", headers={"Host": "nobody-here.localhost:5000"})
    assert unknown_host.headers["X-Request-Id"] in unknown_host.get_data(as_text=True)
    assert "Reference:" not in api(tenant).get("/").get_data(as_text=True)


def test_a_job_runs_under_the_id_of_the_request_that_queued_it(app, tenant):
    with app.test_request_context("/", headers={"X-Request-Id": "queued-by-request-42"}):
        assign_request_id()
        from_request = enqueue(tenant, operations.request_id_seen_by_job)
    with app.app_context():
        from_command = enqueue(tenant, operations.request_id_seen_by_job)
        platform = enqueue(None, operations.request_id_seen_by_job)
    assert from_request.meta["request_id"] == "queued-by-request-42"
    run_jobs(app)
    assert from_request.return_value() == "queued-by-request-42"
    assert from_command.return_value() is None and platform.return_value() is None


def test_a_password_reset_queues_its_mail_under_the_request_id(api, tenant, app):
    response = api(tenant).post(
        "/api/v1/auth/forgot-password",
        json={"email": "admin@example.org"},
        headers={"X-Request-Id": "reset-request-0001"},
    )
    assert response.status_code == 202
    with app.app_context():
        queued = [job for job in get_queue().jobs if "send_password_reset" in job.args[1]]
    assert [job.meta["request_id"] for job in queued] == ["reset-request-0001"]
    run_jobs(app)
