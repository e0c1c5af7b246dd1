"""The analytics read model kept by its subscribers: after a scenario of several days done through the API and
pages and delivered through the relay, it holds what direct SQL over the source tables says; `flask analytics
rebuild` gives the same rows; deliveries seen again, in any order, change nothing; and a real worker brings an
event to the tables within seconds."""

import time
from datetime import datetime, timedelta

import sqlalchemy as sa

from app.events import emit_after_commit
from app.events.models import EventDelivery, OutboxEvent
from app.events.relay import replay
from app.extensions import db
from app.tenancy.context import tenant_context
from app.tenancy.models import utcnow
from blueprints.analytics import readmodel
from blueprints.analytics.models import NO_COURSE, AnalyticsDay, LearnerCourse
from blueprints.auth.models import SignIn
from tests.conftest import make_user, run_jobs
from tests.support.analytics import (
    differences,
    expected_person_figures,
    expected_person_progress,
    expected_read_model,
    person_figures,
    person_progress,
    read_model,
    roll_ups,
    scenario,  # noqa: F401 (fixture)
    signed_in,
)
from tests.support.courses import make_course
from tests.support.event_worker import start_event_worker, stop


def _rebuild(app, tenant, chunk):
    with tenant_context(tenant, app):
        return readmodel.rebuild(chunk=chunk)


def test_the_subscribers_keep_what_the_sources_say_and_a_rebuild_gives_the_same_rows(app, tenant, scenario):  # noqa: F811
    enrollments, days = read_model(app, tenant)
    expected_enrollments, expected_days = expected_read_model(app, tenant)
    assert differences(enrollments, expected_enrollments) == []
    assert differences(days, expected_days) == []
    assert len(enrollments) == 6 and len(days) > 15  # the scenario did what it says
    kept = roll_ups(app, tenant)  # what the subscribers' changes added up to
    assert all(kept.values())
    # each person's latest activity and earliest open due date and activity, as the sources say
    assert person_figures(kept["analytics_people"]) == expected_person_figures(expected_enrollments)
    # and their completed enrollments and progress, as the sources and the courses' items say
    assert person_progress(kept["analytics_people"]) == expected_person_progress(app, tenant)
    people_without_enrollments = [row for row in kept["analytics_people"].values() if not row["active_enrollments"]]
    assert all(row["last_activity_at"] is row["open_due_at"] is None for row in people_without_enrollments)

    with tenant_context(tenant, app):  # a wrong row and a stray one: the rebuild replaces the tables
        db.session.execute(sa.update(LearnerCourse).values(items_completed=99))
        db.session.add(AnalyticsDay(day=utcnow().date(), user_id=12345, course_id=NO_COURSE, sign_ins=7))
        db.session.commit()
    result = _rebuild(app, tenant, chunk=3)  # people in ranges of 3 user ids: several statements per table
    assert (result.enrollments, result.days) == (len(enrollments), len(days))
    assert read_model(app, tenant) == (enrollments, days)
    assert roll_ups(app, tenant) == kept


def test_the_days_are_the_days_things_happened_and_a_late_grade_corrects_its_submission_day(app, tenant, scenario):  # noqa: F811
    enrollments, days = read_model(app, tenant)
    today = utcnow().date()
    first, second, _third = scenario.students
    statistics = scenario.course_id
    three_days_ago, yesterday = today - timedelta(days=3), today - timedelta(days=1)

    def row(day, user, course):
        return days.get((day, user, course))

    # day -3: enrolled with the class, an item done, 90 s, the essay's attempt (graded today, counted that day)
    assert row(three_days_ago, first, statistics) == {
        "sign_ins": 0,
        "enrollments": 1,
        "completions": 0,
        "items_completed": 1,
        "seconds": 90,
        "attempts": 1,
        "graded_attempts": 1,
        "percent_sum": 100.0,
        "passed_attempts": 1,
    }
    assert row(yesterday, first, statistics)["items_completed"] == 1
    assert row(yesterday, first, statistics)["seconds"] == 120
    assert row(today, first, statistics)["completions"] == 1
    assert row(yesterday, second, statistics)["attempts"] == 1
    assert row(yesterday, second, statistics)["passed_attempts"] == 0
    # sign-ins: the API and page logins of day -3, the one of day -1, and today's (tokens and a page)
    assert row(three_days_ago, first, NO_COURSE)["sign_ins"] == 2
    assert row(yesterday, first, NO_COURSE)["sign_ins"] == 1
    assert row(today, second, NO_COURSE)["sign_ins"] >= 1
    assert row(today, first, scenario.second_course) is None  # nothing happened there today
    by_key = {(row["course_id"], row["user_id"]): row for row in enrollments.values()}
    assert by_key[(statistics, scenario.outsider)]["active"] is True  # back after being unenrolled
    assert by_key[(scenario.second_course, second)]["active"] is False  # unenrolled: the row stays, inactive
    assert by_key[(statistics, first)]["best_percent"] == 100.0 and by_key[(statistics, first)]["items_completed"] == 3


