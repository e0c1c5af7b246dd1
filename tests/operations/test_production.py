"""The production profile for real: `gunicorn -c gunicorn.conf.py wsgi:app` with 2 workers, `flask worker` and
`flask worker --events`, on this session's databases and Redis. Counters add up over the processes."""

import importlib.util
import json
import os
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from app.jobs import enqueue
from tests.conftest import build_app
from tests.support import operations
from tests.support.operations import metric_value
from tests.support.services import free_port, scratch_dir

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "production-metrics-token-0123456789abcdef"
REQUESTS = 120


def production_env(app, port, metrics_dir, queue):
    config = app.config
    return {
        **os.environ,
        "LMS_ENV": "production",
        "SECRET_KEY": "production-test-secret-key-0123456789abcdef0123456789abcdef",
        "JWT_SECRET_KEY": "production-test-jwt-key-0123456789abcdef0123456789abcdef",
        "CONTROL_DATABASE_URL": config["CONTROL_DATABASE_URL"],
        "TENANT_DATABASE_URL_TEMPLATE": config["TENANT_DATABASE_URL_TEMPLATE"],
        "LMS_BASE_DOMAIN": config["LMS_BASE_DOMAIN"],
        "LMS_INSTANCE_DIR": config["INSTANCE_DIR"],
        "REDIS_URL": config["REDIS_URL"],
        "RQ_QUEUE": queue,
        "LMS_METRICS_TOKEN": TOKEN,
        "LMS_TRUSTED_PROXIES": "1",
        "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
        "WEB_CONCURRENCY": "2",
        "GUNICORN_THREADS": "2",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "FLASK_APP": "wsgi",
    }


def wait_for(check, seconds, what):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise AssertionError(f"{what} within {seconds} s")


