"""Webhook delivery benchmark: events fanned out to subscriptions and delivered, signed, to a local receiver.

    python -m scripts.bench_webhooks [--events 10000] [--subscriptions 3] [--workers 2] [--backend sqlite|postgres]

`--events` events are committed (500 per transaction) in an organization whose webhook integration has
`--subscriptions` subscriptions to every event, all to one receiver on loopback (its own process: a
`ThreadingHTTPServer` answering 200 with keep-alive). `--workers` event workers (`flask worker --events`) relay the
events, run the webhooks' subscriber and send the deliveries. Measured from the first commit until every delivery
reads succeeded. Target: 200 deliveries/s or more with 2 workers. Prints the figures, and JSON on the last line.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import sqlalchemy as sa
from flask_migrate import upgrade as upgrade_control_plane

from app import CONTROL_MIGRATIONS, create_app
from app.events import emit_after_commit
from app.extensions import db
from app.jobs import EventWorker, get_event_queue, redis_connection
from app.security.sealing import seal
from app.tenancy.context import tenant_context
from app.tenancy.provisioning import provision_tenant
from blueprints.integrations.models import (
    DeliveryStatus,
    Integration,
    IntegrationKind,
    WebhookDelivery,
    WebhookSubscription,
)
from blueprints.integrations.signing import new_signing_secret
from config import Config
from tests.support.services import PostgresServer, RedisServer, free_port


def worker_main(config_json):
    app = create_app(Config, **json.loads(config_json))
    with app.app_context():
        EventWorker([get_event_queue()], connection=redis_connection()).work()  # `flask worker --events`


def receiver_main(port):
    """A receiver answering 200 to every POST, keeping connections alive (as real receivers do)."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self):  # http.server's name
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    server.serve_forever()


def cpu_seconds(pid):
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def count(status):
    db.session.rollback()  # a fresh snapshot
    return db.session.scalar(sa.select(sa.func.count(WebhookDelivery.id)).where(WebhookDelivery.status == status))


def measure(events, subscriptions, processes, timeout):
    cpu_before = {role: sum(cpu_seconds(pid) for pid in pids) for role, pids in processes.items()}
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    for number in range(events):
        emit_after_commit(db.session, "user.registered", user_id=number + 1)
        if number % 500 == 499:
            db.session.commit()  # the relay runs in here, as in a request
    db.session.commit()
    committed = time.perf_counter() - started
    expected = events * subscriptions
    while (done := count(DeliveryStatus.SUCCEEDED)) < expected:
        if time.perf_counter() - started > timeout:
            raise RuntimeError(f"only {done} of {expected} deliveries succeeded in {timeout} s")
        time.sleep(0.1)
    elapsed = time.perf_counter() - started
    cpu = {role: sum(cpu_seconds(pid) for pid in pids) - cpu_before[role] for role, pids in processes.items()}
    return {
        "events": events,
        "subscriptions": subscriptions,
        "deliveries": expected,
        "committed_and_queued_seconds": round(committed, 2),
        "delivered_seconds": round(elapsed, 2),
        "deliveries_per_second": round(expected / elapsed, 1),
        "failed": count(DeliveryStatus.FAILED),
        "cpu_seconds": {role: round(seconds, 1) for role, seconds in cpu.items()},
        "load_average": [round(load_before, 1), round(os.getloadavg()[0], 1)],
    }


def on_postgres(settings):
    """A throw-away PostgreSQL server holding every database; `settings` pointed at it. Returns the server."""
    postgres = PostgresServer()
    engine = sa.create_engine(f"{postgres.url}/postgres", isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(sa.text('CREATE DATABASE "tessera_control"'))
    engine.dispose()
    settings["CONTROL_DATABASE_URL"] = f"{postgres.url}/tessera_control"
    settings["TENANT_DATABASE_URL_TEMPLATE"] = f"{postgres.url}/tessera_{{slug}}"
    return postgres


def report(result, workers):
    print(
        f"{result['backend']}: {result['events']} events x {result['subscriptions']} subscriptions on {workers} "
        f"workers: {result['deliveries']} deliveries in {result['delivered_seconds']} s "
        f"({result['deliveries_per_second']} deliveries/s; events committed in "
        f"{result['committed_and_queued_seconds']} s; {result['failed']} failed)"
    )
    cpu, load = result["cpu_seconds"], result["load_average"]
    print(
        f"CPU seconds meanwhile: emitter and relay {cpu['emitter']}, workers {cpu['workers']}, receiver "
        f"{cpu['receiver']}, redis {cpu['redis']} (load average {load[0]} before, {load[1]} after, on "
        f"{os.cpu_count()} cores)"
    )
    print(json.dumps(result))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--subscriptions", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=600)
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--receiver", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker_main(args.worker)
        return
    if args.receiver:
        receiver_main(args.receiver)
        return

    redis = RedisServer()
    children = []
    settings = {
        "INSTANCE_DIR": tempfile.mkdtemp(prefix="tessera-bench-webhooks-"),
        "REDIS_URL": redis.url,
        "LMS_BASE_DOMAIN": "localhost:5000",
        "RQ_QUEUE": "bench-webhooks",
        "OUTBOUND_ALLOW_PRIVATE_ADDRESSES": True,  # the receiver is on loopback
    }
    port = free_port()
    postgres = on_postgres(settings) if args.backend == "postgres" else None

    def start(*extra):
        command = [sys.executable, "-m", "scripts.bench_webhooks", *extra]
        children.append(subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        return children[-1]

    try:
        app = create_app(Config, **settings)
        with app.app_context():
            upgrade_control_plane(directory=str(CONTROL_MIGRATIONS))
            tenant = provision_tenant("bench", "Bench", "admin@example.org", "bench-passphrase-0").tenant.ref()
        receiver = start("--receiver", str(port))
        workers = [start("--worker", json.dumps(settings)) for _ in range(args.workers)]
        time.sleep(3)  # up and idle
        with tenant_context(tenant, app):
            integration = Integration(
                kind=IntegrationKind.WEBHOOK,
                name="Bench receiver",
                settings={},
                secrets_sealed=seal({"current": new_signing_secret()}, purpose="integrations"),
            )
            db.session.add(integration)
            db.session.flush()
            for number in range(args.subscriptions):
                db.session.add(
                    WebhookSubscription(integration_id=integration.id, url=f"http://127.0.0.1:{port}/hooks/{number}")
                )
            db.session.commit()
            processes = {
                "emitter": [os.getpid()],
                "workers": [worker.pid for worker in workers],
                "receiver": [receiver.pid],
                "redis": [redis.process.pid],
            }
            result = measure(args.events, args.subscriptions, processes, args.timeout)
        result["backend"] = args.backend
        report(result, args.workers)
    finally:
        for child in children:
            child.terminate()
        for child in children:
            child.wait()
        redis.stop()
        if postgres is not None:
            postgres.stop()


if __name__ == "__main__":
    main()
