"""`/healthz` and `/readyz`: on any host, never rate limited; readiness names what failed only to those allowed."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from rq import Worker
from rq.utils import utcformat

from app.jobs import enqueue, get_event_queue, get_queue, redis_connection
from tests.conftest import build_app, run_jobs
from tests.support import operations
from tests.support.browser import Browser

TOKEN = "metrics-token-for-the-health-tests-0123456789"
HOSTS = ("localhost:5000", "nobody-here.localhost:5000", "10.1.2.3", "203.0.113.9:8080")
CHECKS = {"control_database", "tenant_database", "redis", "workers", "queues"}


@pytest.fixture(scope="module")
def ops_app(app_config):
    # queues of its own: workers other tests of this process started (and one SIGKILLed, whose registration
    # outlives it) must not count as this app's
    return build_app(app_config, METRICS_TOKEN=TOKEN, READY_MAX_QUEUE=3, RQ_QUEUE=f"ready-{uuid.uuid4().hex[:8]}")


@pytest.fixture
def ops_client(ops_app):
    return ops_app.test_client()


@pytest.fixture
def workers(ops_app):
    """Registered RQ workers of both queues, as `flask worker` and `flask worker --events` register themselves."""
    started = []

    def start(*queues, heartbeat=None):
        with ops_app.app_context():
            worker = Worker(list(queues), connection=redis_connection())
            worker.register_birth()
            if heartbeat is not None:
                worker.connection.hset(worker.key, "last_heartbeat", utcformat(heartbeat))
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.register_death()


def detail(client, **headers):
    return client.get("/readyz", headers={"Authorization": f"Bearer {TOKEN}", **headers})


def test_healthz_answers_on_every_host_without_a_rate_limit(ops_client):
    for host in HOSTS:
        response = ops_client.get("/healthz", headers={"Host": host})
        assert (response.status_code, response.get_json()) == (200, {"status": "ok"}), host
        assert "X-RateLimit-Limit" not in response.headers and response.headers["Cache-Control"] == "no-store"


def test_readyz_is_not_ready_without_workers_and_says_why_only_to_the_token(ops_app, ops_client, tenant, workers):
    for host in HOSTS:
        response = ops_client.get("/readyz", headers={"Host": host})
        assert (response.status_code, response.get_json()) == (503, {"status": "not ok"}), host
    body = detail(ops_client).get_json()
    assert body["status"] == "not ok" and set(body["checks"]) == CHECKS
    failed = {name for name, check in body["checks"].items() if not check["ok"]}
    assert failed == {"workers"}
    assert all(check["ms"] >= 0 for check in body["checks"].values())
    with ops_app.app_context():
        jobs, events = get_queue().name, get_event_queue().name
    assert body["checks"]["workers"]["alive"] == {jobs: 0, events: 0}

    workers(get_queue(ops_app))
    assert detail(ops_client).get_json()["checks"]["workers"]["alive"] == {jobs: 1, events: 0}
    workers(get_event_queue(ops_app), heartbeat=datetime.now(UTC) - timedelta(minutes=9))  # a worker gone quiet
    assert detail(ops_client).status_code == 503
    workers(get_event_queue(ops_app))
    ready = ops_client.get("/readyz", headers={"Host": "nobody-here.localhost:5000"})
    assert (ready.status_code, ready.get_json()) == (200, {"status": "ok"})
    assert detail(ops_client).get_json()["checks"]["workers"]["alive"] == {jobs: 1, events: 1}


def test_a_long_queue_is_not_ready(ops_app, ops_client, tenant, workers):
    workers(get_queue(ops_app))
    workers(get_event_queue(ops_app))
    assert detail(ops_client).status_code == 200
    with ops_app.app_context():
        for _ in range(3):
            enqueue(tenant, operations.request_id_seen_by_job)
    body = detail(ops_client).get_json()
    assert body["status"] == "not ok" and not body["checks"]["queues"]["ok"]
    assert body["checks"]["queues"]["depth"][get_queue(ops_app).name] == 3
    run_jobs(ops_app)
    assert detail(ops_client).status_code == 200


def test_a_signed_in_platform_operator_sees_the_checks_and_nobody_else_does(ops_app, operator_token, tenant):
    operator = Browser(ops_app, None)
    operator.sign_in("operator@example.org")
    assert set(operator.get("/readyz").get_json()["checks"]) == CHECKS
    admin = Browser(ops_app, tenant)
    admin.sign_in("admin@example.org")
    assert "checks" not in admin.get("/readyz").get_json()
    for headers in ({"Authorization": f"Bearer {operator_token}"}, {"Authorization": f"Basic {TOKEN}"}):
        assert "checks" not in ops_app.test_client().get("/readyz", headers=headers).get_json()


def test_readyz_says_which_dependency_is_down(app_config, tenant):
    unreachable = build_app(app_config, METRICS_TOKEN=TOKEN, REDIS_URL="redis://127.0.0.1:9/0")
    body = detail(unreachable.test_client()).get_json()
    assert body["status"] == "not ok"
    assert {name for name, check in body["checks"].items() if not check["ok"]} == {"redis", "workers", "queues"}
    assert "Connection" in body["checks"]["redis"]["error"]