@pytest.fixture
def production(app, app_config, tmp_path):
    port = free_port()
    metrics_dir = Path(scratch_dir("tessera-metrics-"))
    (metrics_dir / "counter_999999999.db").write_bytes(b"")  # a process long gone
    # queues of its own: workers other tests of this process registered (one SIGKILLed, whose registration outlives
    # it) must not make it ready; `queueing` enqueues onto them
    queue = f"production-{uuid.uuid4().hex[:8]}"
    env = production_env(app, port, metrics_dir, queue)
    logs = tmp_path / "gunicorn.out"
    processes = []

    def start(*command, stdout=subprocess.DEVNULL):
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=stdout, stderr=subprocess.DEVNULL)
        processes.append(process)
        return process

    with logs.open("w") as out:
        gunicorn = start(sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app", stdout=out)
    base = f"http://127.0.0.1:{port}"

    def answers():
        try:
            return httpx.get(f"{base}/healthz", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    wait_for(answers, 60, "gunicorn answered /healthz")
    queueing = build_app(app_config, RQ_QUEUE=queue)
    yield {
        "base": base,
        "start": start,
        "gunicorn": gunicorn,
        "logs": logs,
        "metrics_dir": metrics_dir,
        "queueing": queueing,
    }
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


def scrape(base):
    response = httpx.get(f"{base}/metrics", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10)
    assert response.status_code == 200
    return response.text


def test_gunicorn_in_production_is_healthy_ready_with_workers_and_counts_over_its_processes(app, tenant, production):
    base, metrics_dir = production["base"], production["metrics_dir"]
    assert not (metrics_dir / "counter_999999999.db").exists()
    assert httpx.get(f"{base}/readyz", timeout=10).status_code == 503  # no worker yet
    assert httpx.get(f"{base}/metrics", timeout=10).status_code == 403  # a token is configured: loopback too

    workers = [
        production["start"](sys.executable, "-m", "flask", "worker"),
        production["start"](sys.executable, "-m", "flask", "worker", "--events"),
    ]
    wait_for(lambda: httpx.get(f"{base}/readyz", timeout=10).status_code == 200, 60, "/readyz said ok")

    before = metric_value(scrape(base), "tessera_http_requests_total", route="/healthz", method="GET", status="200")
    with ThreadPoolExecutor(8) as pool:  # a connection per request: both workers take their share
        statuses = list(pool.map(lambda _n: httpx.get(f"{base}/healthz", timeout=10).status_code, range(REQUESTS)))
    assert statuses == [200] * REQUESTS
    counted = metric_value(scrape(base), "tessera_http_requests_total", route="/healthz", method="GET", status="200")
    assert counted - before == REQUESTS
    web_files = [path for path in metrics_dir.glob("counter_*.db") if "horse" not in path.name]
    assert len(web_files) >= 2, "both gunicorn workers answered"

    with production["queueing"].app_context():
        for _ in range(2):
            enqueue(tenant, operations.request_id_seen_by_job)
        enqueue(tenant, operations.failing_job, retries=0)
    fine, failing = "tests.support.operations.request_id_seen_by_job", "tests.support.operations.failing_job"

    def jobs_counted():
        text = scrape(base)
        runs = metric_value(text, "tessera_job_duration_seconds_count", job=fine)
        return runs == 2 and metric_value(text, "tessera_jobs_failed_total", job=failing) == 1

    wait_for(jobs_counted, 60, "the worker's jobs appeared in the web's metrics")
    # Each job ran in a work horse of its own, and all of them wrote to their worker's file.
    assert [path.name for path in metrics_dir.glob("counter_horse-of-*.db")] == [
        f"counter_horse-of-{workers[0].pid}.db"
    ]

    forwarded = httpx.get(f"{base}/healthz", headers={"X-Forwarded-For": "198.51.100.7"}, timeout=10)
    request_id = forwarded.headers["X-Request-Id"]

    def logged():
        lines = [json.loads(line) for line in production["logs"].read_text().splitlines() if line.startswith("{")]
        return [line for line in lines if line.get("request_id") == request_id]

    wait_for(logged, 10, "the request's JSON line was written")
    [line] = logged()
    assert (line["logger"], line["route"], line["remote_addr"], line["status"]) == (
        "tessera.request",
        "/healthz",
        "198.51.100.7",
        200,
    )


def test_gunicorns_own_lines_are_json_lines_like_the_apps_from_start_to_stop(production):
    gunicorn = production["gunicorn"]
    assert httpx.get(f"{production['base']}/healthz", timeout=10).status_code == 200
    gunicorn.terminate()  # SIGTERM, as systemd stops it
    gunicorn.wait(timeout=30)
    lines = [json.loads(line) for line in production["logs"].read_text().splitlines()]  # every line: JSON
    own = [line for line in lines if line["logger"] == "gunicorn.error"]
    assert {line["level"] for line in own} == {"info"} and all(line["time"].endswith("Z") for line in own)
    by_master = [line["message"] for line in own if line["pid"] == gunicorn.pid]
    assert by_master[0].startswith("Starting gunicorn") and by_master[-1] == "Shutting down: Master"
    assert any(message.startswith("Listening at: http://127.0.0.1:") for message in by_master)
    booted = [line for line in own if line["message"].startswith("Booting worker with pid: ")]
    assert len(booted) == 2 and all(line["message"].endswith(str(line["pid"])) for line in booted)
    assert gunicorn.pid not in {line["pid"] for line in booted}  # each written by its worker
    assert any(line["logger"] == "tessera.request" and line["route"] == "/healthz" for line in lines)


def test_gunicorns_config_leaves_the_app_out_of_the_master():
    """The master formats its lines with the app's formatter without importing the app: workers forked from a
    master that had would keep its code after a `kill -HUP`."""
    script = (
        "import runpy, sys; runpy.run_path('gunicorn.conf.py'); print('app' in sys.modules, 'flask' in sys.modules)"
    )
    ran = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True)
    assert ran.stdout.split() == ["False", "False"]


def test_the_web_server_keeps_running_workers_metric_files_at_its_start(tmp_path, monkeypatch):
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    spec = importlib.util.spec_from_file_location("gunicorn_conf_under_test", ROOT / "gunicorn.conf.py")
    config = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(config)
    alive, gone = os.getpid(), 999_999_999
    names = [
        f"counter_{alive}.db",
        f"histogram_horse-of-{alive}.db",
        f"counter_{gone}.db",
        f"counter_horse-of-{gone}.db",
    ]
    for name in names:
        (tmp_path / name).write_bytes(b"")
    config.on_starting(None)
    assert sorted(path.name for path in tmp_path.iterdir()) == sorted(names[:2])
