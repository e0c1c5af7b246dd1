"""The analytics API's figures equal what docs/analytics.md defines, computed here by direct SQL over the source
tables, for an org admin, a branch manager and a teacher, with and without each filter and over a chosen period;
the drill-down lists exactly the learners behind a figure; a few statements per call whatever the size."""

from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa

from app.tenancy.context import tenant_context
from app.tenancy.engines import engine_for
from app.tenancy.models import utcnow
from app.tenancy.provisioning import provision_tenant
from blueprints.analytics import figures, group_figures, learner_figures
from blueprints.analytics.audience import Audience
from blueprints.analytics.filters import Filters
from tests.conftest import PASSWORD, destroy_tenant, unique_slug
from tests.support.analytics_figures import (
    MEMBERS,
    STUDENTS_OF_TAUGHT,
    TAUGHT_COURSES,
    Who,
    admin_audience,
    build_district,
    expected_assessments,
    expected_courses,
    expected_engagement,
    expected_groups,
    expected_learners,
    expected_overview,
    manager_audience,
    teacher_audience,
)
from tests.support.statements import count_statements, recorded_statements

AUDIENCES = {"admin": admin_audience, "manager": manager_audience, "t": teacher_audience}


@pytest.fixture(scope="module")
def district(app):
    with app.app_context():
        tenant = provision_tenant(unique_slug("figures"), "Figures", "owner@example.org", PASSWORD).tenant.ref()
    try:
        yield build_district(app, app.test_client(), tenant)
    finally:
        destroy_tenant(app, tenant.id)


def _filter_sets(d, role):
    """The filters each role may name (in its reach), and a chosen period."""
    # boundaries on data: Statistics enrolled on day -40, n1 signed in on day -3 and attempted on day -2
    long_ago, lately = d.today - timedelta(days=39), d.today - timedelta(days=3)
    reach = {
        "admin": [{"branch_id": d.south}, {"class_id": d.n7}, {"course_id": d.geo}],
        "manager": [{"branch_id": d.north}, {"class_id": d.n7}, {"course_id": d.stats}],
        "t": [{"branch_id": d.south}, {"class_id": d.s7}, {"course_id": d.stats}, {"course_id": d.geo}],
    }[role]
    return [
        {},
        *reach,
        {"date_from": long_ago.isoformat(), "date_to": lately.isoformat()},
        {"date_from": long_ago.isoformat(), "date_to": d.today.isoformat(), "course_id": reach[-1]["course_id"]},
        {"at_risk_days": 3},
    ]


def _period(d, filters):
    date_to = d.today if "date_to" not in filters else date.fromisoformat(filters["date_to"])
    date_from = date_to - timedelta(days=29) if "date_from" not in filters else date.fromisoformat(filters["date_from"])
    return date_from, date_to


def _get(client, path, filters):
    response = client.get(path, query_string=filters)
    assert response.status_code == 200, (path, filters, response.get_json())
    return response.get_json()["data"]


@pytest.mark.parametrize("role", AUDIENCES)
def test_overview_and_engagement_equal_the_sources(district, role):
    d, who = district, AUDIENCES[role](district)
    client = d.clients[role]
    for filters in _filter_sets(d, role):
        date_from, date_to = _period(d, filters)
        got = _get(client, "/api/v1/analytics/overview", filters)
        expected = expected_overview(d, who, filters, date_from, date_to, utcnow())
        assert {name: got[name] for name in expected} == expected, (role, filters)
        assert got["period"] == {
            "date_from": date_from.isoformat(),
            "date_to": date_to.isoformat(),
            "days": (date_to - date_from).days + 1,
        }
        assert got["filters"]["at_risk_days"] == filters.get("at_risk_days", 14)
        days = _get(client, "/api/v1/analytics/engagement", filters)["days"]
        assert days == expected_engagement(d, who, filters, date_from, date_to), (role, filters)


@pytest.mark.parametrize("role", AUDIENCES)
def test_courses_assessments_and_performance_equal_the_sources(district, role):
    d, who = district, AUDIENCES[role](district)
    client = d.clients[role]
    for filters in _filter_sets(d, role):
        if "at_risk_days" in filters:
            continue  # per-group at-risk counts are checked with the default
        date_from, date_to = _period(d, filters)
        now = utcnow()
        courses = _get(client, "/api/v1/analytics/courses", filters)["courses"]
        assert courses == expected_courses(d, who, filters, date_from, date_to, now), (role, filters)
        quizzes = _get(client, "/api/v1/analytics/assessments", filters)["assessments"]
        assert quizzes == expected_assessments(d, who, filters, date_from, date_to), (role, filters)
        performance = _get(client, "/api/v1/analytics/performance", filters)
        assert performance["branches"] == expected_groups(d, who, filters, date_from, date_to, now, "branch")
        assert performance["classes"] == expected_groups(d, who, filters, date_from, date_to, now, "class")


