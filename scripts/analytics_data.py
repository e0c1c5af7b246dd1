"""Generated history for one organization, fast: what the analytics benchmark and its tests read.

    python -m scripts.analytics_data [--learners 50000] [--progress 1000000] [--courses 200] [--backend sqlite]

`generate(...)` runs inside a tenant context (`tenant_context`) and fills the source tables with Core bulk
inserts in batches (COPY on PostgreSQL): branches, classes, learners with branch and class memberships,
teachers and branch managers, courses of 5 to 20 items, about 5 enrollments per learner (some with a class,
some ended, due dates of which some are past), item progress spread over the last 180 days, the time spent
on each completed item and per day (consistent with `enrollments.seconds_spent`), completions, sign-ins over
the last 90 days, and quizzes with graded attempts in a third of the courses. No events are emitted: the read
model is rebuilt afterwards (`blueprints/analytics/readmodel.rebuild`). Every person gets the same password
hash, computed once. The same seed gives the same data.
"""

import argparse
import contextlib
import math
import random
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from flask_migrate import upgrade as upgrade_control_plane

from app import CONTROL_MIGRATIONS, create_app
from app.extensions import db
from app.security.passwords import hash_password
from app.tenancy.context import require_tenant, tenant_context
from app.tenancy.engines import engine_for
from app.tenancy.models import utcnow
from app.tenancy.provisioning import provision_tenant
from config import Config

BATCH = 20_000  # rows per executemany on SQLite
HISTORY_DAYS = 180  # item progress spreads over this many days before now
SIGN_IN_DAYS = 90
ENROLLMENTS_PER_LEARNER = 5
TEACHERS_PER_BRANCH = 5
QUIZ_COURSE_SHARE = 3  # one course in three has a quiz
PASSWORD = "analytics-bench-password"  # noqa: S105 - every generated person's, in a throw-away organization


@dataclass
class Generated:
    """What the caller needs to sign people in and size its requests."""

    counts: dict = field(default_factory=dict)
    seconds: float = 0.0
    branch_ids: list = field(default_factory=list)
    class_ids: list = field(default_factory=list)
    course_ids: list = field(default_factory=list)
    manager_ids: list = field(default_factory=list)  # one per branch, in branch order
    teacher_ids: list = field(default_factory=list)
    learner_ids: list = field(default_factory=list)
    password: str = PASSWORD


class _Writer:
    """Bulk rows into tables on the session's connection: COPY on PostgreSQL, executemany elsewhere."""

    def __init__(self):
        self.connection = db.session.connection(bind_arguments={"bind": engine_for(require_tenant())})
        self.postgres = self.connection.dialect.name == "postgresql"
        self.counts = {}

    def next_id(self, table):
        sql = f"SELECT max(id) FROM {table}"  # noqa: S608 - our own table names, never input
        return (self.connection.scalar(sa.text(sql)) or 0) + 1

    def write(self, table, columns, rows):
        """`rows` is any iterable of tuples in `columns` order; consumed in batches, never held whole."""
        written = 0
        batch = []
        for row in rows:
            batch.append(row)
            if len(batch) >= BATCH:
                self._flush(table, columns, batch)
                written += len(batch)
                batch = []
        if batch:
            self._flush(table, columns, batch)
            written += len(batch)
        self.counts[table] = self.counts.get(table, 0) + written
        return written

    def _flush(self, table, columns, batch):
        if self.postgres:
            raw = self.connection.connection.driver_connection
            with raw.cursor() as cursor, cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in batch:
                    copy.write_row(row)
            return
        placeholders = ", ".join("?" for _ in columns)
        raw = self.connection.connection.driver_connection
        sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders})"  # noqa: S608 - our names
        raw.executemany(sql, batch)

    def reset_sequences(self, tables):
        """Explicit ids bypass PostgreSQL's sequences: move them past the rows written."""
        if not self.postgres:
            return
        for table in tables:
            sql = f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"  # noqa: S608
            self.connection.execute(sa.text(sql))


def _sqlite_value(value):
    """SQLite keeps dates as text: the same text SQLAlchemy writes, so that comparisons in SQL hold."""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, date):
        return value.isoformat()
    return value


