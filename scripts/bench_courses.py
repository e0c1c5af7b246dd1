"""Course benchmark: the progress table of a big course, and a busy learner's dashboard and player.

    python -m scripts.bench_courses [--learners 2000] [--items 100] [--enrollments 50] [--requests 50]

One SQLite tenant; requests go through the WSGI app in-process, one at a time.
"""

import argparse
import json
import re
import statistics
import tempfile
import time

import sqlalchemy as sa
from flask_migrate import upgrade as upgrade_control_plane

from app import CONTROL_MIGRATIONS, create_app
from app.extensions import db
from app.security.passwords import hash_password
from app.tenancy.context import tenant_context
from app.tenancy.models import utcnow
from app.tenancy.provisioning import provision_tenant
from blueprints.auth.services import access_token_for
from config import Config


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


def timed(client, path, headers, count, method="GET", data=None, expect=200):
    latencies = []
    for _ in range(count):
        started = time.perf_counter()
        response = client.open(path, method=method, headers=headers, data=data)
        latencies.append((time.perf_counter() - started) * 1000)
        if response.status_code != expect:
            raise RuntimeError(f"{path}: {response.status_code}")
    return {"p50_ms": round(statistics.median(latencies), 2), "p95_ms": round(percentile(latencies, 0.95), 2)}


