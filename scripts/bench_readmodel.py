"""The analytics read model's cost: `rebuild` of a generated organization, and one delivery of each subscriber.

    python -m scripts.bench_readmodel [--learners 1000] [--courses 10] [--per-learner 4] [--days 60]
                                      [--backend sqlite|postgres] [--runs 3]

`generate_org` fills a tenant with people, courses, enrollments, completed items, time per day, sign-ins and graded
attempts spread over the last `days` days (bulk inserts, no events); the "bench" part may reuse it for a bigger one.
Then `rebuild` is timed (best of `runs`), and each subscriber is run on a real event of one busy learner, counting
its statements and milliseconds (the median of 50 runs, each committed as a delivery would).
"""

import argparse
import json
import random
import secrets
import statistics
import sys
import tempfile
import time
from datetime import timedelta

import sqlalchemy as sa
from flask_migrate import upgrade as upgrade_control_plane

from app import CONTROL_MIGRATIONS, create_app
from app.events.catalog import build
from app.extensions import db
from app.security.passwords import hash_password
from app.tenancy.context import tenant_context
from app.tenancy.engines import engine_for
from app.tenancy.models import utcnow
from app.tenancy.provisioning import provision_tenant
from blueprints.analytics import readmodel, subscribers
from blueprints.assessments.models import Quiz, QuizAttempt
from blueprints.auth.models import SignIn
from blueprints.learning.models import Enrollment, ItemProgress, TimeByDay
from blueprints.users.models import User
from config import Config
from scripts.bench_courses import build_course

ITEMS_PER_COURSE = 20