def generate(learners=50_000, progress=1_000_000, courses=200, branches=10, classes=300, seed=7, now=None):
    """Fill the current tenant's database; returns a `Generated`. One transaction, committed at the end."""
    started = time.perf_counter()
    builder = _Builder(random.Random(seed), (now or utcnow()).replace(microsecond=0))
    builder.school(branches, classes)
    builder.people(learners)
    builder.courses(courses)
    builder.learning(progress)
    builder.sign_ins()
    builder.writer.reset_sequences(SEQUENCED_TABLES)
    db.session.commit()
    analyze()
    out = builder.out
    out.counts = {"learners": learners, **builder.writer.counts}
    out.seconds = round(time.perf_counter() - started, 1)
    return out


SEQUENCED_TABLES = (
    "branches",
    "classes",
    "users",
    "courses",
    "course_modules",
    "content_items",
    "content_versions",
    "quizzes",
    "enrollments",
    "item_progress",
    "item_time",
    "quiz_attempts",
    "branch_memberships",
    "class_memberships",
)
USER_COLUMNS = ("id", "email", "first_name", "last_name", "role", "password_hash", "is_active", "created_at")
COURSE_COLUMNS = ("id", "title", "slug", "summary", "description_html", "status", "self_enrollment")
QUIZ_COLUMNS = ("id", "course_id", "title", "description_html", "grading_method", "pass_percent", "published")
ENROLLMENT_COLUMNS = ("id", "course_id", "user_id", "class_id", "status", "self_enrolled", "enrolled_at")
ENROLLMENT_COLUMNS += ("due_at", "completed_at", "seconds_spent", "last_reported_at")
ATTEMPT_COLUMNS = ("id", "quiz_id", "user_id", "number", "status", "seed", "started_at", "submitted_at")
ATTEMPT_COLUMNS += ("auto_submitted", "score", "max_score", "percent", "passed")
SIGN_IN_COLUMNS = ("id", "user_id", "kind", "user_agent", "created_at", "revoked_at")
PASS_PERCENT = 60.0