def build_course(title, items, teacher_id):
    from blueprints.courses.models import ContentItem, ContentVersion, Course, CourseModule, course_teachers

    course = Course(title=title, slug=re.sub(r"\W+", "-", title.lower()), status="published", created_by_id=teacher_id)
    db.session.add(course)
    db.session.flush()
    db.session.execute(sa.insert(course_teachers).values(course_id=course.id, user_id=teacher_id))
    modules = []
    for number in range(max(1, items // 20)):
        module = CourseModule(course_id=course.id, title=f"Module {number + 1}", position=number)
        db.session.add(module)
        modules.append(module)
    db.session.flush()
    rows = [
        {
            "course_id": course.id,
            "module_id": modules[n % len(modules)].id,
            "kind": "text",
            "title": f"Item {n}",
            "position": n,
            "published_version": 1,
            "created_at": utcnow(),
        }
        for n in range(items)
    ]
    db.session.execute(sa.insert(ContentItem), rows)
    item_ids = db.session.scalars(sa.select(ContentItem.id).where(ContentItem.course_id == course.id)).all()
    db.session.execute(
        sa.insert(ContentVersion),
        [
            {"item_id": i, "number": 1, "body": f"<p>Item {i}</p>", "change_note": "", "created_at": utcnow()}
            for i in item_ids
        ],
    )
    return course, item_ids


def seed(learners, items, enrollments, redis_url):
    from blueprints.learning.models import Enrollment, ItemProgress
    from blueprints.users.models import User

    app = create_app(
        Config,
        INSTANCE_DIR=tempfile.mkdtemp(prefix="tessera-course-bench-"),
        WTF_CSRF_ENABLED=False,
        RATELIMIT_ENABLED=False,
        REDIS_URL=redis_url,
    )
    with app.app_context():
        upgrade_control_plane(directory=str(CONTROL_MIGRATIONS))
        tenant = provision_tenant("bench", "Bench", "admin@example.org", "bench-admin-password").tenant.ref()
    with tenant_context(tenant, app):
        now = utcnow()
        password = hash_password("bench-learner-password")
        db.session.execute(
            sa.insert(User),
            [
                {
                    "email": f"l{n}@example.org",
                    "first_name": f"L{n}",
                    "last_name": "Learner",
                    "role": "student",
                    "is_active": True,
                    "created_at": now,
                    "updated_at": now,
                    "password_hash": password,
                }
                for n in range(learners)
            ],
        )
        teacher = User(email="t@example.org", role="teacher", password_hash=password)
        db.session.add(teacher)
        db.session.flush()
        big, big_items = build_course("Big course", items, teacher.id)
        learner_ids = db.session.scalars(sa.select(User.id).where(User.role == "student").order_by(User.id)).all()
        db.session.execute(
            sa.insert(Enrollment),
            [{"course_id": big.id, "user_id": u, "status": "active", "enrolled_at": now} for u in learner_ids],
        )
        enrollment_ids = db.session.scalars(sa.select(Enrollment.id).where(Enrollment.course_id == big.id)).all()
        batch = []
        for enrollment_id in enrollment_ids:
            batch.extend({"enrollment_id": enrollment_id, "item_id": i, "completed_at": now} for i in big_items)
            if len(batch) >= 50_000:
                db.session.execute(sa.insert(ItemProgress), batch)
                batch = []
        if batch:
            db.session.execute(sa.insert(ItemProgress), batch)
        busy = learner_ids[0]
        for n in range(enrollments - 1):
            course, course_items = build_course(f"Course {n}", 20, teacher.id)
            enrollment = Enrollment(
                course_id=course.id, user_id=busy, status="active", enrolled_at=now, last_item_id=course_items[3]
            )
            db.session.add(enrollment)
            db.session.flush()
            db.session.execute(
                sa.insert(ItemProgress),
                [{"enrollment_id": enrollment.id, "item_id": i, "completed_at": now} for i in course_items[:4]],
            )
        db.session.commit()
        progress_rows = db.session.scalar(sa.select(sa.func.count(ItemProgress.id)))
        ids = {"teacher": teacher.id, "busy": busy, "big": big.id, "progress_rows": progress_rows}
    return app, tenant, ids


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--learners", type=int, default=2000)
    parser.add_argument("--items", type=int, default=100)
    parser.add_argument("--enrollments", type=int, default=50)
    parser.add_argument("--requests", type=int, default=50)
    args = parser.parse_args()
    from tests.support.services import RedisServer

    redis = RedisServer()
    try:
        run(args, redis.url)
    finally:
        redis.stop()


def run(args, redis_url):
    started = time.perf_counter()
    app, tenant, ids = seed(args.learners, args.items, args.enrollments, redis_url)
    print(
        f"Seeded {args.learners} learners x {args.items} items ({ids['progress_rows']} progress rows) "
        f"in {time.perf_counter() - started:.1f} s"
    )
    host = {"Host": f"{tenant.slug}.localhost:5000"}
    with tenant_context(tenant, app):
        teacher_token = access_token_for(ids["teacher"], ("teacher",), tenant)
    client = app.test_client()
    auth = host | {"Authorization": f"Bearer {teacher_token}"}
    last_page = -(-args.learners // 100)
    base = f"/api/v1/courses/{ids['big']}/progress?per_page=100"
    progress = timed(client, base, auth, args.requests)
    progress_last = timed(client, f"{base}&page={last_page}", auth, args.requests)
    learner = app.test_client()
    signed_in = learner.post(
        "/login", headers=host, data={"email": "l0@example.org", "password": "bench-learner-password"}
    )
    if signed_in.status_code != 302:
        raise RuntimeError(f"sign-in failed: {signed_in.status_code}")
    dashboard = timed(learner, "/learn", host, args.requests)
    player = timed(learner, f"/learn/{ids['big']}", host, args.requests)
    page = learner.get(f"/learn/{ids['big']}", headers=host).get_data(as_text=True)
    report_url, csrf = re.search(r'data-time-url="([^"]+)" data-csrf="([^"]+)"', page).groups()
    time_report = timed(
        learner, report_url, host, args.requests, method="POST", data={"seconds": "30", "csrf_token": csrf}, expect=204
    )
    results = {
        "learners": args.learners,
        "items": args.items,
        "progress_rows": ids["progress_rows"],
        "progress_table_first_page": progress,
        "progress_table_last_page": progress_last,
        "dashboard": dashboard,
        "player": player,
        "time_report": time_report,
        "enrollments_of_busy_learner": args.enrollments,
    }
    print(
        f"GET /api/v1/courses/{{id}}/progress, pages of 100 of {args.learners} learners: first page p95 "
        f"{progress['p95_ms']} ms, last page p95 {progress_last['p95_ms']} ms"
    )
    print(
        f"My learning page ({args.enrollments} enrollments): p50 {dashboard['p50_ms']} ms, p95 {dashboard['p95_ms']} ms"
    )
    print(f"Course player ({args.items} items): p50 {player['p50_ms']} ms, p95 {player['p95_ms']} ms")
    print(f"Player time report (POST, one write): p50 {time_report['p50_ms']} ms, p95 {time_report['p95_ms']} ms")
    print(json.dumps(results))


if __name__ == "__main__":
    main()
