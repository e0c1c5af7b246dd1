"""An announcement to 10 000 people: the sending job's in-app rows, written set-based, in under 10 s (issue 15).

    python -m scripts.bench_announcements [--backend sqlite|postgres] [--people 10000] [--body-chars 600]

A fresh organization gets `--people` active students by bulk insert (as `scripts/analytics_data.py` makes its
people), then its org admin announces to the whole organization and the sending job
(`announcements.send_announcement`, what the RQ worker runs) is timed in this process, with every SQL statement
counted (an executemany counts once) and the time of `notify`'s parts measured by wrapping them: the effective
cadences (`preferences.effective`), the rendering per person (`rendering.render_compiled`), the inserts
(`producing._insert`) and what runs after each commit (e-mail jobs queued, bells published on Redis). The last
line printed is the JSON of the figures.

`producing._insert` was measured here in two ways (docs/notifications.md, "Announcements"): an ORM
`insert().values(rows)` of 1 000 rows compiled afresh for every chunk, and the executemany of one Core statement
that main now uses (4 times less CPU).
"""

import argparse
import json
import shutil
import tempfile
import time
from collections import Counter
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa

from app.extensions import db
from app.jobs import get_queue
from app.security.actor import Actor
from app.security.passwords import hash_password
from app.tenancy.context import tenant_context
from app.tenancy.engines import engine_for
from app.tenancy.models import utcnow
from blueprints.notifications import announcements, producing
from blueprints.notifications.models import Announcement, Notification
from blueprints.users.models import User
from blueprints.users.services import principal_for_user
from scripts.analytics_data import PASSWORD, USER_COLUMNS, _Writer, fresh_tenant
from tests.support.services import PostgresServer, RedisServer

ROOT = Path(__file__).resolve().parents[1]
TARGET_SECONDS = 10.0


def make_people(count):
    """`count` active students with an e-mail address each, in bulk; returns their ids."""
    writer = _Writer()
    first = writer.next_id("users")
    password_hash = hash_password(PASSWORD)
    now = utcnow()
    stamp = now if writer.postgres else now.strftime("%Y-%m-%d %H:%M:%S.%f")
    rows = (
        (u, f"student{u}@gen.example", "Student", f"No. {u}", "student", password_hash, True, stamp, stamp)
        for u in range(first, first + count)
    )
    writer.write("users", (*USER_COLUMNS, "updated_at"), rows)
    writer.reset_sequences(["users"])
    db.session.commit()
    return list(range(first, first + count))


class Parts:
    """Seconds and calls of the functions `notify` is made of, measured by wrapping them where it calls them."""

    def __init__(self):
        self.seconds, self.calls = Counter(), Counter()

    @contextmanager
    def wrapped(self, module, names):
        originals = {name: getattr(module, name) for name in names}

        def timed(name, function):
            def wrapper(*args, **kwargs):
                begin = time.perf_counter()
                try:
                    return function(*args, **kwargs)
                finally:
                    self.seconds[name] += time.perf_counter() - begin
                    self.calls[name] += 1

            return wrapper

        for name, function in originals.items():
            setattr(module, name, timed(name, function))
        try:
            yield self
        finally:
            for name, function in originals.items():
                setattr(module, name, function)


@contextmanager
def counted_statements(engine):
    """Every statement the engine runs: (kind of statement, first words) -> how many."""
    seen = Counter()

    def count(_conn, _cursor, statement, _parameters, _context, executemany):
        words = " ".join(statement.split()[:3])
        seen[("executemany " if executemany else "") + words] += 1

    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)


def bench(backend, people, body_chars, redis_url, postgres_url=None):
    workdir = tempfile.mkdtemp(prefix="tessera-bench-announcements-")
    try:
        return _bench_in(workdir, backend, people, body_chars, redis_url, postgres_url)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)  # 10 000 notifications of a long body: hundreds of MB