class _Builder:
    """The steps of `generate`, in order; each knows the ids the earlier ones gave."""

    def __init__(self, rng, now):
        self.rng, self.now = rng, now
        self.writer = _Writer()
        self.stamp = (lambda value: value) if self.writer.postgres else _sqlite_value
        self.out = Generated()
        self.branch_of = {}  # person -> branch
        self.classes_of = {}  # learner -> classes
        self.items_of = {}  # course -> item ids
        self.quiz_of = {}  # course -> quiz

    def school(self, branches, classes):
        write, stamp, now = self.writer.write, self.stamp, self.now
        first = self.writer.next_id("branches")
        self.out.branch_ids = list(range(first, first + branches))
        write(
            "branches",
            ("id", "code", "name", "settings", "created_at", "updated_at"),
            ((b, f"gen-{b}", f"Generated branch {b}", "{}", stamp(now), stamp(now)) for b in self.out.branch_ids),
        )
        first = self.writer.next_id("classes")
        self.out.class_ids = list(range(first, first + classes))
        self.class_branch = {c: self.out.branch_ids[n % branches] for n, c in enumerate(self.out.class_ids)}
        write(
            "classes",
            ("id", "branch_id", "name", "created_at", "updated_at"),
            ((c, b, f"Class {c}", stamp(now), stamp(now)) for c, b in self.class_branch.items()),
        )

    def people(self, learners):
        """A manager per branch, TEACHERS_PER_BRANCH teachers, learners; one password hash for all."""
        out, rng, stamp, now = self.out, self.rng, self.stamp, self.now
        branches = len(out.branch_ids)
        first = self.writer.next_id("users")
        out.manager_ids = list(range(first, first + branches))
        first += branches
        out.teacher_ids = list(range(first, first + branches * TEACHERS_PER_BRANCH))
        first += len(out.teacher_ids)
        out.learner_ids = list(range(first, first + learners))
        self.people_roles = [
            *((u, "branch_manager") for u in out.manager_ids),
            *((u, "teacher") for u in out.teacher_ids),
            *((u, "student") for u in out.learner_ids),
        ]
        password_hash = hash_password(PASSWORD)
        joined = stamp(now - timedelta(days=HISTORY_DAYS + 20))
        self.writer.write(
            "users",
            (*USER_COLUMNS, "updated_at"),
            (
                (
                    u,
                    f"{role}{u}@gen.example",
                    role.replace("_", " ").title(),
                    f"No. {u}",
                    role,
                    password_hash,
                    True,
                    joined,
                    joined,
                )
                for u, role in self.people_roles
            ),
        )
        for group in (out.manager_ids, out.teacher_ids, out.learner_ids):
            self.branch_of.update({u: out.branch_ids[n % branches] for n, u in enumerate(group)})
        self.writer.write(
            "branch_memberships",
            ("branch_id", "user_id", "role", "created_at"),
            ((self.branch_of[u], u, role, joined) for u, role in self.people_roles),
        )
        # Each teacher teaches classes of their branch in turn; a learner is in one class of their branch, one
        # learner in two in a second one.
        classes_of_branch = {b: [c for c, cb in self.class_branch.items() if cb == b] for b in out.branch_ids}
        teachers_of_branch = {b: [t for t in out.teacher_ids if self.branch_of[t] == b] for b in out.branch_ids}
        rows = []
        for b, class_list in classes_of_branch.items():
            rows.extend(
                (c, teachers_of_branch[b][n % TEACHERS_PER_BRANCH], "teacher") for n, c in enumerate(class_list)
            )
        for u in out.learner_ids:
            own = classes_of_branch[self.branch_of[u]]
            picked = {rng.choice(own)} if own else set()
            if own and rng.random() < 0.5:
                picked.add(rng.choice(own))
            self.classes_of[u] = sorted(picked)
            rows.extend((c, u, "student") for c in self.classes_of[u])
        self.writer.write(
            "class_memberships", ("class_id", "user_id", "role", "created_at"), ((*row, joined) for row in rows)
        )

    def courses(self, courses):
        """5 to 20 text items in modules of 8, one teacher each; a quiz in one course in QUIZ_COURSE_SHARE."""
        out, rng, stamp = self.out, self.rng, self.stamp
        made = stamp(self.now - timedelta(days=365))
        first = self.writer.next_id("courses")
        out.course_ids = list(range(first, first + courses))
        self.course_teacher = {c: out.teacher_ids[n % len(out.teacher_ids)] for n, c in enumerate(out.course_ids)}
        self.writer.write(
            "courses",
            (*COURSE_COLUMNS, "created_by_id", "created_at", "updated_at"),
            (
                (c, f"Generated course {c}", f"gen-course-{c}", "", "", "published", False, teacher, made, made)
                for c, teacher in self.course_teacher.items()
            ),
        )
        self.writer.write("course_teachers", ("course_id", "user_id"), self.course_teacher.items())
        module_id, item_id = self.writer.next_id("course_modules"), self.writer.next_id("content_items")
        modules, items = [], []
        for c in out.course_ids:
            count = rng.randint(5, 20)
            for n in range(count):
                if n % 8 == 0:
                    modules.append((module_id, c, f"Module {n // 8 + 1}", n // 8))
                    module_id += 1
                items.append((item_id, c, module_id - 1, "text", f"Lesson {n + 1}", n, 1, made))
                self.items_of.setdefault(c, []).append(item_id)
                item_id += 1
        self.writer.write("course_modules", ("id", "course_id", "title", "position"), modules)
        self.writer.write(
            "content_items",
            ("id", "course_id", "module_id", "kind", "title", "position", "published_version", "created_at"),
            items,
        )
        self.writer.write(
            "content_versions",
            ("item_id", "number", "body", "change_note", "created_at"),
            ((item[0], 1, f"<p>{item[4]}</p>", "", made) for item in items),
        )
        first = self.writer.next_id("quizzes")
        self.quiz_of = {c: first + n for n, c in enumerate(out.course_ids[::QUIZ_COURSE_SHARE])}
        self.writer.write(
            "quizzes",
            (
                *QUIZ_COLUMNS,
                "shuffle_questions",
                "shuffle_options",
                "layout",
                "review_score",
                "review_answers",
                "review_feedback",
                "created_by_id",
                "created_at",
                "updated_at",
            ),
            (
                (
                    q,
                    c,
                    f"Check {q}",
                    "",
                    "highest",
                    PASS_PERCENT,
                    True,
                    False,
                    True,
                    "all_on_one",
                    "immediately",
                    "after_close",
                    "immediately",
                    self.course_teacher[c],
                    made,
                    made,
                )
                for c, q in self.quiz_of.items()
            ),
        )

    def learning(self, progress):
        """About ENROLLMENTS_PER_LEARNER enrollments each (a long tail of popular courses), `progress` item rows."""
        out, rng = self.out, self.rng
        courses = len(out.course_ids)
        weights = [1 / math.sqrt(n + 1) for n in range(courses)]
        mean_items = sum(len(v) for v in self.items_of.values()) / courses
        share = min(1.0, progress / (ENROLLMENTS_PER_LEARNER * len(out.learner_ids) * mean_items))
        # A learner starts an enrollment with probability `started`; a started one is finished 40 % of the time,
        # else about half done: 0.7 x started is the share of all possible item rows asked for.
        self.started_share = min(1.0, share / 0.7)
        self.ids = {table: self.writer.next_id(table) for table in ("enrollments", "item_progress", "item_time")}
        self.ids["quiz_attempts"] = self.writer.next_id("quiz_attempts")
        self.pending = {table: [] for table in ("enrollments", "item_progress", "item_time", "time_by_day")}
        self.pending["quiz_attempts"] = []
        for u in out.learner_ids:
            how_many = max(1, min(courses, round(rng.gauss(ENROLLMENTS_PER_LEARNER, 1.5))))
            picked = set()
            while len(picked) < how_many:
                picked.add(rng.choices(out.course_ids, weights)[0])
            for c in sorted(picked):
                self._enrollment(u, c)
            if len(self.pending["item_progress"]) >= BATCH:
                self._flush_learning()
        self._flush_learning()

    def _enrollment(self, u, c):
        rng, now, stamp, pending = self.rng, self.now, self.stamp, self.pending
        e = self._next("enrollments")
        enrolled_at = now - timedelta(seconds=rng.randint(3600, HISTORY_DAYS * 86400))
        due_at = enrolled_at + timedelta(days=rng.choice((30, 45, 60, 90))) if rng.random() < 0.6 else None
        items = self.items_of[c]
        done = 0
        if rng.random() < self.started_share:
            done = len(items) if rng.random() < 0.4 else rng.randint(1, len(items))
        moment, seconds, last_reported, per_day = enrolled_at, 0, None, {}
        step = max(61, int((now - enrolled_at).total_seconds() / (done + 1) * 1.5))
        for item in items[:done]:
            moment = min(now, moment + timedelta(seconds=rng.randint(60, step)))  # each item a little later
            spent = rng.randint(60, 900)
            seconds += spent
            last_reported = moment
            per_day[moment.date()] = per_day.get(moment.date(), 0) + spent
            pending["item_progress"].append((self._next("item_progress"), e, item, stamp(moment)))
            pending["item_time"].append((self._next("item_time"), e, item, spent, stamp(moment)))
        pending["time_by_day"].extend((e, stamp(day), spent) for day, spent in per_day.items())
        completed_at = last_reported if done and done == len(items) else None
        status = "unenrolled" if rng.random() < 0.04 else "active"
        class_id = next((k for k in self.classes_of[u] if rng.random() < 0.3), None)
        pending["enrollments"].append(
            (
                e,
                c,
                u,
                class_id,
                status,
                False,
                stamp(enrolled_at),
                stamp(due_at),
                stamp(completed_at),
                seconds,
                stamp(last_reported),
            )
        )
        quiz = self.quiz_of.get(c)
        if quiz and done >= len(items) // 2:
            for number in range(1, rng.choice((1, 1, 2, 3)) + 1):
                submitted = min(now, (last_reported or enrolled_at) + timedelta(hours=number))
                percent = round(rng.uniform(30, 100), 1)
                pending["quiz_attempts"].append(
                    (
                        self._next("quiz_attempts"),
                        quiz,
                        u,
                        number,
                        "graded",
                        rng.randint(1, 2**31 - 1),
                        stamp(submitted - timedelta(minutes=20)),
                        stamp(submitted),
                        False,
                        percent / 10,
                        10.0,
                        percent,
                        percent >= PASS_PERCENT,
                    )
                )

    def _next(self, table):
        value = self.ids[table]
        self.ids[table] += 1
        return value

    def _flush_learning(self):
        """Enrollments first: the other rows point at them."""
        for table, columns in (
            ("enrollments", ENROLLMENT_COLUMNS),
            ("item_progress", ("id", "enrollment_id", "item_id", "completed_at")),
            ("item_time", ("id", "enrollment_id", "item_id", "seconds", "updated_at")),
            ("time_by_day", ("enrollment_id", "day", "seconds")),
            ("quiz_attempts", ATTEMPT_COLUMNS),
        ):
            self.writer.write(table, columns, self.pending[table])
            self.pending[table].clear()

    def sign_ins(self):
        """Over the last SIGN_IN_DAYS: staff often, most learners a few times, one in five never; all closed."""
        rng, now, stamp = self.rng, self.now, self.stamp
        rows, last_login = [], {}
        for u, role in self.people_roles:
            visits = rng.randint(5, 40) if role != "student" else rng.randint(1, 20) if rng.random() < 0.8 else 0
            for _ in range(visits):
                at = now - timedelta(seconds=rng.randint(60, SIGN_IN_DAYS * 86400))
                last_login[u] = max(last_login.get(u, at), at)
                kind = rng.choice(("page", "page", "api"))
                rows.append((uuid.UUID(int=rng.getrandbits(128)).hex, u, kind, "generated", stamp(at)))
                rows[-1] += (stamp(at + timedelta(hours=1)),)
            if len(rows) >= BATCH:
                self.writer.write("sign_ins", SIGN_IN_COLUMNS, rows)
                rows.clear()
        self.writer.write("sign_ins", SIGN_IN_COLUMNS, rows)
        self._set_last_logins(last_login)

    def _set_last_logins(self, last_login):
        """One UPDATE per person would take minutes: a scratch table joined once instead."""
        connection = self.writer.connection
        connection.execute(sa.text("CREATE TEMPORARY TABLE gen_last_login (user_id INTEGER PRIMARY KEY, at TIMESTAMP)"))
        self.writer.write("gen_last_login", ("user_id", "at"), ((u, self.stamp(at)) for u, at in last_login.items()))
        connection.execute(
            sa.text(
                "UPDATE users SET last_login_at = "
                "(SELECT at FROM gen_last_login WHERE gen_last_login.user_id = users.id) "
                "WHERE id IN (SELECT user_id FROM gen_last_login)"
            )
        )
        connection.execute(sa.text("DROP TABLE gen_last_login"))
        self.writer.counts.pop("gen_last_login", None)


def analyze():
    """PostgreSQL: what autovacuum does after such a load, at once: fresh statistics (the planner otherwise
    guesses the sizes of tables it has never measured) and, since PostgreSQL 13 also after inserts, a vacuum that
    marks the pages all-visible (without it an index-only scan reads the table too, so the planner rejects it:
    the figures would measure the minutes after a bulk load, not the dashboard). SQLite keeps no statistics
    unless asked: left as it ships."""
    engine = engine_for(require_tenant())
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(sa.text("VACUUM ANALYZE"))


@contextlib.contextmanager
def fresh_tenant(backend, workdir, redis_url=None, postgres_url=None, **config):
    """A new app and organization on SQLite (files under `workdir`) or on the PostgreSQL server at
    `postgres_url`; yields (app, tenant ref, app settings) for processes that need the same app."""
    settings = {
        "INSTANCE_DIR": str(Path(workdir) / "instance"),
        "LMS_BASE_DOMAIN": "localhost:5000",
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        **config,
    }
    if redis_url:
        settings["REDIS_URL"] = redis_url
    if backend == "postgres":
        engine = sa.create_engine(f"{postgres_url}/postgres", isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(sa.text('CREATE DATABASE "analytics_control"'))
        engine.dispose()
        settings["CONTROL_DATABASE_URL"] = f"{postgres_url}/analytics_control"
        settings["TENANT_DATABASE_URL_TEMPLATE"] = f"{postgres_url}/analytics_t_{{slug}}"
    app = create_app(Config, **settings)
    with app.app_context():
        upgrade_control_plane(directory=str(CONTROL_MIGRATIONS))
        tenant = provision_tenant("bench", "Bench", "admin@example.org", PASSWORD).tenant.ref()
    yield app, tenant, settings


def main():
    """Generate into a fresh organization and print the counts and the time taken."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--learners", type=int, default=50_000)
    parser.add_argument("--progress", type=int, default=1_000_000)
    parser.add_argument("--courses", type=int, default=200)
    parser.add_argument("--classes", type=int, default=300)
    args = parser.parse_args()
    workdir = tempfile.mkdtemp(prefix="tessera-analytics-data-")
    with fresh_tenant("sqlite", workdir) as (app, tenant, _settings), tenant_context(tenant, app):
        result = generate(args.learners, args.progress, args.courses, classes=args.classes)
    print(f"Generated on SQLite in {result.seconds} s:")
    for table, count in result.counts.items():
        print(f"  {table:<18} {count:>10}")
    print(f"Kept for you to explore: {workdir} (delete it when done)")


if __name__ == "__main__":
    main()
