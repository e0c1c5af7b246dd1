"""A real event worker process, as `flask worker --events` runs in production, with the app's own subscribers:
`python -m tests.support.event_worker` (config as `tests.support.worker` reads it). It waits for work until it is
stopped, so that a test can measure how soon an event reaches its subscribers."""

import json
import os
import subprocess
import sys
import time

from rq import Worker

from app import create_app
from app.jobs import EventWorker, get_event_queue, redis_connection
from config import TestConfig

CONFIG_KEYS = ("INSTANCE_DIR", "CONTROL_DATABASE_URL", "TENANT_DATABASE_URL_TEMPLATE", "REDIS_URL", "RQ_QUEUE")


def start_event_worker(app, timeout=30):
    """Start the process and wait until it listens on the event queue; returns the `Popen` (stop it)."""
    config = {key: app.config[key] for key in (*CONFIG_KEYS, "LMS_BASE_DOMAIN")}
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.support.event_worker"],
        env={**os.environ, "TESSERA_TEST_APP_CONFIG": json.dumps(config)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    queue = get_event_queue(app)
    deadline = time.monotonic() + timeout
    while Worker.count(queue=queue) == 0:
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError("the event worker did not start")
        time.sleep(0.05)
    return process


def stop(process):
    process.terminate()  # RQ's warm shutdown: it finishes the job at hand
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def main():
    app = create_app(TestConfig, **json.loads(os.environ["TESSERA_TEST_APP_CONFIG"]))
    with app.app_context():
        EventWorker([get_event_queue()], connection=redis_connection()).work()


if __name__ == "__main__":
    main()
