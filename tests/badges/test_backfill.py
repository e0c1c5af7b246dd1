"""Backfill: a badge activated (or made active, or whose criteria change) after learners met it is given to them
by a job on the real worker, once, never again to someone whose award was revoked; the badge's page says so."""

import os
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.events.models import OutboxEvent
from app.extensions import db
from app.jobs import get_queue
from app.tenancy.context import tenant_context
from blueprints.badges import backfill, jobs
from blueprints.badges.models import BadgeAward
from blueprints.users.services import create_user
from tests.conftest import run_jobs, spawn_worker
from tests.support.badges import badge_course, complete_course, create_badge, take_quiz
from tests.support.browser import Browser, accessibility_violations, layout_problems, open_signed_in
from tests.support.statements import count_statements

SHOTS = Path(os.environ["SCREENSHOT_DIR"]) if os.environ.get("SCREENSHOT_DIR") else None


def _holders(app, tenant, badge_id):
    """{user id: revoked?} of the badge's awards."""
    with tenant_context(tenant, app):
        rows = db.session.execute(
            sa.select(BadgeAward.user_id, BadgeAward.revoked_at).where(BadgeAward.badge_id == badge_id)
        ).all()
    return {user_id: revoked_at is not None for user_id, revoked_at in rows}


def _awarded_events(app, tenant, badge_id):
    with tenant_context(tenant, app):
        payloads = db.session.scalars(sa.select(OutboxEvent.payload).where(OutboxEvent.name == "badge.awarded"))
        return sorted(p["user_id"] for p in payloads if p["badge_id"] == badge_id)


def _queued_backfills(app):
    with app.app_context():
        return sum(1 for job in get_queue().get_jobs() if backfill.JOB in job.args)


def test_a_badge_activated_after_learners_completed_its_course_is_given_to_them_once(app, school):
    tenant = school["tenant"]
    course_id, item_ids, _quiz_id = badge_course(app, school)
    teacher, learners, students = school["teacher"], school["learners"], school["students"]
    badge = create_badge(
        teacher, name="Finished", course_id=course_id, criteria_strategy="course_completed", status="draft"
    )
    for learner in learners[:2]:
        complete_course(learner, item_ids)
    complete_course(learners[2], item_ids[:1])  # started, not finished
    run_jobs(app)
    assert _holders(app, tenant, badge["id"]) == {}  # a draft is nobody's

    activated = teacher.put(f"/api/v1/badges/{badge['id']}", json={"status": "active"})
    assert activated.status_code == 200, activated.get_json()
    run_jobs(app)
    assert _holders(app, tenant, badge["id"]) == {students[0]: False, students[1]: False}
    assert _awarded_events(app, tenant, badge["id"]) == sorted(students[:2])
    mine = learners[0].get(f"/api/v1/badges/{badge['id']}/progress").get_json()["data"]
    assert mine["awarded"] is True

    page = Browser(app, tenant)
    page.sign_in("teacher@example.org")
    html = page.get(f"/badges/{badge['id']}").get_data(as_text=True)
    assert "Given to the 2 learners who met it already (3 checked" in html

    # run again (the teacher renames the criteria's course to the same one: who meets it may have changed)
    with tenant_context(tenant, app):
        assert backfill.queue(badge["id"]) is True
    run_jobs(app)
    assert _holders(app, tenant, badge["id"]) == {students[0]: False, students[1]: False}
    assert _awarded_events(app, tenant, badge["id"]) == sorted(students[:2])  # nothing given twice
    html = page.get(f"/badges/{badge['id']}").get_data(as_text=True)
    assert "Given to the 0 learners who met it already (1 checked" in html  # only the one never given it


def test_a_revoked_holder_is_not_given_the_badge_again_by_a_backfill(app, school):
    tenant = school["tenant"]
    course_id, item_ids, _quiz_id = badge_course(app, school)
    teacher, learners, students = school["teacher"], school["learners"], school["students"]
    badge = create_badge(teacher, name="Finished", course_id=course_id, criteria_strategy="course_completed")
    complete_course(learners[0], item_ids)
    run_jobs(app)  # the event gives it
    revoked = teacher.post(f"/api/v1/badges/{badge['id']}/revoke", json={"user_id": students[0], "reason": "Copied"})
    assert revoked.status_code == 200, revoked.get_json()
    complete_course(learners[1], item_ids)
    teacher.put(f"/api/v1/badges/{badge['id']}", json={"status": "archived"})
    run_jobs(app)  # archived: learners[1]'s completion gives nothing
    assert _holders(app, tenant, badge["id"]) == {students[0]: True}

    teacher.put(f"/api/v1/badges/{badge['id']}", json={"status": "active"})
    worker = spawn_worker(app)  # a forking RQ worker process, as in production
    assert worker.wait(timeout=120) == 0
    assert _holders(app, tenant, badge["id"]) == {students[0]: True, students[1]: False}
    assert _awarded_events(app, tenant, badge["id"]) == sorted(students[:2])  # students[0]'s first award only


