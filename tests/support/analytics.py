"""Analytics for tests: a scenario of a school's learning over several days, done through the API and pages as
people do it and delivered through the relay, and the read model's rows beside what direct SQL over the source
tables says they should be (written here, independently of `blueprints/analytics/readmodel.py`).

`age_since(app, tenant, start, days)` moves what happened since `start` (source timestamps and the events not
delivered yet) `days` into the past: the scenario's earlier phases happen "days ago" without sleeping.
"""

import re
from datetime import date, datetime, timedelta
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from app.events.models import OutboxEvent
from app.extensions import db
from app.tenancy.context import tenant_context
from app.tenancy.engines import engine_for
from app.tenancy.models import utcnow
from blueprints.analytics.models import (
    AnalyticsCourse,
    AnalyticsCourseDay,
    AnalyticsDay,
    AnalyticsGroup,
    AnalyticsGroupDay,
    AnalyticsGroupMember,
    AnalyticsPerson,
    LearnerCourse,
)
from blueprints.assessments.models import QuizAttempt
from blueprints.auth.models import SignIn
from blueprints.learning.models import Enrollment, ItemProgress, TimeByDay
from tests.conftest import PASSWORD, make_user, run_jobs
from tests.support.attempts import answers_for, quiz_of_every_kind
from tests.support.browser import Browser
from tests.support.courses import make_course

DAY_COLUMNS = (
    "sign_ins",
    "enrollments",
    "completions",
    "items_completed",
    "seconds",
    "attempts",
    "graded_attempts",
    "percent_sum",
    "passed_attempts",
)
ENROLLMENT_COLUMNS = (
    "enrollment_id",
    "course_id",
    "user_id",
    "class_id",
    "active",
    "enrolled_at",
    "due_at",
    "completed_at",
    "items_completed",
    "seconds_spent",
    "last_activity_at",
    "attempts",
    "graded_attempts",
    "best_percent",
)
TIMESTAMPS = (
    (Enrollment, ("enrolled_at", "completed_at", "last_reported_at")),
    (ItemProgress, ("completed_at",)),
    (SignIn, ("created_at",)),
    (QuizAttempt, ("started_at", "submitted_at")),
)


def age_since(app, tenant, start, days):
    """Move every source timestamp at or after `start` (and `time_by_day` of today) `days` into the past, and the
    events emitted since then that were not delivered yet with them."""
    shift = timedelta(days=days)
    with tenant_context(tenant, app):
        for model, columns in TIMESTAMPS:
            for column in columns:
                attribute = getattr(model, column)
                for row in db.session.scalars(sa.select(model).where(attribute >= start)):
                    setattr(row, column, getattr(row, column) - shift)
        today = utcnow().date()
        for row in db.session.scalars(sa.select(TimeByDay).where(TimeByDay.day == today)).all():
            db.session.add(TimeByDay(enrollment_id=row.enrollment_id, day=today - shift, seconds=row.seconds))
            db.session.delete(row)
        for event in db.session.scalars(sa.select(OutboxEvent).where(OutboxEvent.occurred_at >= start)):
            event.occurred_at -= shift
            event.payload = {**event.payload, "occurred_at": event.occurred_at.isoformat()}
        db.session.commit()


def read_model(app, tenant):
    """({enrollment id: row}, {(day, user, course): row}) of the read model, rows as dicts of the compared
    columns (percent sums rounded: the order of a float sum is the database's)."""
    with tenant_context(tenant, app):
        enrollments = {
            row.enrollment_id: {name: getattr(row, name) for name in ENROLLMENT_COLUMNS}
            for row in db.session.scalars(sa.select(LearnerCourse))
        }
        days = {
            (row.day, row.user_id, row.course_id): _day_row({name: getattr(row, name) for name in DAY_COLUMNS})
            for row in db.session.scalars(sa.select(AnalyticsDay))
        }
    return enrollments, days