def test_the_district_has_something_to_tell_apart(district):
    """The scenario is not empty: each figure the tests compare is non-zero somewhere (a test of zeros against
    zeros would prove nothing)."""
    d = district
    overview = _get(d.clients["admin"], "/api/v1/analytics/overview", {"date_from": (d.today - timedelta(days=60))})
    assert overview["learners"] == 5 and overview["active_enrollments"] == 8
    assert overview["overdue"] == 1 and overview["due_soon"] == 2 and overview["at_risk"] == 3
    assert overview["completed"] == 1 and overview["completion_rate"] == 12.5
    assert overview["sign_ins"] >= 6 and overview["items_completed"] == 5 and overview["seconds_spent"] > 0
    assert overview["attempts"] == 4 and overview["average_score"] == 50.0 and overview["pass_rate"] == 50.0
    assert overview["enrollments"] == 9 and overview["completions"] == 1
    week = overview["active_learners"]
    assert 0 < week["day"] <= week["week"] < week["month"] <= week["period"]
    manager = _get(d.clients["manager"], "/api/v1/analytics/overview", {})
    admin = _get(d.clients["admin"], "/api/v1/analytics/overview", {})
    assert 0 < manager["learners"] < admin["learners"]


@pytest.mark.parametrize("role", AUDIENCES)
def test_the_drill_down_lists_the_learners_behind_each_figure(district, role):
    d, who = district, AUDIENCES[role](district)
    client = d.clients[role]
    date_from, date_to = _period(d, {})
    for figure in learner_figures.FIGURES:
        response = client.get("/api/v1/analytics/users", query_string={"figure": figure, "per_page": 100})
        assert response.status_code == 200, response.get_json()
        body = response.get_json()
        got = {row["user_id"]: row["at_risk_reason"] for row in body["data"]}
        expected = expected_learners(d, who, {}, figure, date_from, date_to, utcnow())
        assert got == expected, (role, figure)
        assert body["meta"]["total"] == len(expected)
    # in words, for the admin: n1 is overdue, n2 and x are inactive, s1 completed Geometry
    if role == "admin":
        rows = {
            row["user_id"]: row
            for row in _get(client, "/api/v1/analytics/users", {"figure": "at_risk", "sort": "user_id"})
        }
        assert {user: row["at_risk_reason"] for user, row in rows.items()} == {
            d.n1: "overdue",
            d.n2: "inactive",
            d.x: "inactive",
        }
        assert rows[d.n1]["email"] == "n1@example.org" and rows[d.n1]["name"] == "N1 Learner"
        assert rows[d.n1]["overdue"] == 1 and rows[d.n1]["seconds"] > 0


def test_the_drill_down_pages_and_sorts(district):
    client = district.clients["admin"]
    first = client.get("/api/v1/analytics/users", query_string={"per_page": 2, "sort": "user_id"}).get_json()
    second = client.get("/api/v1/analytics/users", query_string={"per_page": 2, "page": 2, "sort": "user_id"})
    ids = [row["user_id"] for row in first["data"]] + [row["user_id"] for row in second.get_json()["data"]]
    assert first["meta"] == {"page": 1, "per_page": 2, "total": 5}
    assert ids == sorted(ids) and len(set(ids)) == 4
    by_seconds = _get(client, "/api/v1/analytics/users", {"sort": "-seconds"})
    assert [row["seconds"] for row in by_seconds] == sorted((row["seconds"] for row in by_seconds), reverse=True)
    bad = client.get("/api/v1/analytics/users", query_string={"figure": "sleepy"})
    assert bad.status_code == 400 and "figure" in bad.get_json()["error"]["details"]
    assert client.get("/api/v1/analytics/users", query_string={"sort": "email"}).status_code == 400


def test_a_course_s_analytics_for_its_managers_and_following_managers(district):
    d = district
    path = f"/api/v1/courses/{d.stats}/analytics"
    for role, who in (("t", admin_audience(d)), ("admin", admin_audience(d)), ("manager", manager_audience(d))):
        got = _get(d.clients[role], path, {})
        date_from, date_to = _period(d, {})
        expected = expected_overview(d, who, {"course_id": d.stats}, date_from, date_to, utcnow())
        assert {name: got[name] for name in expected} == expected, role
        assert got["course"] == {"id": d.stats, "title": "Statistics"} and len(got["days"]) == 30
        classes = expected_groups(d, who, {"course_id": d.stats}, date_from, date_to, utcnow(), "class")
        if role == "manager":
            classes = [row for row in classes if row["class_id"] == d.n7]
        assert [row["class_id"] for row in got["classes"]] == [row["class_id"] for row in classes]
    assert d.clients["t2"].get(path).status_code == 403  # sees the course, follows none of its learners
    assert d.clients["t"].get(f"/api/v1/courses/{d.draft}/analytics").status_code == 404


