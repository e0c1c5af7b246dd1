"""Analytics figures for tests: a district built through the API, its history spread over two months, and what
docs/analytics.md says each figure is, by direct SQL over the SOURCE tables (enrollments, item_progress,
time_by_day, sign_ins, quiz_attempts, memberships), written here independently of `blueprints/analytics/`.

The district: branches North and South, a manager of North, teacher T (Statistics, and the class S7 of South)
and teacher T2 (Geometry, Empty: a course without items), students n1 n2 (North, class N7), s1 s2 (South,
class S7) and x (no branch). Learning happens through the API; then its timestamps are moved into the past
(source rows only) and the read model is rebuilt from the sources.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa

from app.extensions import db
from app.tenancy.context import tenant_context
from app.tenancy.engines import engine_for
from app.tenancy.models import utcnow
from blueprints.analytics.readmodel import rebuild
from blueprints.assessments.models import QuizAttempt
from blueprints.auth.models import SignIn
from blueprints.learning.models import Enrollment, ItemProgress, TimeByDay
from tests.conftest import ApiClient, make_user, user_token
from tests.support.api_keys import key_client
from tests.support.attempts import answers_for, make_quiz
from tests.support.courses import make_course

STUDENTS = ("n1", "n2", "s1", "s2", "x")


@dataclass
class District:
    app: object
    tenant: object
    ids: dict = field(default_factory=dict)
    clients: dict = field(default_factory=dict)
    today: date = None
    dialect: str = ""

    def __getattr__(self, name):
        try:
            return self.__dict__["ids"][name]
        except KeyError:
            raise AttributeError(name) from None


def _ok(response):
    assert response.status_code in (200, 201), response.get_json()
    return response.get_json()["data"]


def build_district(app, client, tenant):
    """The district of this module's docstring, its read model rebuilt; returns a `District`."""
    d = District(app, tenant)
    ids = d.ids

    def person(key, role, **names):
        ids[key] = make_user(app, tenant, role, email=f"{key}@example.org", **names)
        d.clients[key] = ApiClient(client, tenant, user_token(app, tenant, ids[key], role))
        return d.clients[key]

    admin = person("admin", "org_admin")
    base = f"/api/v1/organizations/{tenant.id}/branches"
    ids["north"] = _ok(admin.post(base, json={"code": "north", "name": "North"}))["id"]
    ids["south"] = _ok(admin.post(base, json={"code": "south", "name": "South"}))["id"]
    person("manager", "branch_manager")
    _ok(admin.post(f"{base}/{ids['north']}/users", json={"user_id": ids["manager"], "role": "branch_manager"}))
    teacher, teacher2 = person("t", "teacher"), person("t2", "teacher")
    for key in STUDENTS:
        person(key, "student", first_name=key.upper(), last_name="Learner")
    for key, branch in (("n1", "north"), ("n2", "north"), ("s1", "south"), ("s2", "south")):
        _ok(admin.post(f"{base}/{ids[branch]}/users", json={"user_id": ids[key], "role": "student"}))
    for key, branch, members in (("n7", "north", ("n1", "n2")), ("s7", "south", ("s1", "s2"))):
        ids[key] = _ok(admin.post("/api/v1/classes", json={"branch_id": ids[branch], "name": key.upper()}))["id"]
        people = [ids[member] for member in members]
        _ok(admin.post(f"/api/v1/classes/{ids[key]}/members", json={"user_ids": people, "role": "student"}))
    _ok(admin.post(f"/api/v1/classes/{ids['s7']}/members", json={"user_ids": [ids["t"]], "role": "teacher"}))

    ids["stats"], stats_items = make_course(teacher, title="Statistics", items=3)
    ids["geo"], geo_items = make_course(teacher2, title="Geometry", items=2)
    ids["empty"], _ = make_course(teacher2, title="Empty", items=0)
    ids["draft"], _ = make_course(teacher2, title="Draft", items=1, publish=False)  # seen by T2 and admins only
    ids["stats_quiz"] = make_quiz(app, tenant, ids["stats"], pass_percent=60.0)
    ids["geo_quiz"] = make_quiz(app, tenant, ids["geo"], pass_percent=60.0)

    def enroll(owner, course, *keys):
        _ok(owner.post(f"/api/v1/courses/{ids[course]}/enrollments", json={"user_ids": [ids[k] for k in keys]}))

    enroll(teacher, "stats", "n1", "n2", "s1", "x")
    enroll(teacher2, "geo", "n1", "s1", "s2", "x")
    enroll(teacher2, "empty", "n2")
    _ok(teacher2.delete(f"/api/v1/courses/{ids['geo']}/enrollments/{ids['x']}"))  # an ended enrollment

    learner = d.clients
    for key, item in (("n1", stats_items[0]), ("n1", stats_items[1]), ("n2", stats_items[0]), ("s1", geo_items[0])):
        _ok(learner[key].post(f"/api/v1/content/{item}/complete"))
    _ok(learner["s1"].post(f"/api/v1/content/{geo_items[1]}/complete"))  # completes Geometry
    for key, item, seconds in (("n1", stats_items[0], 90), ("s1", geo_items[0], 60), ("s2", geo_items[0], 30)):
        _ok(learner[key].post(f"/api/v1/content/{item}/time", json={"seconds": seconds}))
    for key, quiz, which in (("n1", "stats_quiz", "right"), ("s1", "stats_quiz", "wrong"), ("s2", "geo_quiz", "right")):
        _take_quiz(learner[key], ids[quiz], which)
    _take_quiz(learner["n1"], ids["stats_quiz"], "wrong")  # a second attempt

    d.api_key, _key_id = key_client(app, tenant, ["branch_manager"], past_user_id=max(ids.values()))
    with tenant_context(tenant, app):
        d.today = utcnow().date()
        d.dialect = engine_for(tenant).dialect.name
        _spread_history(ids)
        rebuild()
        db.session.commit()
    return d


