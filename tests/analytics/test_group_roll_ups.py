"""The roll-ups per branch and per class (`analytics_group_members`, `analytics_groups`, `analytics_group_days`):
kept by the refreshes and by `memberships.changed` as the sources say, whatever joins, leaves, moves or changes
role; a rebuild gives the same rows; and `performance` for an org admin, read from them, equals the per-person
path and direct SQL over the sources on both sides of every boundary of "now"."""

import threading
import time
from datetime import datetime, timedelta

import sqlalchemy as sa

from app.events.models import EventDelivery, OutboxEvent
from app.events.relay import replay
from app.extensions import db
from app.tenancy.context import tenant_context
from app.tenancy.models import utcnow
from blueprints.analytics import group_figures, group_rollups, readmodel
from blueprints.analytics.audience import Audience
from blueprints.analytics.filters import Filters
from blueprints.analytics.sql import dialect_name
from blueprints.assessments.models import QuizAttempt
from blueprints.branches.queries import branch_members
from blueprints.classes.queries import student_classes
from blueprints.learning.models import Enrollment, ItemProgress
from tests.conftest import make_user, run_jobs
from tests.support.analytics import (
    AT_RISK_DAYS,
    differences,
    expected_group_roll_ups,
    expected_memberships,
    expected_person_progress,
    expected_read_model,
    roll_ups,
    scenario,  # noqa: F401 (fixture)
)
from tests.support.attempts import make_quiz
from tests.support.badges import take_quiz
from tests.support.event_worker import start_event_worker, stop
from tests.support.statements import count_statements, recorded_statements

GROUP_TABLES = ("analytics_group_members", "analytics_groups", "analytics_group_days")
EVERYONE = Audience(everyone=True)


def _groups_kept(app, tenant):
    kept = roll_ups(app, tenant)
    return {name: kept[name] for name in GROUP_TABLES}


def _float_sums_rounded(tables):
    """The float sums to 4 places: the sources' sums are of per-person sums rounded to 6 (`roll_ups`)."""
    return {
        name: {
            key: {
                column: round(value, 4) if column in ("progress_sum", "percent_sum") else value
                for column, value in row.items()
            }
            for key, row in rows.items()
        }
        for name, rows in tables.items()
    }


def _as_the_sources_say(app, tenant):
    kept = _groups_kept(app, tenant)
    mine, expected = _float_sums_rounded(kept), _float_sums_rounded(expected_group_roll_ups(app, tenant))
    for name in GROUP_TABLES:
        assert differences(mine[name], expected[name]) == [], name
    return kept


def _rebuilt(app, tenant):
    with tenant_context(tenant, app):
        readmodel.rebuild()
    return _groups_kept(app, tenant)


def _branches(school):
    admin, tenant = school["admin"], school["tenant"]
    base = f"/api/v1/organizations/{tenant.id}/branches"
    found = {row["code"]: row["id"] for row in admin.get(base).get_json()["data"]}
    if "south" not in found:
        found["south"] = admin.post(base, json={"code": "south", "name": "South"}).get_json()["data"]["id"]
    return base, found["north"], found["south"]


def _ok(response):
    assert response.status_code in (200, 201, 204), response.get_json()