def test_a_course_s_sign_ins_are_its_learners_and_read_from_their_index(app, district):
    """A course's analytics count the sign-ins of the people enrolled in the course (ended enrollments too), nobody
    else's; on SQLite they are read person by person from `ix_analytics_days_sign_ins` alone (h5: read as one OR
    with the course's rows, SQLite looked every day row of each learner up in the table)."""
    d = district
    filters = Filters(date_from=d.today - timedelta(days=29), date_to=d.today, course_id=d.stats)
    with recorded_statements(app, d.tenant) as recorded, tenant_context(d.tenant, app):
        period, _days = figures.period_and_days(filters, Audience(everyone=True))
    with app.app_context():
        engine = engine_for(d.tenant)
    with engine.connect() as connection:
        enrolled_sign_ins = connection.scalar(
            sa.text(
                "SELECT count(*) FROM sign_ins WHERE user_id IN (SELECT user_id FROM enrollments WHERE course_id = :c)"
                " AND created_at >= :start"
            ),
            {"c": d.stats, "start": datetime.combine(filters.date_from, datetime.min.time())},
        )
        assert enrolled_sign_ins > 0  # the district's learners of Statistics signed in during the period
        assert period.sign_ins == enrolled_sign_ins
        if engine.dialect.name == "sqlite":
            (statement, parameters) = recorded.statements[-1]
            plan = " ".join(
                str(row) for row in connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)
            )
            assert "COVERING INDEX ix_analytics_days_sign_ins" in plan, plan


@pytest.mark.parametrize("audience", ("teacher", "manager"), ids=("a teacher's people", "a branch manager's members"))
def test_a_period_read_person_by_person_equals_the_sources_from_the_index_alone(app, district, audience):
    """A teacher's and a branch manager's period figures read their people's day rows person by person; on SQLite
    from `ix_analytics_days_user_day` alone (0036: before, its key was only (person, day) and SQLite read each
    row from the table too: a teacher's period took a third more CPU on the bench). The figures equal the
    sources either way."""
    d = district
    audiences = {
        "teacher": (Audience(teacher_id=d.t, class_ids=frozenset({d.s7})), "t"),
        "manager": (Audience(branch_ids=frozenset({d.north})), "manager"),
    }
    chosen, role = audiences[audience]
    date_from, date_to = _period(d, {})
    filters = Filters(date_from=date_from, date_to=date_to)
    with recorded_statements(app, d.tenant) as recorded, tenant_context(d.tenant, app):
        got = figures.period_figures(filters, chosen)
    expected = expected_overview(d, AUDIENCES[role](d), {}, date_from, date_to, utcnow())
    assert {name: got[name] for name in got if name in expected} == {
        name: expected[name] for name in got if name in expected
    }
    assert got["sign_ins"] > 0 and got["active_learners"]["month"] > 0
    with app.app_context():
        engine = engine_for(d.tenant)
    if engine.dialect.name == "sqlite":
        (statement, parameters) = next((s, p) for s, p in recorded.statements if "analytics_days" in s)
        with engine.connect() as connection:
            plan = " ".join(
                str(row) for row in connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)
            )
        assert "COVERING INDEX ix_analytics_days_user_day" in plan, plan


@pytest.mark.parametrize("role", AUDIENCES)
def test_a_period_shorter_than_the_month_equals_the_sources(district, role):
    """A period shorter than the 30-day window of "active in the month": the sums count the period's rows only, each
    window its own people (the period and the week may be the same window, the month starts before the period).
    PostgreSQL counts the people of each window with its own statement (`figures._period_by_distinct`): a person
    counts once per window whatever the number of their rows and parts, and being enrolled is not activity."""
    d, who = district, AUDIENCES[role](district)
    client = d.clients[role]
    periods = (
        (d.today - timedelta(days=6), d.today),  # the period is the week
        (d.today - timedelta(days=4), d.today - timedelta(days=2)),  # ends before today: n1's sign-in and attempt
    )
    for date_from, date_to in periods:
        for chosen in ({}, {"course_id": d.stats}):
            filters = {"date_from": date_from.isoformat(), "date_to": date_to.isoformat(), **chosen}
            got = _get(client, "/api/v1/analytics/overview", filters)
            expected = expected_overview(d, who, filters, date_from, date_to, utcnow())
            assert {name: got[name] for name in expected} == expected, (role, filters)
    if role == "admin":  # the windows are told apart: someone active in the month, not in the period
        got = _get(client, "/api/v1/analytics/overview", {"date_from": periods[1][0], "date_to": periods[1][1]})
        active = got["active_learners"]
        assert 0 < active["period"] < active["month"] and got["sign_ins"] > 0 and got["attempts"] > 0