def roll_ups(app, tenant):
    """{table: {key: row}} of the roll-ups (`analytics_course_days`, `analytics_courses`, `analytics_people`, and
    per branch and per class `analytics_group_members`, `analytics_groups`, `analytics_group_days`), rows as dicts
    of every column (percent sums rounded, as in `read_model`)."""
    keys = {
        AnalyticsCourseDay: ("day", "course_id"),
        AnalyticsCourse: ("course_id",),
        AnalyticsPerson: ("user_id",),
        AnalyticsGroupMember: ("kind", "group_id", "user_id"),
        AnalyticsGroup: ("kind", "group_id"),
        AnalyticsGroupDay: ("kind", "group_id", "day"),
    }
    tables = {}
    with tenant_context(tenant, app):
        for model, key in keys.items():
            columns = [column.name for column in model.__table__.c]
            rows = {}
            for row in db.session.scalars(sa.select(model)):
                values = {name: getattr(row, name) for name in columns}
                if "percent_sum" in values:
                    values = _day_row(values)
                if "progress_sum" in values:  # a float sum too
                    values = {**values, "progress_sum": round(values["progress_sum"], 6)}
                rows[tuple(values[name] for name in key)] = values
            tables[model.__tablename__] = rows
    return tables


def _day_row(counts):
    return {**counts, "percent_sum": round(counts["percent_sum"], 6)}


def _day(value):
    return value if isinstance(value, date) else date.fromisoformat(value)


def _moment(value):
    return datetime.fromisoformat(value) if isinstance(value, str) else value  # SQLite answers text


def expected_read_model(app, tenant):
    """What docs/analytics.md says the read model holds, by direct SQL over the source tables."""
    with tenant_context(tenant, app):
        engine = engine_for(tenant)
        with engine.connect() as conn:
            return _expected_enrollments(conn), _expected_days(conn, engine.dialect.name)


def _expected_enrollments(conn):
    rows = conn.execute(
        sa.text(
            """
            SELECT e.id, e.course_id, e.user_id, e.class_id, e.status, e.enrolled_at, e.due_at, e.completed_at,
                   e.seconds_spent, e.last_reported_at,
                   (SELECT count(*) FROM item_progress p WHERE p.enrollment_id = e.id),
                   (SELECT max(p.completed_at) FROM item_progress p WHERE p.enrollment_id = e.id),
                   (SELECT count(*) FROM quiz_attempts a JOIN quizzes q ON q.id = a.quiz_id
                     WHERE q.course_id = e.course_id AND a.user_id = e.user_id
                       AND a.status IN ('submitted', 'graded')),
                   (SELECT count(*) FROM quiz_attempts a JOIN quizzes q ON q.id = a.quiz_id
                     WHERE q.course_id = e.course_id AND a.user_id = e.user_id AND a.status = 'graded'),
                   (SELECT max(a.percent) FROM quiz_attempts a JOIN quizzes q ON q.id = a.quiz_id
                     WHERE q.course_id = e.course_id AND a.user_id = e.user_id AND a.status = 'graded'),
                   (SELECT max(a.submitted_at) FROM quiz_attempts a JOIN quizzes q ON q.id = a.quiz_id
                     WHERE q.course_id = e.course_id AND a.user_id = e.user_id
                       AND a.status IN ('submitted', 'graded'))
            FROM enrollments e
            """
        )
    ).all()
    expected = {}
    for row in rows:
        (eid, course, user, class_id, status, enrolled, due, completed, seconds, reported) = row[:10]
        items, last_item, attempts, graded, best, last_attempt = row[10:]
        moments = [_moment(m) for m in (enrolled, last_item, reported, last_attempt) if m is not None]
        expected[eid] = {
            "enrollment_id": eid,
            "course_id": course,
            "user_id": user,
            "class_id": class_id,
            "active": status == "active",
            "enrolled_at": _moment(enrolled),
            "due_at": _moment(due),
            "completed_at": _moment(completed),
            "items_completed": items,
            "seconds_spent": seconds,
            "last_activity_at": max(moments),
            "attempts": attempts,
            "graded_attempts": graded,
            "best_percent": best,
        }
    return expected


def expected_person_figures(expected_enrollments):
    """{user_id: {last_activity_at, open_due_at, open_activity_at}} of the people with an active enrollment, from
    `expected_read_model`'s enrollments (direct SQL over the sources): the latest activity of their active
    enrollments, the earliest due date and the earliest last activity of those not completed (None when none)."""
    people = {}
    for row in expected_enrollments.values():
        if row["active"]:
            people.setdefault(row["user_id"], []).append(row)
    expected = {}
    for user_id, rows in people.items():
        still_open = [row for row in rows if row["completed_at"] is None]
        due = [row["due_at"] for row in still_open if row["due_at"] is not None]
        expected[user_id] = {
            "last_activity_at": max(row["last_activity_at"] for row in rows),
            "open_due_at": min(due, default=None),
            "open_activity_at": min((row["last_activity_at"] for row in still_open), default=None),
        }
    return expected


