"""`/metrics`: Prometheus text with bounded labels, behind a token (or loopback only, without one)."""

import pytest

from app.events.relay import sweep
from app.jobs import enqueue, get_event_queue, get_queue
from app.observability.metrics import tenant_labels
from tests.conftest import PASSWORD, build_app, run_jobs
from tests.support import operations
from tests.support.imports import HEADER, run
from tests.support.integrations import make_oneroster_integration, roster_zip, sample_files, sync_roster
from tests.support.operations import metric_value, scrape

TOKEN = "metrics-token-for-the-metrics-tests-0123456789"
REQUESTS = "tessera_http_requests_total"


@pytest.fixture(autouse=True)
def earlier_jobs_run(app):
    """Jobs earlier tests of this process left on the session's queues run first: the depths and deliveries these
    tests count are their own."""
    run_jobs(app)


@pytest.fixture(scope="module")
def token_app(app_config):
    return build_app(app_config, METRICS_TOKEN=TOKEN)


def test_without_a_token_only_this_machine_reads_metrics_directly(client):
    assert client.get("/metrics").status_code == 200
    assert client.get("/metrics", headers={"Host": "nobody-here.localhost:5000"}).status_code == 200
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "10.0.0.5"}).status_code == 403
    proxied = client.get("/metrics", headers={"X-Forwarded-For": "203.0.113.7"})  # a proxy on this machine
    assert proxied.status_code == 403


def test_with_a_token_everyone_needs_it(token_app):
    client = token_app.test_client()
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {TOKEN}"}):
        assert client.get("/metrics", headers=headers).status_code == 403
    remote = client.get(
        "/metrics", headers={"Authorization": f"Bearer {TOKEN}"}, environ_base={"REMOTE_ADDR": "10.0.0.5"}
    )
    assert remote.status_code == 200 and remote.mimetype == "text/plain"
    assert "# TYPE tessera_http_requests_total counter" in remote.get_data(as_text=True)


def test_requests_are_counted_by_route_rule_method_and_status(app, api, client, tenant, login_as, monkeypatch):
    # room in the label budget for this test's organization, however many earlier tests of this process made
    monkeypatch.setitem(app.config, "METRICS_MAX_TENANTS", len(tenant_labels) + 10)
    token = login_as(tenant, "teacher")
    before = scrape(client)
    for _ in range(5):
        assert api(tenant, token).get("/api/v1/auth/me").status_code == 200
    api(tenant).get("/api/v1/auth/me")  # 401
    api(tenant).get(f"/api/v1/courses/{2**40}")  # no route for so big an id: unmatched
    api(tenant).open("PROPFIND", "/api/v1/auth/me")
    after = scrape(client)

    def delta(name, **labels):
        return metric_value(after, name, **labels) - metric_value(before, name, **labels)

    me = {"route": "/api/v1/auth/me", "method": "GET"}
    assert delta(REQUESTS, **me, status="200") == 5
    assert delta(REQUESTS, **me, status="401") == 1
    assert delta(REQUESTS, route="<unmatched>", method="GET", status="404") == 1
    assert delta(REQUESTS, route="<unmatched>", method="OTHER", status="405") == 1
    assert delta("tessera_http_request_duration_seconds_count", **me) == 6
    assert delta("tessera_http_request_duration_seconds_bucket", **me, le="+Inf") == 6
    assert delta("tessera_tenant_requests_total", tenant=tenant.slug) == 8
    assert str(2**40) not in after


def test_organizations_past_the_label_budget_count_as_other(api, client, make_tenant, app):
    first, second = make_tenant(), make_tenant()
    app.config["METRICS_MAX_TENANTS"] = len(tenant_labels) + 1
    try:
        before = scrape(client)
        for tenant in (first, second, second):
            api(tenant).get("/healthz")
            api(tenant).get("/")
        after = scrape(client)
    finally:
        app.config["METRICS_MAX_TENANTS"] = 200
    labelled = "tessera_tenant_requests_total"
    assert metric_value(after, labelled, tenant=first.slug) - metric_value(before, labelled, tenant=first.slug) == 1
    assert metric_value(after, labelled, tenant=second.slug) == 0
    assert metric_value(after, labelled, tenant="other") - metric_value(before, labelled, tenant="other") == 2


def test_jobs_and_queues(app, client, tenant):
    before = scrape(client)
    with app.app_context():
        enqueue(tenant, operations.failing_job, retries=0)
        enqueue(tenant, operations.request_id_seen_by_job)
        queue = get_queue().name
    waiting = scrape(client)
    assert metric_value(waiting, "tessera_queue_depth", queue=queue) == 2
    run_jobs(app)
    after = scrape(client)
    failing, fine = "tests.support.operations.failing_job", "tests.support.operations.request_id_seen_by_job"
    assert metric_value(after, "tessera_queue_depth", queue=queue) == 0
    assert (
        metric_value(after, "tessera_jobs_failed_total", job=failing)
        - metric_value(before, "tessera_jobs_failed_total", job=failing)
        == 1
    )
    assert metric_value(after, "tessera_jobs_failed_total", job=fine) == 0
    for job in (failing, fine):
        runs = "tessera_job_duration_seconds_count"
        assert metric_value(after, runs, job=job) - metric_value(before, runs, job=job) == 1


def test_the_relay_lag_is_the_age_of_the_oldest_waiting_event(app, api, client, tenant):
    signed_in = api(tenant).post("/api/v1/auth/login", json={"email": "admin@example.org", "password": PASSWORD})
    with app.app_context():
        deliveries = get_event_queue().jobs
    assert deliveries and {job.meta["request_id"] for job in deliveries} == {signed_in.headers["X-Request-Id"]}
    sweep(app)
    waiting = scrape(client)
    assert metric_value(waiting, "tessera_event_relay_lag_seconds") > 0
    assert metric_value(waiting, "tessera_event_relay_last_sweep_timestamp_seconds") > 0
    run_jobs(app)
    sweep(app)
    assert metric_value(scrape(client), "tessera_event_relay_lag_seconds") == 0


def test_import_rows_are_counted_per_batch(app, api, client, tenant, login_as):
    rows = "".join(f"person{n}@example.org,P{n},Lee,student,,,,\n" for n in range(7))
    before = metric_value(scrape(client), "tessera_import_rows_total", kind="import")
    app.config["IMPORT_BATCH_SIZE"] = 3
    try:
        result = run(app, api(tenant, login_as(tenant, "org_admin")), HEADER + rows)
    finally:
        app.config["IMPORT_BATCH_SIZE"] = 2000
    assert result["status"] == "done"
    assert metric_value(scrape(client), "tessera_import_rows_total", kind="import") - before == 7


def test_roster_rows_are_counted_per_batch(app, api, client, tenant, login_as):
    people = len(sample_files()["users.csv"].strip().splitlines()) - 1
    before = metric_value(scrape(client), "tessera_import_rows_total", kind="roster")
    admin = api(tenant, login_as(tenant, "org_admin"))
    synced = sync_roster(app, admin, make_oneroster_integration(app, tenant), roster_zip())
    assert synced["status"] == "done"
    assert metric_value(scrape(client), "tessera_import_rows_total", kind="roster") - before == people