def _take_quiz(learner, quiz_id, which):
    attempt = _ok(learner.post(f"/api/v1/assessments/{quiz_id}/attempts"))
    for position, answer in answers_for(attempt, which).items():
        _ok(learner.put(f"/api/v1/attempts/{attempt['id']}/answers/{position}", json={"response": answer}))
    _ok(learner.post(f"/api/v1/attempts/{attempt['id']}/submit", json={}))


def _spread_history(ids):
    """Move the sources' timestamps into the past so that the figures have days, windows and due dates to tell
    apart (every moment far from a boundary: the figures' now and the test's differ by seconds)."""
    now = utcnow()

    def ago(days, hours=0):
        return now - timedelta(days=days, hours=hours)

    course_of = {ids["stats"]: "stats", ids["geo"]: "geo", ids["empty"]: "empty"}
    person_of = {value: key for key, value in ids.items() if key in STUDENTS}
    enrolled_ago = {"stats": 40, "geo": 12, "empty": 2}
    due = {
        ("n1", "stats"): ago(3),  # overdue
        ("n2", "stats"): now + timedelta(days=3),  # due soon
        ("s1", "geo"): ago(1),  # due, but completed
        ("x", "stats"): now + timedelta(days=30),
        ("s2", "geo"): now + timedelta(days=6, hours=12),  # due soon
    }
    enrollments = {}
    for row in db.session.scalars(sa.select(Enrollment)):
        key = (person_of[row.user_id], course_of[row.course_id])
        enrollments[row.id] = key
        row.enrolled_at = ago(enrolled_ago[key[1]], hours=2)
        row.due_at = due.get(key)
        if row.completed_at is not None:
            row.completed_at = ago(1, hours=1)
        if row.last_reported_at is not None:
            row.last_reported_at = ago(5 if key[0] == "n1" else 10)
    item_days = {("n1", "stats"): [20, 16], ("n2", "stats"): [30], ("s1", "geo"): [1, 1]}
    for enrollment_id, key in enrollments.items():
        done = db.session.scalars(sa.select(ItemProgress).where(ItemProgress.enrollment_id == enrollment_id)).all()
        for row, back in zip(done, item_days.get(key, []), strict=True):
            row.completed_at = ago(back, hours=3)
    time_days = {("n1", "stats"): 5, ("s1", "geo"): 10, ("s2", "geo"): 10}
    for row in db.session.scalars(sa.select(TimeByDay)).all():
        back = time_days[enrollments[row.enrollment_id]]
        db.session.add(
            TimeByDay(enrollment_id=row.enrollment_id, day=now.date() - timedelta(days=back), seconds=row.seconds)
        )
        db.session.delete(row)
    attempt_days = iter((4, 4, 15, 2))  # n1 right, s1 wrong, s2 right, n1 wrong: in the order taken
    for row in db.session.scalars(sa.select(QuizAttempt).order_by(QuizAttempt.id)):
        back = next(attempt_days)
        row.started_at, row.submitted_at = ago(back, hours=4), ago(back, hours=3)
    sign_in_days = iter((60, 45, 20, 6, 3, 0))  # admin, manager, t, t2, n1, n2 (in the order they signed in)
    for row in db.session.scalars(sa.select(SignIn).order_by(SignIn.created_at, SignIn.id)):
        back = next(sign_in_days, 25)
        row.created_at = ago(back, hours=1) if back else now
    db.session.commit()