def test_a_badge_made_active_or_whose_criteria_change_is_backfilled_by_one_job(app, school):
    tenant = school["tenant"]
    course_id, item_ids, quiz_id = badge_course(app, school)
    teacher, learners, students = school["teacher"], school["learners"], school["students"]
    take_quiz(learners[0], quiz_id, right=True)
    take_quiz(learners[1], quiz_id, right=False)
    complete_course(learners[2], item_ids)
    run_jobs(app)

    made_active = create_badge(
        teacher,
        name="Passed",
        course_id=course_id,
        criteria_strategy="assessment_passed",
        criteria={"quiz_id": quiz_id},
    )
    assert _queued_backfills(app) == 1
    run_jobs(app)
    assert _holders(app, tenant, made_active["id"]) == {students[0]: False}

    scored = create_badge(
        teacher,
        name="Scored",
        course_id=course_id,
        criteria_strategy="assessment_score",
        criteria={"quiz_id": quiz_id, "min_percent": 100},
        status="draft",
    )
    assert _queued_backfills(app) == 0  # a draft: nothing to do
    for change in ({"status": "active"}, {"name": "Full marks"}, {"criteria": {"quiz_id": quiz_id, "min_percent": 90}}):
        assert teacher.put(f"/api/v1/badges/{scored['id']}", json=change).status_code == 200
    assert _queued_backfills(app) == 1  # activated, then its criteria changed: one job sees both
    run_jobs(app)
    assert _holders(app, tenant, scored["id"]) == {students[0]: False}

    switched = teacher.put(
        f"/api/v1/badges/{scored['id']}", json={"criteria_strategy": "course_completed", "criteria": {}}
    )
    assert switched.status_code == 200, switched.get_json()
    run_jobs(app)  # now completing the course earns it: students[2], who did
    assert _holders(app, tenant, scored["id"]) == {students[0]: False, students[2]: False}


def test_checking_many_learners_costs_a_few_queries_a_batch_not_some_per_learner(app, school):
    tenant = school["tenant"]
    course_id, item_ids, _quiz_id = badge_course(app, school)
    teacher, learners, students = school["teacher"], school["learners"], school["students"]
    with tenant_context(tenant, app):
        crowd = [create_user(f"crowd{n}@example.org", "student").id for n in range(60)]
    enrolled = teacher.post(f"/api/v1/courses/{course_id}/enrollments", json={"user_ids": crowd})
    assert enrolled.status_code in (200, 201), enrolled.get_json()
    badge = create_badge(
        teacher,
        name="Both",
        course_id=course_id,
        criteria_strategy="courses",
        criteria={"course_ids": [course_id], "mode": "all"},
        status="draft",
    )
    complete_course(learners[0], item_ids)
    run_jobs(app)
    teacher.put(f"/api/v1/badges/{badge['id']}", json={"status": "active"})

    with tenant_context(tenant, app):
        statements_run = count_statements(app, tenant, lambda: jobs.backfill_badge(badge["id"]))  # what the worker runs
        checked = backfill.status_of(badge["id"])
    assert (checked["checked"], checked["awarded"]) == (63, 1)
    assert _holders(app, tenant, badge["id"]) == {students[0]: False}
    # 63 learners checked: a few reads (the batch's people, their completions, the course's name), and one award's
    # writes (some fifteen statements: the lock, the row, its credential, the log, the event); 23 measured
    assert statements_run < 30, statements_run
    run_jobs(app)  # the queued job: nobody left to give it to
    assert _holders(app, tenant, badge["id"]) == {students[0]: False}


@pytest.mark.browser
@pytest.mark.parametrize("width", [375, 1280])
def test_the_badges_page_says_whom_the_backfill_gave_it_to(app, school, browser, live_server, width):
    tenant = school["tenant"]
    course_id, item_ids, _quiz_id = badge_course(app, school)
    complete_course(school["learners"][0], item_ids)
    run_jobs(app)
    badge = create_badge(
        school["teacher"], name="Algebra finisher", course_id=course_id, criteria_strategy="course_completed"
    )
    run_jobs(app)

    page = open_signed_in(
        browser,
        live_server,
        tenant,
        "teacher@example.org",
        f"/badges/{badge['id']}",
        width,
        812 if width == 375 else 800,
    )
    status = page.locator("#badge-backfill")
    assert "Given to the 1 learner who met it already (3 checked" in status.inner_text()
    assert layout_problems(page) == []
    assert accessibility_violations(page) == []
    if SHOTS:
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"badges-backfill-{width}.png"), full_page=True)