def person_figures(roll_up_rows):
    """The same figures of `roll_ups(...)["analytics_people"]`, for the people with an active enrollment."""
    names = ("last_activity_at", "open_due_at", "open_activity_at")
    return {
        user_id: {name: _moment(row[name]) for name in names}
        for (user_id,), row in roll_up_rows.items()
        if row["active_enrollments"] > 0
    }


def expected_person_progress(app, tenant):
    """{user_id: {completed, progress_sum, progress_count}} of the people with an active enrollment, by direct SQL
    over `enrollments`, `item_progress` and `content_items`: their completed active enrollments, and the sum and
    count of the progress (100 when completed, else the items completed of the course's items, at most 100) of
    those in courses with items (sums rounded as in `roll_ups`)."""
    with tenant_context(tenant, app), engine_for(tenant).connect() as conn:
        rows = conn.execute(
            sa.text(
                """
                SELECT e.user_id, e.completed_at,
                       (SELECT count(*) FROM item_progress p WHERE p.enrollment_id = e.id),
                       (SELECT count(*) FROM content_items i WHERE i.course_id = e.course_id)
                FROM enrollments e WHERE e.status = 'active'
                """
            )
        ).all()
    people = {}
    for user_id, completed_at, done, items in rows:
        person = people.setdefault(user_id, {"completed": 0, "progress_sum": 0.0, "progress_count": 0})
        person["completed"] += completed_at is not None
        if items:
            person["progress_sum"] += 100.0 if completed_at is not None else min(100.0, 100.0 * done / items)
            person["progress_count"] += 1
    return {user_id: {**person, "progress_sum": round(person["progress_sum"], 6)} for user_id, person in people.items()}


def person_progress(roll_up_rows):
    """The same figures of `roll_ups(...)["analytics_people"]`, for the people with an active enrollment."""
    return {
        user_id: {name: row[name] for name in ("completed", "progress_sum", "progress_count")}
        for (user_id,), row in roll_up_rows.items()
        if row["active_enrollments"] > 0
    }


# Per day column: its source's rows per (UTC day, user, course); `utc_day(x)` is rewritten for the database.
DAY_SOURCES = {
    "sign_ins": "SELECT utc_day(created_at), user_id, 0, count(*) FROM sign_ins GROUP BY 1, 2",
    "enrollments": "SELECT utc_day(enrolled_at), user_id, course_id, count(*) FROM enrollments GROUP BY 1, 2, 3",
    "completions": "SELECT utc_day(completed_at), user_id, course_id, count(*) FROM enrollments "
    "WHERE completed_at IS NOT NULL GROUP BY 1, 2, 3",
    "items_completed": "SELECT utc_day(p.completed_at), e.user_id, e.course_id, count(*) "
    "FROM item_progress p JOIN enrollments e ON e.id = p.enrollment_id GROUP BY 1, 2, 3",
    "seconds": "SELECT t.day, e.user_id, e.course_id, sum(t.seconds) FROM time_by_day t "
    "JOIN enrollments e ON e.id = t.enrollment_id GROUP BY 1, 2, 3",
    "attempts": "SELECT utc_day(a.submitted_at), a.user_id, q.course_id, count(*) FROM quiz_attempts a "
    "JOIN quizzes q ON q.id = a.quiz_id WHERE a.status IN ('submitted', 'graded') GROUP BY 1, 2, 3",
    "graded_attempts": "SELECT utc_day(a.submitted_at), a.user_id, q.course_id, count(*) FROM quiz_attempts a "
    "JOIN quizzes q ON q.id = a.quiz_id WHERE a.status = 'graded' GROUP BY 1, 2, 3",
    "percent_sum": "SELECT utc_day(a.submitted_at), a.user_id, q.course_id, sum(a.percent) FROM quiz_attempts a "
    "JOIN quizzes q ON q.id = a.quiz_id WHERE a.status = 'graded' GROUP BY 1, 2, 3",
    "passed_attempts": "SELECT utc_day(a.submitted_at), a.user_id, q.course_id, count(*) FROM quiz_attempts a "
    "JOIN quizzes q ON q.id = a.quiz_id WHERE a.status = 'graded' AND a.passed = :yes GROUP BY 1, 2, 3",
}


