"""Notification e-mail benchmark: 10 000 pending e-mails sent by 2 RQ workers to a local SMTP server.

    python -m scripts.bench_notification_mail [--emails 10000] [--workers 2] [--backend sqlite|postgres]

An announcement to `--emails` people is written with `producing.notify` (which queues jobs of 100 after its
commit); `--workers` forking RQ workers (`flask worker`, as production runs them) send them over SMTP to a
sink on loopback that counts what it accepts (aiosmtpd in this process: parsing nothing, so that the figure is
the sender's). Target (issue 15): 50 or more messages per second. Also measured, in this process over one batch
of 100: the SQL statements a batch costs. The workers' CPU seconds and the machine's load average are printed:
on a shared machine the wall time says as much about the neighbours as about the code.
Prints the figures, and JSON on the last line.
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import sqlalchemy as sa
from aiosmtpd.controller import Controller
from flask_migrate import upgrade as upgrade_control_plane
from rq import Worker

from app import CONTROL_MIGRATIONS, create_app
from app.extensions import db
from app.jobs import get_queue, redis_connection
from app.tenancy.context import tenant_context
from app.tenancy.engines import engine_for
from app.tenancy.provisioning import provision_tenant
from blueprints.notifications.delivery import send_batch
from blueprints.notifications.models import EmailStatus, Notification
from blueprints.notifications.producing import notify
from blueprints.users.models import User
from config import Config
from tests.support.services import PostgresServer, RedisServer, free_port

MESSAGE_ID = re.compile(rb"^Message-ID: *(\S+)", re.MULTILINE | re.IGNORECASE)


class CountingSink:
    """An SMTP server that accepts everything and keeps only each message's Message-ID."""

    def __init__(self):
        self.message_ids = []
        self.lock = threading.Lock()
        sink = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):
                found = MESSAGE_ID.search(envelope.content)
                with sink.lock:
                    sink.message_ids.append(found.group(1) if found else b"")
                return "250 OK"

        self.port = free_port()
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self):
        self.controller.stop()


def worker_main(config_json):
    app = create_app(Config, **json.loads(config_json))
    with app.app_context():
        Worker([get_queue()], connection=redis_connection()).work(burst=False)  # `flask worker`