def generate_org(learners=1000, courses=10, per_learner=4, days=60, seed=14):
    """Inside a tenant: the people, courses and history described above; returns the counts of each source."""
    rng = random.Random(seed)
    now = utcnow().replace(microsecond=0)

    def moment():
        return now - timedelta(days=rng.randrange(days), seconds=rng.randrange(86_400))

    password = hash_password("bench-learner-password")
    db.session.execute(
        sa.insert(User),
        [
            {"email": f"l{n}@example.org", "first_name": f"L{n}", "last_name": "Learner", "role": "student"}
            | {"is_active": True, "created_at": now, "updated_at": now, "password_hash": password}
            for n in range(learners)
        ],
    )
    teacher = User(email="teacher@example.org", role="teacher", password_hash=password)
    db.session.add(teacher)
    db.session.flush()
    course_items, quiz_of = {}, {}
    for n in range(courses):
        course, items = build_course(f"Course {n}", ITEMS_PER_COURSE, teacher.id)
        course_items[course.id] = items
        quiz = Quiz(course_id=course.id, title=f"Quiz {n}", published=True)
        db.session.add(quiz)
        db.session.flush()
        quiz_of[course.id] = quiz.id
    people = db.session.scalars(sa.select(User.id).where(User.role == "student")).all()
    enrollments = []
    for user_id in people:
        for course_id in rng.sample(sorted(course_items), min(per_learner, courses)):
            enrollments.append(
                {"course_id": course_id, "user_id": user_id, "status": "active", "enrolled_at": moment()}
            )
    for row in rng.sample(enrollments, len(enrollments) // 10):
        row["status"] = "unenrolled"
    db.session.execute(sa.insert(Enrollment), enrollments)
    progress, time_rows, attempts, completed = [], [], [], []
    for enrollment_id, course_id, user_id, enrolled_at in db.session.execute(
        sa.select(Enrollment.id, Enrollment.course_id, Enrollment.user_id, Enrollment.enrolled_at)
    ):
        span = max(1, int((now - enrolled_at).total_seconds()))
        done = rng.sample(course_items[course_id], rng.randrange(ITEMS_PER_COURSE + 1))
        moments = sorted(enrolled_at + timedelta(seconds=rng.randrange(span)) for _ in done)
        progress.extend(
            {"enrollment_id": enrollment_id, "item_id": item_id, "completed_at": at}
            for item_id, at in zip(done, moments, strict=True)
        )
        if len(done) == ITEMS_PER_COURSE:
            completed.append({"id": enrollment_id, "completed_at": moments[-1]})
        spent_days = {(enrolled_at + timedelta(seconds=rng.randrange(span))).date() for _ in range(rng.randrange(6))}
        time_rows.extend(
            {"enrollment_id": enrollment_id, "day": day, "seconds": rng.randrange(30, 3600)} for day in spent_days
        )
        for number in range(1, rng.randrange(4)):
            percent = round(rng.uniform(20, 100), 4)
            submitted = enrolled_at + timedelta(seconds=rng.randrange(span))
            attempts.append(
                {"quiz_id": quiz_of[course_id], "user_id": user_id, "number": number, "seed": rng.randrange(2**31)}
                | {"status": "graded", "started_at": submitted - timedelta(minutes=10), "submitted_at": submitted}
                | {"score": percent / 10, "max_score": 10.0, "percent": percent, "passed": percent >= 50}
            )
    db.session.execute(sa.insert(ItemProgress), progress)
    db.session.execute(sa.insert(TimeByDay), time_rows)
    db.session.execute(sa.insert(QuizAttempt), attempts)
    if completed:
        db.session.execute(sa.update(Enrollment), completed)
    sign_ins = [
        {"id": secrets.token_hex(16), "user_id": user_id, "kind": "page", "created_at": moment()}
        for user_id in people
        for _ in range(rng.randrange(30))
    ]
    db.session.execute(sa.insert(SignIn), sign_ins)
    db.session.commit()
    return {
        "learners": learners,
        "enrollments": len(enrollments),
        "item_progress": len(progress),
        "time_by_day": len(time_rows),
        "sign_ins": len(sign_ins),
        "attempts": len(attempts),
    }


def _app(backend, pg_url):
    config = {"INSTANCE_DIR": tempfile.mkdtemp(prefix="tessera-readmodel-bench-"), "LMS_BASE_DOMAIN": "localhost:5000"}
    if backend == "postgres":
        engine = sa.create_engine(f"{pg_url}/postgres", isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(sa.text('CREATE DATABASE "bench_control"'))
        engine.dispose()
        config["CONTROL_DATABASE_URL"] = f"{pg_url}/bench_control"
        config["TENANT_DATABASE_URL_TEMPLATE"] = f"{pg_url}/bench_t_{{slug}}"
    return create_app(Config, **config)


def _subscriber_events(tenant):
    """(subscriber, event) for each event the read model hears, about the learner with the most rows."""
    course_id, user_id = db.session.execute(
        sa.select(Enrollment.course_id, Enrollment.user_id)
        .join(ItemProgress, ItemProgress.enrollment_id == Enrollment.id)
        .group_by(Enrollment.id, Enrollment.course_id, Enrollment.user_id)
        .order_by(sa.func.count().desc())
        .limit(1)
    ).one()
    attempt = db.session.scalars(
        sa.select(QuizAttempt).join(Quiz, Quiz.id == QuizAttempt.quiz_id).where(Quiz.course_id == course_id)
    ).first()
    item_id = db.session.scalar(sa.select(ItemProgress.item_id).limit(1))
    ids = {"course_id": course_id, "user_id": user_id}
    graded = {"score": 1.0, "max_score": 1.0, "percent": 100.0, "passed": True}
    attempt_ids = {"quiz_id": attempt.quiz_id, "attempt_id": attempt.id, "course_id": course_id, "user_id": user_id}
    return [
        (subscribers.refresh_enrollment, build("enrollment.created", tenant=tenant.slug, **ids)),
        (subscribers.refresh_learning, build("content.completed", tenant=tenant.slug, item_id=item_id, **ids)),
        (subscribers.refresh_learning, build("course.completed", tenant=tenant.slug, **ids)),
        (
            subscribers.refresh_learning,
            build("learning.time_reported", tenant=tenant.slug, item_id=item_id, seconds=30, **ids),
        ),
        (
            subscribers.refresh_attempt,
            build("assessment.submitted", tenant=tenant.slug, auto_submitted=False, **attempt_ids),
        ),
        (subscribers.refresh_attempt, build("assessment.graded", tenant=tenant.slug, **attempt_ids, **graded)),
        (subscribers.refresh_sign_ins, build("auth.signed_in", tenant=tenant.slug, user_id=user_id, kind="page")),
    ]


def measure_subscribers(app, tenant, runs=50):
    """{event: {"statements": n, "ms": median, "commit_ms": median}} of one subscriber run, and of its commit."""
    results = {}
    with tenant_context(tenant, app):
        engine = engine_for(tenant)
        statements = []

        def count(*_args):
            statements.append(1)

        sa.event.listen(engine, "before_cursor_execute", count)
        try:
            for func, event in _subscriber_events(tenant):
                work, commits = [], []
                for _ in range(runs):
                    statements.clear()
                    started = time.perf_counter()
                    func(event)
                    worked = time.perf_counter()
                    db.session.commit()  # a delivery's commit, shared with its done mark
                    work.append((worked - started) * 1000)
                    commits.append((time.perf_counter() - worked) * 1000)
                results[event.name] = {
                    "statements": len(statements),
                    "ms": round(statistics.median(work), 2),
                    "commit_ms": round(statistics.median(commits), 2),
                }
        finally:
            sa.event.remove(engine, "before_cursor_execute", count)
    return results


def bench(learners, courses, per_learner, days, backend, runs, pg_url):
    app = _app(backend, pg_url)
    with app.app_context():
        upgrade_control_plane(directory=str(CONTROL_MIGRATIONS))
        tenant = provision_tenant("bench", "Bench", "admin@example.org", "bench-admin-password").tenant.ref()
    started = time.perf_counter()
    with tenant_context(tenant, app):
        sources = generate_org(learners, courses, per_learner, days)
    seeded = round(time.perf_counter() - started, 1)
    rebuilds = []
    for _ in range(runs):
        with tenant_context(tenant, app):
            rebuilds.append(readmodel.rebuild())
    best = min(rebuilds, key=lambda result: result.seconds)
    return {
        "backend": backend,
        "sources": sources,
        "seed_seconds": seeded,
        "rebuild_seconds": [round(result.seconds, 3) for result in rebuilds],
        "rows": {"enrollments": best.enrollments, "days": best.days},
        "subscribers": measure_subscribers(app, tenant),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--learners", type=int, default=1000)
    parser.add_argument("--courses", type=int, default=10)
    parser.add_argument("--per-learner", type=int, default=4)
    parser.add_argument("--days", type=int, default=60)
    parser.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    from tests.support.services import PostgresServer  # noqa: PLC0415 (only when asked for)

    postgres = PostgresServer() if args.backend == "postgres" else None
    try:
        result = bench(
            args.learners, args.courses, args.per_learner, args.days, args.backend, args.runs, postgres and postgres.url
        )
    finally:
        if postgres:
            postgres.stop()
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