def test_membership_changes_reach_the_group_roll_ups_as_the_sources_say(app, tenant, scenario):  # noqa: F811
    s = scenario
    admin = s.school["admin"]
    first, second, third = s.students
    base, north, south = _branches(s.school)
    for person, branch in ((first, north), (third, north), (s.outsider, south)):
        _ok(admin.post(f"{base}/{branch}/users", json={"user_id": person, "role": "student"}))
    # the third student joins the class
    _ok(admin.post(f"/api/v1/classes/{s.class_id}/members", json={"user_ids": [third], "role": "student"}))
    run_jobs(app)
    kept = _as_the_sources_say(app, tenant)
    assert ("class", s.class_id, third) in kept["analytics_group_members"]
    assert kept["analytics_groups"][("class", s.class_id)]["learners"] == 3
    assert kept["analytics_groups"][("branch", south)]["learners"] == 1

    # the first leaves the class and moves from North to South; the second becomes the class's teacher
    _ok(admin.delete(f"/api/v1/classes/{s.class_id}/members/{first}"))
    _ok(admin.put(f"/api/v1/users/{first}", json={"branch_ids": [south]}))
    _ok(admin.post(f"/api/v1/classes/{s.class_id}/members", json={"user_ids": [second], "role": "teacher"}))
    run_jobs(app)
    kept = _as_the_sources_say(app, tenant)
    assert kept["analytics_groups"][("class", s.class_id)]["learners"] == 1  # the third only
    assert kept["analytics_groups"][("branch", south)]["learners"] == 2
    assert ("class", s.class_id, second) not in kept["analytics_group_members"]
    assert any(key[:2] == ("class", s.class_id) for key in kept["analytics_group_days"])  # the third's due days

    # an enrollment of someone now in two groups reaches both
    with tenant_context(tenant, app):
        enrollment = db.session.scalar(
            sa.select(Enrollment).where(Enrollment.user_id == third, Enrollment.course_id == s.course_id)
        )
        enrollment.due_at = utcnow() - timedelta(days=2)
        db.session.commit()
        readmodel.refresh_enrollment(s.course_id, third)
        db.session.commit()
    kept = _as_the_sources_say(app, tenant)

    # every delivery of the memberships seen again changes nothing, and a rebuild gives the same rows
    with tenant_context(tenant, app):
        ours = db.session.scalars(
            sa.select(EventDelivery.id)
            .join(OutboxEvent, OutboxEvent.id == EventDelivery.event_id)
            .where(OutboxEvent.name == "memberships.changed", EventDelivery.subscriber.like("blueprints.analytics.%"))
        ).all()
        db.session.execute(sa.update(EventDelivery).where(EventDelivery.id.in_(ours)).values(status="pending"))
        db.session.commit()
    assert len(ours) >= 7  # one per membership change above (the writers announce them), and the fixture's
    for delivery_id in reversed(ours):
        assert replay(app, tenant.slug, delivery_id)
    assert _groups_kept(app, tenant) == kept
    assert _rebuilt(app, tenant) == kept


def _performance_rows(found, kind, labels):
    now, period = found[kind]
    return group_figures._group_rows(now, period, labels, f"{kind}_id")


def _slow_and_fast(filters):
    """`_group_figures` the per-person way and from the roll-ups, as `performance` rows."""
    every_group = lambda group_id: group_id.is_not(None)  # noqa: E731 (an `allowed` that allows all: the slow path)
    slow_kinds = {
        "branch": group_figures.Groups(branch_members(), "branch_id", every_group),
        "class": group_figures.Groups(student_classes(), "class_id", every_group),
    }
    fast_kinds = {
        "branch": group_figures.Groups(branch_members(), "branch_id"),
        "class": group_figures.Groups(student_classes(), "class_id"),
    }
    assert not group_figures._groups_rolled_up(filters, EVERYONE, slow_kinds)
    assert group_figures._groups_rolled_up(filters, EVERYONE, fast_kinds)
    slow = group_figures._group_figures(filters, EVERYONE, slow_kinds)
    fast = group_figures._group_figures(filters, EVERYONE, fast_kinds)
    return (
        {kind: _performance_rows(slow, kind, {}) for kind in slow_kinds},
        {kind: _performance_rows(fast, kind, {}) for kind in fast_kinds},
    )


def _expected_rows(app, tenant, filters):
    """The performance rows (without names) by direct SQL over the sources (`tests/support/analytics.py`)."""
    groups = expected_memberships(app, tenant)
    enrollments, days = expected_read_model(app, tenant)
    progress = expected_person_progress(app, tenant)
    now, inactive = filters.now, timedelta(days=AT_RISK_DAYS)
    found = {"branch": [], "class": []}
    for (kind, group_id), people in sorted(groups.items()):
        mine = [row for row in enrollments.values() if row["user_id"] in people and row["active"]]
        learners = {row["user_id"] for row in mine}
        still_open = [row for row in mine if row["completed_at"] is None]
        overdue = [row for row in still_open if row["due_at"] is not None and row["due_at"] < now]
        at_risk = [
            row
            for row in still_open
            if (row["due_at"] is not None and row["due_at"] < now) or row["last_activity_at"] < now - inactive
        ]
        graded = [
            row
            for (day, user_id, course_id), row in days.items()
            if user_id in people and course_id != 0 and filters.date_from <= day <= filters.date_to
        ]
        graded_count = sum(row["graded_attempts"] for row in graded)
        if not learners and not graded_count:
            continue
        completed = sum(progress[user]["completed"] for user in learners)
        progress_count = sum(progress[user]["progress_count"] for user in learners)
        progress_sum = sum(progress[user]["progress_sum"] for user in learners)
        found[kind].append(
            {
                f"{kind}_id": group_id,
                "name": "",
                "learners": len(learners),
                "enrollments": len(mine),
                "completion_rate": None if not mine else round(100.0 * completed / len(mine), 1),
                "average_progress": None if not progress_count else round(progress_sum / progress_count, 1),
                "overdue": len(overdue),
                "at_risk": len(at_risk),
                "average_score": None
                if not graded_count
                else round(sum(row["percent_sum"] for row in graded) / graded_count, 1),
            }
        )
    return found