def _expected_days(conn, dialect):
    expected = {}
    for column, template in DAY_SOURCES.items():
        if dialect == "sqlite":
            sql = template.replace("utc_day(", "date(")
        else:
            sql = re.sub(r"utc_day\(([\w.]+)\)", r"CAST(\1 AS DATE)", template)
        for when, user, course, value in conn.execute(sa.text(sql), {"yes": True}):
            key = (_day(when), user, course)
            expected.setdefault(key, dict.fromkeys(DAY_COLUMNS, 0))[column] = value
    return {key: _day_row({**counts, "percent_sum": float(counts["percent_sum"])}) for key, counts in expected.items()}


def signed_in(api, tenant, email):
    """An API client of this person, signed in with their password (`POST /auth/login`: a sign-in)."""
    response = api(tenant).post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
    assert response.status_code == 200, response.get_json()
    return api(tenant, response.get_json()["data"]["access_token"])


def build_scenario(app, api, tenant, school):
    """Three days of a school (`school` fixture): day -3 people and a class are enrolled, items completed, time
    reported, sign-ins (API and page), a quiz taken with an essay; day -1 more of it, someone unenrolled, a
    wrong quiz attempt; today the essay graded by the teacher, the unenrolled learner back, a course completed,
    another learner unenrolled from Geometry.
    Each day is delivered through the relay (`run_jobs`) before the next. Returns the ids involved."""
    teacher, admin = school["teacher"], school["admin"]
    students = school["students"]
    outsider = make_user(app, tenant, "student", email="late@example.org")
    start = utcnow()
    emails = ["s0@example.org", "s1@example.org", "s2@example.org", "late@example.org"]
    learners = {
        user_id: signed_in(api, tenant, email) for user_id, email in zip([*students, outsider], emails, strict=True)
    }
    course_id, items = make_course(teacher, title="Statistics", items=3)
    second_course, second_items = make_course(teacher, title="Geometry", items=1)
    quiz_id, _questions = quiz_of_every_kind(app, tenant, course_id, pass_percent=50.0)
    _ok(teacher.post(f"/api/v1/courses/{course_id}/enrollments", json={"class_id": school["class_id"]}))
    _ok(teacher.post(f"/api/v1/courses/{course_id}/enrollments", json={"user_ids": [students[2], outsider]}))
    _ok(admin.post(f"/api/v1/courses/{second_course}/enrollments", json={"user_ids": students[:2]}))
    first, second, third = (learners[s] for s in students)
    _ok(first.post(f"/api/v1/content/{items[0]}/complete"))
    _ok(first.post(f"/api/v1/content/{items[0]}/time", json={"seconds": 90}))
    _ok(second.post(f"/api/v1/content/{items[0]}/complete"))
    _ok(learners[outsider].post(f"/api/v1/content/{items[1]}/time", json={"seconds": 40}))
    page = Browser(app, tenant)
    assert page.sign_in("s0@example.org").status_code in (200, 302)
    essay_attempt = _take_quiz(first, quiz_id, "right")  # waits for the teacher's grade of its essay
    age_since(app, tenant, start, 3)
    run_jobs(app)

    start = utcnow()
    signed_in(api, tenant, "s0@example.org")  # again
    _ok(first.post(f"/api/v1/content/{items[1]}/complete"))
    _ok(first.post(f"/api/v1/content/{items[1]}/time", json={"seconds": 120}))
    _ok(third.post(f"/api/v1/content/{items[0]}/complete"))
    _ok(first.post(f"/api/v1/content/{second_items[0]}/complete"))  # completes Geometry
    _take_quiz(second, quiz_id, "wrong")
    _ok(teacher.delete(f"/api/v1/courses/{course_id}/enrollments/{outsider}"))
    age_since(app, tenant, start, 1)
    run_jobs(app)

    graded = teacher.put(f"/api/v1/attempts/{essay_attempt}/answers/9/grade", json={"score": 1, "comment": "Good."})
    assert graded.status_code == 200, graded.get_json()
    _ok(teacher.post(f"/api/v1/courses/{course_id}/enrollments", json={"user_ids": [outsider]}))
    _ok(first.post(f"/api/v1/content/{items[2]}/complete"))  # completes Statistics
    _ok(first.post(f"/api/v1/content/{items[2]}/time", json={"seconds": 30}))
    assert Browser(app, tenant).sign_in("s1@example.org").status_code in (200, 302)
    _ok(admin.delete(f"/api/v1/courses/{second_course}/enrollments/{students[1]}"))  # stays unenrolled
    run_jobs(app)
    return SimpleNamespace(
        school=school,
        class_id=school["class_id"],
        course_id=course_id,
        items=items,
        second_course=second_course,
        quiz_id=quiz_id,
        essay_attempt=essay_attempt,
        students=students,
        outsider=outsider,
        learners=learners,
    )


