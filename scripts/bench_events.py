"""Event delivery benchmark: committed event -> subscriber done, through the outbox, RQ and real workers.

    python -m scripts.bench_events [--events 10000] [--workers 2] [--latency-samples 100]

1. Latency: one idle worker; events committed one at a time, each timed from its commit until its
   delivery row reads done (polled every 2 ms). Target: p95 under 1 s.
2. Throughput: `--events` events committed (500 per transaction), relayed, and delivered by `--workers`
   event workers (`flask worker --events`). Target: 10 000 in under 30 s on 2 workers. The CPU seconds
   each part used meanwhile, and the machine's load, are printed too: on a shared machine the wall time
   says as much about the neighbours as about the code.
The subscriber is the real one of `class.members_added` (enrolling new members of a class in its courses).
Prints the figures, and JSON on the last line.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa
from flask_migrate import upgrade as upgrade_control_plane

from app import CONTROL_MIGRATIONS, create_app
from app.events import emit_after_commit
from app.events.models import DeliveryStatus, EventDelivery
from app.extensions import db
from app.jobs import EventWorker, get_event_queue, redis_connection
from app.tenancy.context import tenant_context
from app.tenancy.provisioning import provision_tenant
from config import Config
from tests.support.services import RedisServer


def worker_main(config_json):
    app = create_app(Config, **json.loads(config_json))
    with app.app_context():
        EventWorker([get_event_queue()], connection=redis_connection()).work()  # `flask worker --events`


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


def _emit_one(session):
    emit_after_commit(session, "class.members_added", class_id=1, user_ids=[1], role="student")


def _done_count():
    db.session.rollback()  # a fresh snapshot
    return db.session.scalar(sa.select(sa.func.count()).where(EventDelivery.status == DeliveryStatus.DONE))


def measure_latency(samples):
    """Inside the tenant: commit one event at a time, wait for its delivery."""
    latencies = []
    for number in range(samples):
        _emit_one(db.session)
        begin = time.perf_counter()
        db.session.commit()  # the relay runs in here, as in a request
        while _done_count() < number + 1:
            time.sleep(0.002)
        latencies.append((time.perf_counter() - begin) * 1000)
    return {
        "samples": len(latencies),
        "p50_ms": round(statistics.median(latencies), 1),
        "p95_ms": round(percentile(latencies, 0.95), 1),
    }


def cpu_seconds(pid):
    """User + system CPU seconds a process has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure_throughput(events, workers, processes):
    """Inside the tenant: commit `events` events, 500 per transaction, and wait until all are delivered.
    `processes` ({role: [pid]}): whose CPU time to report, so that runs on a shared machine compare."""
    already = _done_count()
    cpu_before = {role: sum(cpu_seconds(pid) for pid in pids) for role, pids in processes.items()}
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    for number in range(events):
        _emit_one(db.session)
        if number % 500 == 499:
            db.session.commit()
    db.session.commit()
    relayed = time.perf_counter() - started
    while _done_count() < already + events:
        time.sleep(0.05)
    elapsed = time.perf_counter() - started
    cpu = {role: sum(cpu_seconds(pid) for pid in pids) - cpu_before[role] for role, pids in processes.items()}
    return {
        "events": events,
        "workers": workers,
        "committed_and_queued_seconds": round(relayed, 2),
        "delivered_seconds": round(elapsed, 2),
        "events_per_second": round(events / elapsed, 1),
        "cpu_seconds": {role: round(seconds, 1) for role, seconds in cpu.items()},
        "load_average": [round(load_before, 1), round(os.getloadavg()[0], 1)],
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--latency-samples", type=int, default=100)
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker_main(args.worker)
        return

    redis = RedisServer()
    workers = []
    settings = {
        "INSTANCE_DIR": tempfile.mkdtemp(prefix="tessera-bench-events-"),
        "REDIS_URL": redis.url,
        "LMS_BASE_DOMAIN": "localhost:5000",
        "RQ_QUEUE": "bench-events",
    }

    def start_worker():
        command = [sys.executable, "-m", "scripts.bench_events", "--worker", json.dumps(settings)]
        workers.append(subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        time.sleep(3)  # up and idle

    try:
        app = create_app(Config, **settings)
        with app.app_context():
            upgrade_control_plane(directory=str(CONTROL_MIGRATIONS))
            tenant = provision_tenant("bench", "Bench", "admin@example.org", "bench-passphrase-0").tenant.ref()
        start_worker()
        with tenant_context(tenant, app):
            latency = measure_latency(args.latency_samples)
        print(f"committed -> subscriber done, idle worker: p50 {latency['p50_ms']} ms, p95 {latency['p95_ms']} ms")
        for _ in range(args.workers - 1):
            start_worker()
        with tenant_context(tenant, app):
            processes = {"emitter": [os.getpid()], "workers": [w.pid for w in workers], "redis": [redis.process.pid]}
            throughput = measure_throughput(args.events, args.workers, processes)
        print(
            f"{args.events} events on {args.workers} workers: committed and queued in "
            f"{throughput['committed_and_queued_seconds']} s, all delivered in {throughput['delivered_seconds']} s "
            f"({throughput['events_per_second']}/s)"
        )
        cpu, load = throughput["cpu_seconds"], throughput["load_average"]
        print(
            f"CPU seconds meanwhile: emitter and relay {cpu['emitter']}, workers {cpu['workers']}, redis {cpu['redis']}"
            f" (machine load average {load[0]} before, {load[1]} after, on {os.cpu_count()} cores)"
        )
        print(json.dumps({"latency": latency, "throughput": throughput}))
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.wait()
        redis.stop()


if __name__ == "__main__":
    main()