def cpu_seconds(pid):
    """User + system CPU seconds of a process and its children waited for (the forked work horses)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = sum(int(value) for value in fields[11:15])
    return ticks / os.sysconf("SC_CLK_TCK")


def add_people(count, prefix):
    rows = [{"email": f"{prefix}{n}@bench.example", "first_name": f"P{n}", "role": "student"} for n in range(count)]
    for start in range(0, count, 1000):
        db.session.execute(sa.insert(User), rows[start : start + 1000])
    db.session.commit()
    return db.session.scalars(sa.select(User.id).where(User.email.like(f"{prefix}%"))).all()


def announce(user_ids, key):
    notify(
        "announcement",
        user_ids,
        source_key=key,
        context={
            "announcement": {
                "title": "Campus closed on Friday",
                "body": "The campus is closed on Friday; lessons continue online.\n\nSee you on Monday.",
                "author": "Grace Hopper",
            }
        },
        link="/notifications",
    )
    db.session.commit()


def statements_per_batch(app, tenant):
    """Send one batch of 100 here, counting the SQL statements it runs."""
    with tenant_context(tenant, app):
        people = add_people(100, "batch")
        db.session.execute(sa.text("SELECT 1"))  # (the engine exists before listening)
        announce(people, "bench-batch")  # its own jobs are queued: nobody works the queue yet, they find nothing
        ids = db.session.scalars(sa.select(Notification.id).where(Notification.source_key == "bench-batch")).all()
        engine = engine_for(tenant)
        count = [0]

        def counted(*_args):
            count[0] += 1

        sa.event.listen(engine, "before_cursor_execute", counted)
        try:
            sent = send_batch(ids)
        finally:
            sa.event.remove(engine, "before_cursor_execute", counted)
    get_queue(app).empty()
    return {"batch": len(ids), "sent": len(sent), "statements": count[0]}


def settings_for(args, redis, sink):
    """The app's settings; on PostgreSQL, a throw-away server (returned too) holds every database."""
    settings = {
        "INSTANCE_DIR": tempfile.mkdtemp(prefix="tessera-bench-mail-"),
        "REDIS_URL": redis.url,
        "LMS_BASE_DOMAIN": "localhost:5000",
        "RQ_QUEUE": "bench-notification-mail",
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": sink.port,
    }
    if args.backend != "postgres":
        return settings, None
    postgres = PostgresServer()
    engine = sa.create_engine(f"{postgres.url}/postgres", isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(sa.text('CREATE DATABASE "tessera_control"'))
    engine.dispose()
    settings["CONTROL_DATABASE_URL"] = f"{postgres.url}/tessera_control"
    settings["TENANT_DATABASE_URL_TEMPLATE"] = f"{postgres.url}/tessera_{{slug}}"
    return settings, postgres


def measure(args, app, tenant, sink, workers):
    """Announce to `args.emails` people with the workers idle; the figures once the server has every message."""
    with tenant_context(tenant, app):
        people = add_people(args.emails, "p")
    already = len(sink.message_ids)
    cpu_before = sum(cpu_seconds(worker.pid) for worker in workers)
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    with tenant_context(tenant, app):
        announce(people, "bench")
    written = time.perf_counter() - started
    deadline = time.monotonic() + 1800
    while len(sink.message_ids) < already + args.emails and time.monotonic() < deadline:
        time.sleep(0.05)
    elapsed = time.perf_counter() - started
    time.sleep(0.5)  # the last row's commit, just after the server's answer
    with tenant_context(tenant, app):
        states = dict(
            db.session.execute(
                sa.select(Notification.email_status, sa.func.count())
                .where(Notification.source_key == "bench")
                .group_by(Notification.email_status)
            ).all()
        )
    received = sink.message_ids[already:]
    return {
        "backend": args.backend,
        "emails": args.emails,
        "workers": args.workers,
        "written_and_queued_seconds": round(written, 2),
        "all_accepted_seconds": round(elapsed, 2),
        "messages_per_second": round(len(received) / (elapsed - written), 1),
        "received": len(received),
        "duplicates": len(received) - len(set(received)),
        "states": states,
        "worker_cpu_seconds": round(sum(cpu_seconds(worker.pid) for worker in workers) - cpu_before, 1),
        "load_average": [round(load_before, 1), round(os.getloadavg()[0], 1)],
        "cores": os.cpu_count(),
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--emails", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker_main(args.worker)
        return

    redis, sink, workers = RedisServer(), CountingSink(), []
    settings, postgres = settings_for(args, redis, sink)
    try:
        app = create_app(Config, **settings)
        with app.app_context():
            upgrade_control_plane(directory=str(CONTROL_MIGRATIONS))
            tenant = provision_tenant("bench", "Bench Academy", "admin@example.org", "bench-passphrase-0").tenant.ref()
        batch = statements_per_batch(app, tenant)
        print(f"one batch of {batch['batch']} e-mails: {batch['statements']} SQL statements ({batch['sent']} sent)")
        for _ in range(args.workers):
            command = [sys.executable, "-m", "scripts.bench_notification_mail", "--worker", json.dumps(settings)]
            workers.append(subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        time.sleep(5)  # up and idle
        figures = measure(args, app, tenant, sink, workers) | {"statements_per_batch_of_100": batch["statements"]}
        print(
            f"{args.emails} e-mails ({args.backend}) on {args.workers} workers: written and queued in "
            f"{figures['written_and_queued_seconds']} s, all accepted by the SMTP server in "
            f"{figures['all_accepted_seconds']} s: {figures['messages_per_second']} messages/s after the commit "
            f"({figures['received']} received, {figures['duplicates']} duplicates; rows {figures['states']})"
        )
        print(
            f"workers' CPU seconds meanwhile {figures['worker_cpu_seconds']} (load average "
            f"{figures['load_average'][0]} before, {figures['load_average'][1]} after, on {os.cpu_count()} cores)"
        )
        print(json.dumps(figures))
        if figures["states"].get(EmailStatus.SENT, 0) != args.emails:
            sys.exit("not every e-mail was marked sent")
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.wait()
        sink.stop()
        redis.stop()
        if postgres is not None:
            postgres.stop()


if __name__ == "__main__":
    main()