# --- what the figures should be: SQL over the sources -----------------------------------------------------------


@dataclass(frozen=True)
class Who:
    """An audience written as SQL over the sources: `people` on a user id, `enrollment` on (user id, course id)."""

    people: str
    enrollment: str
    params: dict
    branches: tuple | None = None  # the branch rows of performance (None: all)
    classes: tuple | None = None

    def on_people(self, user):
        return self.people.format(u=user)

    def on_enrollment(self, user, course):
        return self.enrollment.format(u=user, c=course)


TAUGHT_CLASSES = "SELECT class_id FROM class_memberships WHERE user_id = :teacher AND role = 'teacher'"
STUDENTS_OF_TAUGHT = f"SELECT user_id FROM class_memberships WHERE role = 'student' AND class_id IN ({TAUGHT_CLASSES})"  # noqa: S608
TAUGHT_COURSES = "SELECT course_id FROM course_teachers WHERE user_id = :teacher"
MEMBERS = "SELECT user_id FROM branch_memberships WHERE branch_id IN ({})"


def admin_audience(d):
    return Who("1 = 1", "1 = 1", {})


def manager_audience(d):
    people = f"{{u}} IN ({MEMBERS.format(':north')})"
    return Who(people, people, {"north": d.north}, branches=(d.north,), classes=(d.n7,))


def teacher_audience(d):
    people = (
        f"({{u}} IN (SELECT user_id FROM enrollments WHERE course_id IN ({TAUGHT_COURSES})) "  # noqa: S608
        f"OR {{u}} IN ({STUDENTS_OF_TAUGHT}))"
    )
    enrollment = f"({{c}} IN ({TAUGHT_COURSES}) OR {{u}} IN ({STUDENTS_OF_TAUGHT}))"
    return Who(people, enrollment, {"teacher": d.t}, branches=(d.south,), classes=(d.s7,))


def _filter_sql(filters, user, course=None, person_level=False):
    parts = []
    if filters.get("branch_id"):
        parts.append(f"{user} IN (SELECT user_id FROM branch_memberships WHERE branch_id = :f_branch)")  # noqa: S608
    if filters.get("class_id"):
        parts.append(
            f"{user} IN (SELECT user_id FROM class_memberships WHERE class_id = :f_class AND role = 'student')"  # noqa: S608
        )
    if filters.get("course_id"):
        if person_level:
            parts.append(f"{user} IN (SELECT user_id FROM enrollments WHERE course_id = :f_course)")  # noqa: S608
        else:
            parts.append(f"{course} = :f_course")
    return " AND ".join(parts) or "1 = 1"


def _params(who, filters):
    return {
        **who.params,
        "f_branch": filters.get("branch_id"),
        "f_class": filters.get("class_id"),
        "f_course": filters.get("course_id"),
    }


def _rows(d, sql, params):
    with tenant_context(d.tenant, d.app), engine_for(d.tenant).connect() as conn:
        return conn.execute(sa.text(sql), params).all()


def _moment(value):
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(value)


def _day(value):
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def active_enrollments(d, who, filters):
    """Each active enrollment the audience sees, with what the snapshot figures read: dicts."""
    sql = f"""
        SELECT e.id, e.user_id, e.course_id, e.enrolled_at, e.due_at, e.completed_at, e.last_reported_at,
               e.seconds_spent,
               (SELECT count(*) FROM item_progress p WHERE p.enrollment_id = e.id) AS done,
               (SELECT max(p.completed_at) FROM item_progress p WHERE p.enrollment_id = e.id) AS last_item,
               (SELECT count(*) FROM content_items i WHERE i.course_id = e.course_id) AS items,
               (SELECT max(a.submitted_at) FROM quiz_attempts a JOIN quizzes q ON q.id = a.quiz_id
                 WHERE q.course_id = e.course_id AND a.user_id = e.user_id
                   AND a.status IN ('submitted', 'graded')) AS last_attempt
        FROM enrollments e
        WHERE e.status = 'active' AND {who.on_enrollment("e.user_id", "e.course_id")}
          AND {_filter_sql(filters, "e.user_id", "e.course_id")}
    """  # noqa: S608
    found = []
    for row in _rows(d, sql, _params(who, filters)):
        moments = [_moment(m) for m in (row.enrolled_at, row.last_item, row.last_reported_at, row.last_attempt)]
        found.append(
            {
                "id": row.id,
                "user_id": row.user_id,
                "course_id": row.course_id,
                "due_at": _moment(row.due_at),
                "completed_at": _moment(row.completed_at),
                "seconds": row.seconds_spent,
                "done": row.done,
                "items": row.items,
                "last_activity": max(m for m in moments if m is not None),
            }
        )
    return found