def test_few_statements_whatever_the_size(app, district):
    d = district
    filters = Filters(date_from=d.today - timedelta(days=29), date_to=d.today)
    audiences = {"admin": Audience(everyone=True), "manager": Audience(branch_ids=frozenset({d.north}))}

    def count(function, audience, *args):
        def run():
            with tenant_context(d.tenant, app):
                function(filters, audience, *args)

        return count_statements(app, d.tenant, run)

    for audience in audiences.values():
        assert count(figures.overview, audience) == 2
        assert count(figures.engagement, audience) == 1
        assert count(figures.courses, audience) == 3
        assert count(figures.assessments, audience) == 1
        assert count(learner_figures.learners, audience, {"figure": "at_risk"}) == 3
        assert count(group_figures.performance, audience) <= 7


def test_a_learner_s_own_figures(app, district):
    """`Audience.learner` (a student's own page): their enrollments and days only, nobody else's."""
    d = district
    me = Who("{u} = :me", "{u} = :me", {"me": d.n1})
    date_from, date_to = _period(d, {})
    filters = Filters(date_from=date_from, date_to=date_to)
    with tenant_context(d.tenant, app):
        got = figures.overview(filters, Audience.learner(d.n1))
        rows = learner_figures.learners(filters, Audience.learner(d.n1), {})["items"]
    expected = expected_overview(d, me, {}, date_from, date_to, utcnow())
    assert {name: got[name] for name in expected} == expected
    assert got["learners"] == 1 and got["overdue"] == 1
    assert [row["user_id"] for row in rows] == [d.n1]


MIXED = "courses, classes and a branch"


def _reach(*parts, **params):
    """An audience of several kinds of reach as SQL over the sources: their OR, for people and for enrollments."""
    people = " OR ".join(f"({person})" for person, _enrollment in parts)
    enrollments = " OR ".join(f"({enrollment})" for _person, enrollment in parts)
    return Who(f"({people})", f"({enrollments})", params)


def test_every_mix_of_reaches_equals_the_sources(app, district):
    """Each kind of reach alone and together (a teacher's courses, the classes they teach, the branches they
    manage): PostgreSQL reads a teacher's and a manager's enrollments as disjoint parts, one per reach, so a
    learner reached twice (s1: a student of S7 and a learner of Statistics; n1: a member of North and a learner
    of Statistics) counts once, and every enrollment of each reach counts."""
    d = district
    taught = (
        f"{{u}} IN (SELECT user_id FROM enrollments WHERE course_id IN ({TAUGHT_COURSES}))",  # noqa: S608
        f"{{c}} IN ({TAUGHT_COURSES})",
    )
    students = (f"{{u}} IN ({STUDENTS_OF_TAUGHT})",) * 2
    members = (f"{{u}} IN ({MEMBERS.format(':north')})",) * 2
    params = {"teacher": d.t, "north": d.north}
    mixes = {
        "courses": (Audience(teacher_id=d.t), _reach(taught, **params)),
        "classes": (Audience(class_ids=frozenset({d.s7})), _reach(students, **params)),
        MIXED: (
            Audience(teacher_id=d.t, class_ids=frozenset({d.s7}), branch_ids=frozenset({d.north})),
            _reach(taught, students, members, **params),
        ),
        "classes and branch": (
            Audience(class_ids=frozenset({d.s7}), branch_ids=frozenset({d.north})),
            _reach(students, members, **params),
        ),
        "nobody": (Audience(), Who("1 = 0", "1 = 0", {})),
    }
    date_from, date_to = _period(d, {})
    for name, (audience, who) in mixes.items():
        for chosen in ({}, {"course_id": d.stats}, {"branch_id": d.south}):
            filters = Filters(date_from=date_from, date_to=date_to, **chosen)
            with tenant_context(d.tenant, app):
                got = figures.overview(filters, audience)
            expected = expected_overview(d, who, chosen, date_from, date_to, utcnow())
            assert {figure: got[figure] for figure in expected} == expected, (name, chosen)
    # each reach adds enrollments of its own: the class s2's Geometry, the branch n1's Geometry and n2's Empty
    with tenant_context(d.tenant, app):
        alone = figures.overview(Filters(date_from=date_from, date_to=date_to), mixes["courses"][0])
        mixed = figures.overview(Filters(date_from=date_from, date_to=date_to), mixes[MIXED][0])
    assert (alone["learners"], alone["active_enrollments"]) == (4, 4)
    assert (mixed["learners"], mixed["active_enrollments"]) == (5, 8)