def _bench_in(workdir, backend, people, body_chars, redis_url, postgres_url):
    with (
        fresh_tenant(backend, workdir, redis_url, postgres_url) as (app, tenant, _settings),
        tenant_context(tenant, app),
    ):
        started = time.perf_counter()
        make_people(people)
        made_in = time.perf_counter() - started
        admin = db.session.scalar(sa.select(User).where(User.role == "org_admin"))
        body = ("All lessons move online on Friday; the timetable stays the same. " * (body_chars // 60 + 1))[
            :body_chars
        ]
        announcement = announcements.create_announcement(
            {"title": "Campus closed on Friday", "body": body, "audience": "organization"},
            Actor(principal_for_user(admin.id)),
        )
        get_queue().empty()  # the job runs here, timed, rather than in a worker
        engine = engine_for(tenant)
        parts = Parts()
        with (
            counted_statements(engine) as statements,
            parts.wrapped(producing, ["effective", "render_compiled", "_insert", "_after_commit"]),
            parts.wrapped(announcements, ["notify", "audience_people"]),
        ):
            begin, cpu = time.perf_counter(), time.process_time()
            outcome = announcements.send_announcement(announcement.id)
            seconds, cpu = time.perf_counter() - begin, time.process_time() - cpu
        told = db.session.scalar(
            sa.select(sa.func.count(Notification.id)).where(Notification.announcement_id == announcement.id)
        )
        row = db.session.get(Announcement, announcement.id)
        pending_jobs = get_queue().count
        get_queue().empty()
    notify_seconds = parts.seconds["notify"]
    return {
        "backend": backend,
        "people": people,
        "body_chars": body_chars,
        "people_made_seconds": round(made_in, 2),
        "outcome": outcome,
        "status": row.status,
        "recipients": row.recipients,
        "rows_written": told,
        "seconds": round(seconds, 2),
        "cpu_seconds": round(cpu, 2),
        "target_seconds": TARGET_SECONDS,
        "met": seconds < TARGET_SECONDS and told == people,
        "statements": sum(statements.values()),
        "statements_by_kind": dict(statements.most_common()),
        "notify_seconds": round(notify_seconds, 2),
        "parts_seconds": {name: round(value, 2) for name, value in parts.seconds.items()},
        "parts_calls": dict(parts.calls),
        "render_ms_per_person": round(1000 * parts.seconds["render_compiled"] / max(people, 1), 3),
        "other_notify_seconds": round(
            notify_seconds - sum(parts.seconds[name] for name in ("effective", "render_compiled", "_insert")),
            2,
        ),
        "email_jobs_queued": pending_jobs,
    }


def print_result(result):
    verdict = "met" if result["met"] else "NOT met"
    print(
        f"Announcement to {result['people']} people on {result['backend']} (body {result['body_chars']} characters)"
        f": {result['rows_written']} in-app rows in {result['seconds']} s "
        f"(target < {TARGET_SECONDS} s: {verdict}; this process's CPU {result['cpu_seconds']} s), "
        f"{result['statements']} SQL statements"
    )
    parts = result["parts_seconds"]
    print(
        f"  the audience in one SELECT; notify {result['notify_seconds']} s in "
        f"{result['parts_calls'].get('notify', 0)} chunks: cadences {parts.get('effective', 0)} s, rendering "
        f"{parts.get('render_compiled', 0)} s ({result['render_ms_per_person']} ms a person), inserts "
        f"{parts.get('_insert', 0)} s, the rest of notify (people's names, building rows) "
        f"{result['other_notify_seconds']} s; after each commit (e-mail jobs, bells) {parts.get('_after_commit', 0)} s"
    )
    for kind, count in result["statements_by_kind"].items():
        print(f"    {count:>5}  {kind}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--body-chars", type=int, default=600)
    args = parser.parse_args()
    redis = RedisServer()
    postgres = PostgresServer() if args.backend == "postgres" else None
    try:
        result = bench(args.backend, args.people, args.body_chars, redis.url, postgres.url if postgres else None)
    finally:
        redis.stop()
        if postgres:
            postgres.stop()
    print_result(result)
    out = ROOT / "bench-results"
    out.mkdir(exist_ok=True)
    (out / f"announcements-{args.backend}.json").write_text(json.dumps(result, indent=2))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