def progress(enrollment):
    if not enrollment["items"]:
        return None
    if enrollment["completed_at"] is not None:
        return 100.0
    return min(100.0, 100.0 * enrollment["done"] / enrollment["items"])


def risk(enrollment, now, at_risk_days=14):
    if enrollment["completed_at"] is not None:
        return None
    if enrollment["due_at"] is not None and enrollment["due_at"] < now:
        return "overdue"
    if enrollment["last_activity"] < now - timedelta(days=at_risk_days):
        return "inactive"
    return None


def rate(part, whole):
    return None if not whole else round(100.0 * part / whole, 1)


def mean(values):
    values = [v for v in values if v is not None]
    return None if not values else round(sum(values) / len(values), 1)


def snapshot_of(enrollments, now, at_risk_days=14):
    completed = sum(1 for e in enrollments if e["completed_at"] is not None)
    open_ = [e for e in enrollments if e["completed_at"] is None]
    return {
        "learners": len({e["user_id"] for e in enrollments}),
        "active_enrollments": len(enrollments),
        "completed": completed,
        "completion_rate": rate(completed, len(enrollments)),
        "overdue": sum(1 for e in open_ if e["due_at"] is not None and e["due_at"] < now),
        "due_soon": sum(1 for e in open_ if e["due_at"] is not None and now <= e["due_at"] < now + timedelta(days=7)),
        "average_progress": mean(progress(e) for e in enrollments),
        "at_risk": sum(1 for e in enrollments if risk(e, now, at_risk_days)),
    }


def activity(d, who, filters, since, until):
    """What each person did each day in [since, until], per course (0: sign-ins), from the sources: a list of
    (day, user_id, course_id, column, value)."""
    day = "date({})" if d.dialect == "sqlite" else "CAST({} AS DATE)"
    # column: (FROM and WHERE, the learner, the course, the moment that dates it, the value)
    attempts = "quiz_attempts a JOIN quizzes q ON q.id = a.quiz_id WHERE a.status IN ('submitted', 'graded')"
    graded = f"{attempts} AND a.status = 'graded'"
    sources = {
        "enrollments": ("enrollments e WHERE 1 = 1", "e.user_id", "e.course_id", "e.enrolled_at", "count(*)"),
        "completions": (
            "enrollments e WHERE e.completed_at IS NOT NULL",
            "e.user_id",
            "e.course_id",
            "e.completed_at",
            "count(*)",
        ),
        "items_completed": (
            "item_progress p JOIN enrollments e ON e.id = p.enrollment_id WHERE 1 = 1",
            "e.user_id",
            "e.course_id",
            "p.completed_at",
            "count(*)",
        ),
        "seconds": (
            "time_by_day t JOIN enrollments e ON e.id = t.enrollment_id WHERE 1 = 1",
            "e.user_id",
            "e.course_id",
            "t.day",
            "sum(t.seconds)",
        ),
        "attempts": (attempts, "a.user_id", "q.course_id", "a.submitted_at", "count(*)"),
        "graded_attempts": (graded, "a.user_id", "q.course_id", "a.submitted_at", "count(*)"),
        "percent_sum": (graded, "a.user_id", "q.course_id", "a.submitted_at", "sum(a.percent)"),
        "passed_attempts": (f"{graded} AND a.passed = :yes", "a.user_id", "q.course_id", "a.submitted_at", "count(*)"),
    }
    found = []
    params = {**_params(who, filters), "yes": True, "since": since, "until": until}
    for column, (source, user, course, moment, value) in sources.items():
        when = day.format(moment)
        sql = (
            f"SELECT {when}, {user}, {course}, {value} FROM {source} "  # noqa: S608
            f"AND {who.on_enrollment(user, course)} AND {_filter_sql(filters, user, course)} "
            f"AND {when} >= :since AND {when} <= :until GROUP BY 1, 2, 3"
        )
        for on, person, course_id, total in _rows(d, sql, params):
            if total:
                found.append((_day(on), person, course_id, column, total))
    sign_ins = (
        f"SELECT {day.format('created_at')}, user_id, 0, count(*) FROM sign_ins "  # noqa: S608
        f"WHERE {who.on_people('user_id')} AND {_filter_sql(filters, 'user_id', person_level=True)} "
        f"AND {day.format('created_at')} >= :since AND {day.format('created_at')} <= :until GROUP BY 1, 2"
    )
    for on, person, course_id, total in _rows(d, sign_ins, params):
        found.append((_day(on), person, course_id, "sign_ins", total))
    return found