def _ok(response):
    assert response.status_code in (200, 201), response.get_json()
    return response.get_json()["data"]


def _take_quiz(learner, quiz_id, which):
    attempt = _ok(learner.post(f"/api/v1/assessments/{quiz_id}/attempts"))
    for position, answer in answers_for(attempt, which).items():
        if which == "right" or position != 9:  # a wrong attempt leaves its essay empty: graded at once
            _ok(learner.put(f"/api/v1/attempts/{attempt['id']}/answers/{position}", json={"response": answer}))
    _ok(learner.post(f"/api/v1/attempts/{attempt['id']}/submit", json={}))
    return attempt["id"]


@pytest.fixture
def scenario(app, api, tenant, school):
    return build_scenario(app, api, tenant, school)


def differences(actual, expected):
    """[(key, column, actual, expected)] where two sets of rows ({key: {column: value}}) differ; a missing row
    shows as column None."""
    found = []
    for key in sorted(set(actual) | set(expected), key=repr):
        mine, theirs = actual.get(key), expected.get(key)
        if mine is None or theirs is None:
            found.append((key, None, mine, theirs))
            continue
        found.extend((key, column, mine[column], theirs[column]) for column in theirs if mine[column] != theirs[column])
    return found


AT_RISK_DAYS = 14  # the default at-risk days the group days count risk for


def expected_memberships(app, tenant):
    """{(kind, group id): {user ids}} by direct SQL over the memberships: a branch's members in any role, a
    class's students."""
    with tenant_context(tenant, app), engine_for(tenant).connect() as conn:
        branches = conn.execute(sa.text("SELECT branch_id, user_id FROM branch_memberships")).all()
        classes = conn.execute(sa.text("SELECT class_id, user_id FROM class_memberships WHERE role = 'student'")).all()
    groups = {}
    for kind, rows in (("branch", branches), ("class", classes)):
        for group_id, user_id in rows:
            groups.setdefault((kind, group_id), set()).add(user_id)
    return groups


def expected_group_roll_ups(app, tenant):
    """What `analytics_group_members`, `analytics_groups` and `analytics_group_days` should hold, from the
    memberships, `expected_read_model` and `expected_person_progress` (direct SQL over the sources), as rows of
    `roll_ups`."""
    groups = expected_memberships(app, tenant)
    enrollments, days = expected_read_model(app, tenant)
    progress = expected_person_progress(app, tenant)
    members, figures, group_days = {}, {}, {}
    for (kind, group_id), people in groups.items():
        for user_id in people:
            members[(kind, group_id, user_id)] = {"kind": kind, "group_id": group_id, "user_id": user_id}
        mine = [row for row in enrollments.values() if row["user_id"] in people and row["active"]]
        learners = {row["user_id"] for row in mine}
        if learners:
            figures[(kind, group_id)] = {
                "kind": kind,
                "group_id": group_id,
                "learners": len(learners),
                "enrollments": len(mine),
                "completed": sum(progress[user]["completed"] for user in learners),
                "progress_sum": round(sum(progress[user]["progress_sum"] for user in learners), 6),
                "progress_count": sum(progress[user]["progress_count"] for user in learners),
            }
        counts = {}

        def add(day, name, value, counts=counts):
            counts.setdefault(day, {"due_open": 0, "risk_open": 0, "graded": 0, "percent_sum": 0.0})[name] += value

        for row in mine:
            if row["completed_at"] is not None:
                continue
            inactive_from = row["last_activity_at"] + timedelta(days=AT_RISK_DAYS)
            if row["due_at"] is not None:
                add(row["due_at"].date(), "due_open", 1)
            add(min(row["due_at"] or inactive_from, inactive_from).date(), "risk_open", 1)
        for (day, user_id, course_id), row in days.items():
            if user_id in people and course_id != 0 and row["graded_attempts"]:
                add(day, "graded", row["graded_attempts"])
                add(day, "percent_sum", row["percent_sum"])
        for day, row in counts.items():
            group_days[(kind, group_id, day)] = {
                "kind": kind,
                "group_id": group_id,
                "day": day,
                **row,
                "percent_sum": round(row["percent_sum"], 6),
            }
    return {"analytics_group_members": members, "analytics_groups": figures, "analytics_group_days": group_days}