def test_the_roll_ups_answer_as_the_per_person_path_and_the_sources_either_side_of_now(app, tenant, scenario):  # noqa: F811
    s = scenario
    admin = s.school["admin"]
    first, second, third = s.students
    base, north, south = _branches(s.school)
    for person, branch in ((first, north), (second, north), (third, north), (s.outsider, south)):
        _ok(admin.post(f"{base}/{branch}/users", json={"user_id": person, "role": "student"}))
    noon = datetime.combine(utcnow().date(), datetime.min.time()) + timedelta(hours=12)
    inactive = timedelta(days=AT_RISK_DAYS)
    with tenant_context(tenant, app):

        def enrollment(user_id):
            return db.session.scalar(
                sa.select(Enrollment).where(Enrollment.user_id == user_id, Enrollment.course_id == s.course_id)
            )

        enrollment(second).due_at = noon - timedelta(hours=1)  # due today an hour before noon
        enrollment(third).due_at = noon + timedelta(hours=1)  # and an hour after
        # the third's last activity: the item they completed, 14 days and 2 hours before noon's hour after
        for row in db.session.scalars(
            sa.select(ItemProgress).where(ItemProgress.enrollment_id == enrollment(third).id)
        ):
            row.completed_at = noon - inactive + timedelta(hours=2)
        # the outsider's: being enrolled, exactly the at-risk days an hour before noon (nothing else done)
        late = enrollment(s.outsider)
        late.enrolled_at, late.last_reported_at = noon - inactive - timedelta(hours=1), None
        db.session.execute(sa.delete(ItemProgress).where(ItemProgress.enrollment_id == late.id))
        db.session.execute(sa.update(QuizAttempt).where(QuizAttempt.user_id == s.outsider).values(status="started"))
        db.session.commit()
        for user_id in (second, third, s.outsider):
            readmodel.refresh_enrollment(s.course_id, user_id)
        db.session.commit()
    run_jobs(app)
    assert _as_the_sources_say(app, tenant) == _rebuilt(app, tenant)

    moments = [timedelta(hours=hours) for hours in (-2, -1.5, -0.5, 0, 0.5, 1.5, 2.5, 11.5)]
    moments += [timedelta(days=days) for days in (1, 2, 15, 40)]
    seen = set()
    for moment in moments:
        now = noon + moment
        filters = Filters(date_from=now.date() - timedelta(days=29), date_to=now.date(), now=now)
        with tenant_context(tenant, app):
            slow, fast = _slow_and_fast(filters)
        assert fast == slow, moment
        assert fast == _expected_rows(app, tenant, filters), moment
        seen.add(tuple((row["overdue"], row["at_risk"]) for row in fast["branch"]))
    assert len(seen) == 3  # none due yet; the second overdue and the outsider inactive; the third due too


def test_performance_for_an_org_admin_is_three_statements(app, tenant, scenario):  # noqa: F811
    today = utcnow().date()
    filters = Filters(date_from=today - timedelta(days=29), date_to=today)

    def run():
        with tenant_context(tenant, app):
            group_figures.performance(filters, EVERYONE)

    assert count_statements(app, tenant, run) == 3  # the roll-ups, the branches' and the classes' names


def test_a_real_worker_brings_a_membership_change_to_performance_within_5_seconds(app, tenant, scenario, capsys):  # noqa: F811
    s = scenario
    third = s.students[2]
    today = utcnow().date()

    def learners_of_the_class():
        filters = Filters(date_from=today - timedelta(days=29), date_to=today)
        rows = group_figures.performance(filters, EVERYONE)["classes"]
        return next((row["learners"] for row in rows if row["class_id"] == s.class_id), 0)

    with tenant_context(tenant, app):
        before = learners_of_the_class()
    worker = start_event_worker(app)
    try:
        started = time.monotonic()
        _ok(
            s.school["admin"].post(
                f"/api/v1/classes/{s.class_id}/members", json={"user_ids": [third], "role": "student"}
            )
        )
        delay = float("inf")
        while time.monotonic() - started < 10:
            with tenant_context(tenant, app):
                if learners_of_the_class() == before + 1:
                    delay = time.monotonic() - started
                    break
            time.sleep(0.02)
    finally:
        stop(worker)
    with capsys.disabled():
        print(f"\nperformance after a membership change: {delay * 1000:.0f} ms")
    assert delay < 5