def period_of(rows, date_from, date_to):
    def total(column):
        return sum(v for day, _u, _c, col, v in rows if col == column and date_from <= day <= date_to)

    def active(since):  # being enrolled is not something the learner did
        return len({u for day, u, _c, col, _v in rows if since <= day <= date_to and col != "enrollments"})

    graded = total("graded_attempts")
    return {
        "active_learners": {
            "day": active(date_to),
            "week": active(date_to - timedelta(days=6)),
            "month": active(date_to - timedelta(days=29)),
            "period": active(date_from),
        },
        "sign_ins": total("sign_ins"),
        "enrollments": total("enrollments"),
        "completions": total("completions"),
        "items_completed": total("items_completed"),
        "seconds_spent": total("seconds"),
        "attempts": total("attempts"),
        "graded_attempts": graded,
        "average_score": None if not graded else round(total("percent_sum") / graded, 1),
        "pass_rate": rate(total("passed_attempts"), graded),
    }


def expected_overview(d, who, filters, date_from, date_to, now):
    enrollments = active_enrollments(d, who, filters)
    earliest = min(date_from, date_to - timedelta(days=29))
    rows = activity(d, who, filters, earliest, date_to)
    return {
        **snapshot_of(enrollments, now, filters.get("at_risk_days", 14)),
        **period_of(rows, date_from, date_to),
    }


def expected_engagement(d, who, filters, date_from, date_to):
    rows = activity(d, who, filters, date_from, date_to)
    names = {
        "sign_ins": "sign_ins",
        "enrollments": "enrollments",
        "completions": "completions",
        "items_completed": "items_completed",
        "seconds": "seconds",
        "attempts": "attempts",
    }
    days = []
    for offset in range((date_to - date_from).days + 1):
        day = date_from + timedelta(days=offset)
        today = [row for row in rows if row[0] == day]
        days.append(
            {
                "day": day.isoformat(),
                "active_learners": len({row[1] for row in today if row[3] != "enrollments"}),
                **{name: sum(row[4] for row in today if row[3] == column) for name, column in names.items()},
            }
        )
    return days


def expected_courses(d, who, filters, date_from, date_to, now):
    enrollments = active_enrollments(d, who, filters)
    rows = [row for row in activity(d, who, filters, date_from, date_to) if row[2] != 0]
    titles = dict(_rows(d, "SELECT id, title FROM courses", {}))
    by_course = {}
    for course_id in {e["course_id"] for e in enrollments} | {row[2] for row in rows}:
        mine = [e for e in enrollments if e["course_id"] == course_id]
        done = [row for row in rows if row[2] == course_id]
        snap = snapshot_of(mine, now) if mine else None

        def total(column, done=done):
            return sum(row[4] for row in done if row[3] == column)

        graded = total("graded_attempts")
        by_course[course_id] = {
            "course_id": course_id,
            "title": titles[course_id],
            "learners": snap["learners"] if snap else 0,
            "enrollments": snap["active_enrollments"] if snap else 0,
            "completed": snap["completed"] if snap else 0,
            "completion_rate": snap["completion_rate"] if snap else None,
            "overdue": snap["overdue"] if snap else 0,
            "due_soon": snap["due_soon"] if snap else 0,
            "average_progress": snap["average_progress"] if snap else None,
            "seconds": total("seconds"),
            "attempts": total("attempts"),
            "average_score": None if not graded else round(total("percent_sum") / graded, 1),
            "pass_rate": rate(total("passed_attempts"), graded),
        }
    return sorted(by_course.values(), key=lambda row: (row["title"].lower(), row["course_id"]))