def test_an_event_just_after_midnight_counts_what_happened_just_before_it(app, tenant):
    person = make_user(app, tenant)
    midnight = datetime.combine(utcnow().date() - timedelta(days=2), datetime.min.time())
    with tenant_context(tenant, app):
        db.session.add(SignIn(id="m" * 32, user_id=person, kind="page", created_at=midnight - timedelta(seconds=0.4)))
        at = midnight + timedelta(seconds=0.3)  # the event's time is taken a moment after the row's
        emit_after_commit(db.session, "auth.signed_in", user_id=person, kind="page", occurred_at=at)
        db.session.commit()
    run_jobs(app)
    _enrollments, days = read_model(app, tenant)
    assert days[(midnight.date() - timedelta(days=1), person, NO_COURSE)]["sign_ins"] == 1
    assert (midnight.date(), person, NO_COURSE) not in days


def test_deliveries_seen_again_in_reverse_order_change_nothing(app, tenant, scenario):  # noqa: F811
    before = read_model(app, tenant), roll_ups(app, tenant)
    with tenant_context(tenant, app):
        ours = db.session.scalars(
            sa.select(EventDelivery.id)
            .join(OutboxEvent, OutboxEvent.id == EventDelivery.event_id)
            .where(EventDelivery.subscriber.like("blueprints.analytics.%"))
            .order_by(OutboxEvent.occurred_at.desc(), EventDelivery.id.desc())
        ).all()
        db.session.execute(sa.update(EventDelivery).where(EventDelivery.id.in_(ours)).values(status="pending"))
        db.session.commit()
    assert len(ours) > 30
    for _twice in range(2):
        for delivery_id in ours:
            with tenant_context(tenant, app):
                db.session.execute(
                    sa.update(EventDelivery).where(EventDelivery.id == delivery_id).values(status="pending")
                )
                db.session.commit()
            assert replay(app, tenant.slug, delivery_id)
        run_jobs(app)
    with tenant_context(tenant, app):
        done = db.session.scalar(
            sa.select(sa.func.count()).where(EventDelivery.id.in_(ours), EventDelivery.status == "done")
        )
    assert done == len(ours)
    assert (read_model(app, tenant), roll_ups(app, tenant)) == before


def test_a_real_worker_brings_a_sign_in_and_a_completed_item_to_the_read_model_within_5_seconds(
    app, api, tenant, school, capsys
):
    course_id, (item_id,) = make_course(school["teacher"], title="Fresh", items=1)
    school["teacher"].post(f"/api/v1/courses/{course_id}/enrollments", json={"user_ids": school["students"][:1]})
    run_jobs(app)  # what came before, so that the worker's queue holds the measured events only
    learner_id = school["students"][0]
    with tenant_context(tenant, app):
        signed_in_before = _sign_ins_today(learner_id)  # the school's tokens are sign-ins too
    worker = start_event_worker(app)
    try:
        started = time.monotonic()
        learner = signed_in(api, tenant, "s0@example.org")
        sign_in_delay = _wait_for(app, tenant, lambda: _sign_ins_today(learner_id) > signed_in_before, started)
        started = time.monotonic()
        assert learner.post(f"/api/v1/content/{item_id}/complete").status_code == 200
        item_delay = _wait_for(app, tenant, lambda: _items_completed(course_id, learner_id) == 1, started)
    finally:
        stop(worker)
    with capsys.disabled():
        print(
            f"\nread model freshness: sign-in {sign_in_delay * 1000:.0f} ms, item completed {item_delay * 1000:.0f} ms"
        )
    assert sign_in_delay < 5 and item_delay < 5


def _wait_for(app, tenant, condition, started, timeout=10):
    while time.monotonic() - started < timeout:
        with tenant_context(tenant, app):
            if condition():
                return time.monotonic() - started
        time.sleep(0.02)
    return float("inf")


def _sign_ins_today(user_id):
    return (
        db.session.scalar(
            sa.select(AnalyticsDay.sign_ins).where(
                AnalyticsDay.day == utcnow().date(),
                AnalyticsDay.user_id == user_id,
                AnalyticsDay.course_id == NO_COURSE,
            )
        )
        or 0
    )


def _items_completed(course_id, user_id):
    return db.session.scalar(
        sa.select(LearnerCourse.items_completed).where(
            LearnerCourse.course_id == course_id, LearnerCourse.user_id == user_id
        )
    )