def test_a_membership_change_and_a_refresh_of_the_same_person_take_turns(app, tenant, scenario):  # noqa: F811
    """Two connections: the person's memberships are reconciled and, before that commits, their enrollment is
    refreshed. The refresh waits for the person's lock (PostgreSQL: the advisory lock; SQLite: the write lock),
    so it adds its change to the class the person just joined; without the lock it would read the copy without
    the class and the class would miss the change."""
    s = scenario
    third = s.students[2]
    _ok(s.school["admin"].post(f"/api/v1/classes/{s.class_id}/members", json={"user_ids": [third], "role": "student"}))
    with tenant_context(tenant, app):
        enrollment = db.session.scalar(
            sa.select(Enrollment).where(Enrollment.user_id == third, Enrollment.course_id == s.course_id)
        )
        enrollment.due_at = utcnow() - timedelta(days=1)
        db.session.commit()
    reconciled, moments, errors = threading.Event(), {}, []

    def reconcile():
        try:
            with tenant_context(tenant, app):
                group_rollups.refresh_memberships([third])
                reconciled.set()
                time.sleep(1.0)  # the refresh is waiting by now
                moments["reconciled"] = time.monotonic()
                db.session.commit()
        except Exception as error:
            errors.append(error)
            reconciled.set()

    def refresh():
        try:
            reconciled.wait(10)
            with tenant_context(tenant, app):
                readmodel.refresh_enrollment(s.course_id, third)
                moments["refreshed"] = time.monotonic()
                db.session.commit()
        except Exception as error:
            errors.append(error)

    threads = [threading.Thread(target=reconcile), threading.Thread(target=refresh)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    assert moments["refreshed"] > moments["reconciled"]  # it waited for the other's commit
    kept = _as_the_sources_say(app, tenant)
    assert kept["analytics_groups"][("class", s.class_id)]["learners"] == 3
    assert _rebuilt(app, tenant) == kept


def test_a_learner_back_while_a_course_s_items_are_recounted_counts_once(app, tenant, scenario, monkeypatch):  # noqa: F811
    """A course's items changed, so `refresh_course_progress` recounts its learners' progress; meanwhile (PostgreSQL:
    another worker) a learner whose enrollment had ended comes back and their own refresh moves their share into
    their groups. The recount must not add that share a second time: it counts only the people it found (and, on
    PostgreSQL, locked) before it began (review, session 15: the class counted completed 4 for 2)."""
    s = scenario
    first = s.students[0]
    with tenant_context(tenant, app):
        enrollment = db.session.scalar(
            sa.select(Enrollment).where(Enrollment.user_id == first, Enrollment.course_id == s.course_id)
        )
        enrollment.status = "unenrolled"
        enrollment_id = enrollment.id
        db.session.commit()
        readmodel.refresh_enrollment(s.course_id, first)
        db.session.commit()
    _as_the_sources_say(app, tenant)
    execute, found_first = readmodel.execute, []

    def comes_back_after_the_first_read(statement, params):
        result = execute(statement, params)
        if statement is group_rollups.group_statements(dialect_name()).people_of_course and not found_first:
            found_first.append(result.all())
            enrollment.status = "active"
            db.session.flush()
            readmodel.refresh_enrollment(s.course_id, first)  # their own refresh, in between
            return found_first[0]
        return result

    with tenant_context(tenant, app):
        enrollment = db.session.get(Enrollment, enrollment_id)
        monkeypatch.setattr(readmodel, "execute", comes_back_after_the_first_read)
        readmodel.refresh_course_progress(s.course_id)
        monkeypatch.undo()
        db.session.commit()
    assert found_first and first not in {row.user_id for row in found_first[0]}
    kept = _as_the_sources_say(app, tenant)
    assert kept["analytics_groups"][("class", s.class_id)]["learners"] >= 1


def _writes_to(table, sqls):
    return sum(1 for sql in sqls if sql.lstrip().upper().startswith("INSERT INTO " + table.upper() + " "))


def _reads_of(table, sqls):
    return sum(
        1 for sql in sqls if sql.lstrip().upper().startswith("SELECT") and f"FROM {table.upper()}" in sql.upper()
    )


def test_a_delivery_writes_its_groups_once_in_key_order(app, tenant, scenario):  # noqa: F811
    """A submitted quiz moves the learner's due day (the enrollment's refresh) and adds a graded attempt to the
    day it was submitted (the day's refresh): one delivery, two changes to the class's days. They are summed and
    written in one statement, so two deliveries never lock the group rows in opposite orders (PostgreSQL would
    abort one as deadlocked; review, session 15)."""
    s = scenario
    second = s.students[1]  # in the class, Statistics open
    quiz_id = make_quiz(app, tenant, s.course_id)
    with tenant_context(tenant, app):
        enrollment = db.session.scalar(
            sa.select(Enrollment).where(Enrollment.user_id == second, Enrollment.course_id == s.course_id)
        )
        enrollment.due_at = utcnow() + timedelta(days=9)  # no event: the next refresh of theirs finds it
        db.session.commit()
    take_quiz(s.learners[second], quiz_id)
    with recorded_statements(app, tenant) as recorded:
        run_jobs(app)
    writes = [_writes_to("analytics_group_days", sqls) for sqls in recorded.transactions]
    assert max(writes) == 1, writes
    assert max(_writes_to("analytics_groups", sqls) for sqls in recorded.transactions) <= 1
    # and the learner's groups were read once for both changes (the accumulator keeps them for the delivery)
    reads = [_reads_of("analytics_group_members", sqls) for sqls in recorded.transactions]
    assert max(reads) == 1, reads
    kept = _as_the_sources_say(app, tenant)
    assert any(row["graded"] for key, row in kept["analytics_group_days"].items() if key[:2] == ("class", s.class_id))


def test_a_delivery_reads_a_person_s_groups_again_once_their_memberships_moved(app, tenant, scenario):  # noqa: F811
    """The accumulator keeps each person's groups for the delivery; when their memberships move within it, a later
    change of theirs goes to the groups they are in now (read again), not to those it read first."""
    s = scenario
    third = s.students[2]  # not in the class yet
    _ok(s.school["admin"].post(f"/api/v1/classes/{s.class_id}/members", json={"user_ids": [third], "role": "student"}))
    with tenant_context(tenant, app):
        enrollment = db.session.scalar(
            sa.select(Enrollment).where(Enrollment.user_id == third, Enrollment.course_id == s.course_id)
        )
        with group_rollups.group_writes():
            enrollment.due_at = utcnow() + timedelta(days=3)
            db.session.flush()
            readmodel.refresh_enrollment(s.course_id, third)  # their groups read: without the class
            group_rollups.refresh_memberships([third])  # the class joined: their whole share added to it
            enrollment.due_at = utcnow() + timedelta(days=5)
            db.session.flush()
            readmodel.refresh_enrollment(s.course_id, third)  # the due day moved: the class's days too
        db.session.commit()
    kept = _as_the_sources_say(app, tenant)
    assert kept["analytics_groups"][("class", s.class_id)]["learners"] == 3


def test_a_membership_change_of_many_people_costs_the_statements_of_one(app, tenant, scenario):  # noqa: F811
    """An import batch's `memberships.changed` names up to a batch of people: they are reconciled set-based, in as
    many statements as one person, not a few per person."""
    s = scenario
    admin = s.school["admin"]
    newcomers = [make_user(app, tenant, "student", email=f"new{n}@example.org") for n in range(12)]
    _ok(admin.post(f"/api/v1/courses/{s.course_id}/enrollments", json={"user_ids": newcomers}))
    run_jobs(app)

    def reconcile(people):
        def call():
            with tenant_context(tenant, app):
                group_rollups.refresh_memberships(people)
                db.session.commit()

        return count_statements(app, tenant, call)

    _ok(admin.post(f"/api/v1/classes/{s.class_id}/members", json={"user_ids": newcomers[:1], "role": "student"}))
    one = reconcile(newcomers[:1])
    _ok(admin.post(f"/api/v1/classes/{s.class_id}/members", json={"user_ids": newcomers[1:], "role": "student"}))
    many = reconcile(newcomers[1:])
    assert many == one, (one, many)
    run_jobs(app)  # the events' own deliveries find nothing left to change
    kept = _as_the_sources_say(app, tenant)
    assert kept["analytics_groups"][("class", s.class_id)]["learners"] == 2 + len(newcomers)