def expected_assessments(d, who, filters, date_from, date_to):
    start = datetime.combine(date_from, time())
    end = datetime.combine(date_to + timedelta(days=1), time())
    sql = f"""
        SELECT q.id, q.title, q.course_id, c.title AS course_title, a.user_id, a.status, a.percent, a.passed
        FROM quiz_attempts a JOIN quizzes q ON q.id = a.quiz_id JOIN courses c ON c.id = q.course_id
        WHERE a.status IN ('submitted', 'graded') AND a.submitted_at >= :start AND a.submitted_at < :end
          AND {who.on_enrollment("a.user_id", "q.course_id")} AND {_filter_sql(filters, "a.user_id", "q.course_id")}
    """  # noqa: S608
    quizzes = {}
    for row in _rows(d, sql, {**_params(who, filters), "start": start, "end": end}):
        quizzes.setdefault((row.title, row.id, row.course_id, row.course_title), []).append(row)
    found = []
    for (title, quiz_id, course_id, course_title), attempts in sorted(quizzes.items()):
        graded = [a for a in attempts if a.status == "graded"]
        found.append(
            {
                "quiz_id": quiz_id,
                "title": title,
                "course_id": course_id,
                "course_title": course_title,
                "attempts": len(attempts),
                "learners": len({a.user_id for a in attempts}),
                "graded": len(graded),
                "average_score": None if not graded else round(sum(a.percent for a in graded) / len(graded), 1),
                "pass_rate": rate(sum(1 for a in graded if a.passed), len(graded)),
            }
        )
    return found


def expected_groups(d, who, filters, date_from, date_to, now, kind):
    """Per branch (`kind` "branch") or class: the performance rows."""
    if kind == "branch":
        members = _rows(d, "SELECT DISTINCT branch_id, user_id FROM branch_memberships", {})
        names = dict(_rows(d, "SELECT id, name FROM branches", {}))
        allowed = who.branches
    else:
        members = _rows(d, "SELECT class_id, user_id FROM class_memberships WHERE role = 'student'", {})
        names = dict(_rows(d, "SELECT id, name FROM classes", {}))
        allowed = who.classes
    enrollments = active_enrollments(d, who, filters)
    rows = [row for row in activity(d, who, filters, date_from, date_to) if row[2] != 0]
    groups = {}
    for group_id, user_id in members:
        if allowed is None or group_id in allowed:
            groups.setdefault(group_id, set()).add(user_id)
    found = []
    for group_id, people in groups.items():
        mine = [e for e in enrollments if e["user_id"] in people]
        done = [row for row in rows if row[1] in people]
        if not mine and not done:
            continue
        snap = snapshot_of(mine, now) if mine else None
        graded = sum(row[4] for row in done if row[3] == "graded_attempts")
        score = sum(row[4] for row in done if row[3] == "percent_sum")
        found.append(
            {
                f"{kind}_id": group_id,
                "name": names[group_id],
                "learners": snap["learners"] if snap else 0,
                "enrollments": snap["active_enrollments"] if snap else 0,
                "completion_rate": snap["completion_rate"] if snap else None,
                "average_progress": snap["average_progress"] if snap else None,
                "overdue": snap["overdue"] if snap else 0,
                "at_risk": snap["at_risk"] if snap else 0,
                "average_score": None if not graded else round(score / graded, 1),
            }
        )
    return sorted(found, key=lambda row: (row["name"].lower(), row[f"{kind}_id"]))


def expected_learners(d, who, filters, figure, date_from, date_to, now):
    """{user id: at-risk reason} of the learners behind `figure`."""
    enrollments = active_enrollments(d, who, filters)
    people = {}
    for e in enrollments:
        people.setdefault(e["user_id"], []).append(e)
    active = {row[1] for row in activity(d, who, filters, date_from, date_to) if row[3] != "enrollments"}
    order = {"overdue": 2, "inactive": 1, None: 0}

    def reason(mine):
        return max((risk(e, now) for e in mine), key=lambda r: order[r])

    chosen = {
        "all": lambda mine, user: True,
        "active": lambda mine, user: user in active,
        "inactive": lambda mine, user: user not in active,
        "overdue": lambda mine, user: any(risk(e, now) == "overdue" for e in mine),
        "due_soon": lambda mine, user: any(
            e["completed_at"] is None and e["due_at"] is not None and now <= e["due_at"] < now + timedelta(days=7)
            for e in mine
        ),
        "at_risk": lambda mine, user: reason(mine) is not None,
        "completed": lambda mine, user: any(e["completed_at"] is not None for e in mine),
        "in_progress": lambda mine, user: any(e["completed_at"] is None for e in mine),
    }[figure]
    return {user: reason(mine) for user, mine in people.items() if chosen(mine, user)}
