"""The server's timer: a job queued for the deadline submits the attempt with what was saved (the page may be
closed), saves after it are refused, and the sweep submits what a lost job left; a change of the quiz's timing
or of a learner's extra time moves the deadlines of open attempts (through the event relay and the worker).
Real Redis, real RQ."""

import time
from datetime import timedelta

import sqlalchemy as sa
from rq.job import Job

from app.events.models import EventDelivery, OutboxEvent
from app.extensions import db
from app.jobs import EventWorker, get_event_queue, redis_connection
from app.tenancy.context import tenant_context
from blueprints.assessments.attempts import schedule_deadline
from blueprints.assessments.models import QuizAttempt
from tests.support.attempts import enrolled_course, future, make_quiz, past


def _attempt_row(app, tenant, attempt_id):
    with tenant_context(tenant, app):
        attempt = db.session.get(QuizAttempt, attempt_id)
        return {
            "status": attempt.status,
            "auto_submitted": attempt.auto_submitted,
            "score": attempt.score,
            "submitted_at": attempt.submitted_at,
            "deadline_at": attempt.deadline_at,
        }


def _deadline_jobs(app, tenant, attempt_id):
    with app.app_context():
        registry = get_event_queue().scheduled_job_registry
        jobs = Job.fetch_many(registry.get_job_ids(), connection=redis_connection())
        wanted = (tenant.slug, "blueprints.assessments.attempts.submit_when_due", attempt_id)
        return [job for job in jobs if job is not None and job.args[:3] == wanted], registry


def _work_events_and_due_jobs(app):
    """The worker of `flask worker --events`: deliveries of events, and the deadline jobs that are due."""
    with app.app_context():
        EventWorker([get_event_queue()], connection=redis_connection()).work(burst=True, with_scheduler=True)


def _started_long_ago(app, tenant, attempt_id, seconds_left):
    """Make an attempt at a timed quiz look as if it started long enough ago to have `seconds_left`, with its
    deadline job queued for then (in place of the one queued when it started)."""
    jobs, registry = _deadline_jobs(app, tenant, attempt_id)
    for job in jobs:
        registry.remove(job)
        job.delete()
    with tenant_context(tenant, app):
        attempt = db.session.get(QuizAttempt, attempt_id)
        deadline = _now() + timedelta(seconds=seconds_left)
        attempt.started_at = attempt.started_at - (attempt.deadline_at - deadline)
        attempt.deadline_at = deadline
        db.session.commit()
        schedule_deadline(attempt)
        return deadline


def test_the_deadline_job_submits_what_was_saved_and_later_saves_are_refused(app, school):
    tenant = school["tenant"]
    course_id, _items = enrolled_course(school)
    quiz_id = make_quiz(app, tenant, course_id, kinds=("single_choice", "true_false"), closes_at=future(seconds=3))
    learner = school["learners"][0]
    attempt = learner.post(f"/api/v1/assessments/{quiz_id}/attempts").get_json()["data"]
    position = next(q["position"] for q in attempt["questions"] if q["kind"] == "single_choice")
    saved = learner.put(f"/api/v1/attempts/{attempt['id']}/answers/{position}", json={"response": {"choice": "a"}})
    assert saved.status_code == 200
    jobs, _registry = _deadline_jobs(app, tenant, attempt["id"])
    assert len(jobs) == 1  # queued for the deadline, not run before it

    row = _attempt_row(app, tenant, attempt["id"])
    time.sleep(max(0.0, (row["deadline_at"] - _now()).total_seconds()) + 0.3)
    late = learner.put(f"/api/v1/attempts/{attempt['id']}/answers/{position}", json={"response": {"choice": "b"}})
    assert (late.status_code, late.get_json()["error"]["code"]) == (409, "ATTEMPT_CLOSED")
    assert _attempt_row(app, tenant, attempt["id"])["status"] == "in_progress"  # nobody has read it since

    with app.app_context():  # the worker of `flask worker --events`: its scheduler moves the due job, then runs it
        EventWorker([get_event_queue()], connection=redis_connection()).work(burst=True, with_scheduler=True)
    row = _attempt_row(app, tenant, attempt["id"])
    assert (row["status"], row["auto_submitted"], row["score"]) == ("graded", True, 1.0)
    assert row["submitted_at"] <= row["deadline_at"]


def test_the_sweep_submits_an_attempt_whose_deadline_job_was_lost(app, school):
    tenant = school["tenant"]
    course_id, _items = enrolled_course(school)
    quiz_id = make_quiz(app, tenant, course_id, kinds=("true_false",), time_limit_minutes=20)
    learner = school["learners"][0]
    attempt = learner.post(f"/api/v1/assessments/{quiz_id}/attempts").get_json()["data"]
    learner.put(f"/api/v1/attempts/{attempt['id']}/answers/1", json={"response": {"value": False}})
    jobs, registry = _deadline_jobs(app, tenant, attempt["id"])
    for job in jobs:  # Redis lost it
        registry.remove(job)
        job.delete()
    with tenant_context(tenant, app):
        db.session.execute(
            sa.update(QuizAttempt).where(QuizAttempt.id == attempt["id"]).values(deadline_at=past(seconds=1))
        )
        db.session.commit()

    result = app.test_cli_runner().invoke(args=["attempts", "sweep", "--once"])
    assert result.exit_code == 0, result.output
    assert "submitted" in result.output
    row = _attempt_row(app, tenant, attempt["id"])
    assert (row["status"], row["auto_submitted"], row["score"]) == ("graded", True, 1.0)


def test_reading_an_overdue_attempt_submits_it_with_what_was_saved(app, school):
    tenant = school["tenant"]
    course_id, _items = enrolled_course(school)
    quiz_id = make_quiz(app, tenant, course_id, kinds=("true_false",), time_limit_minutes=20)
    learner = school["learners"][0]
    attempt = learner.post(f"/api/v1/assessments/{quiz_id}/attempts").get_json()["data"]
    learner.put(f"/api/v1/attempts/{attempt['id']}/answers/1", json={"response": {"value": True}})
    with tenant_context(tenant, app):
        db.session.execute(
            sa.update(QuizAttempt).where(QuizAttempt.id == attempt["id"]).values(deadline_at=past(seconds=1))
        )
        db.session.commit()
    read = learner.get(f"/api/v1/attempts/{attempt['id']}").get_json()["data"]
    assert (read["status"], read["auto_submitted"], read["score"]) == ("graded", True, 0.0)
    # starting again opens a second attempt: the first is over
    again = learner.post(f"/api/v1/assessments/{quiz_id}/attempts").get_json()["data"]
    assert again["number"] == 2 and again["status"] == "in_progress"


def _now():
    return past(seconds=0)


def test_extra_time_given_mid_attempt_moves_its_deadline_and_the_old_job_does_nothing(app, school):
    tenant = school["tenant"]
    course_id, _items = enrolled_course(school)
    quiz_id = make_quiz(app, tenant, course_id, kinds=("true_false",), time_limit_minutes=20)
    learner, learner_id = school["learners"][0], school["students"][0]
    attempt = learner.post(f"/api/v1/assessments/{quiz_id}/attempts").get_json()["data"]
    old_deadline = _started_long_ago(
        app, tenant, attempt["id"], seconds_left=8
    )  # the extra time lands before it, on a busy machine too

    given = school["teacher"].put(
        f"/api/v1/assessments/{quiz_id}/accommodations/{learner_id}", json={"extra_minutes": 10, "extra_attempts": 0}
    )
    assert given.status_code == 200, given.get_json()
    _work_events_and_due_jobs(app)  # the relayed `assessment.timing_changed` reaches the attempts part
    row = _attempt_row(app, tenant, attempt["id"])
    assert row["deadline_at"] == old_deadline + timedelta(minutes=10)
    jobs, _registry = _deadline_jobs(app, tenant, attempt["id"])
    assert sorted(job.args[3] for job in jobs) == sorted([old_deadline.isoformat(), row["deadline_at"].isoformat()])

    time.sleep(max(0.0, (old_deadline - _now()).total_seconds()) + 1.2)
    _work_events_and_due_jobs(app)  # the old deadline's job runs, and leaves the attempt open
    assert _attempt_row(app, tenant, attempt["id"])["status"] == "in_progress"
    saved = learner.put(f"/api/v1/attempts/{attempt['id']}/answers/1", json={"response": {"value": False}})
    assert saved.status_code == 200, saved.get_json()
    read = learner.get(f"/api/v1/attempts/{attempt['id']}").get_json()["data"]
    assert read["status"] == "in_progress" and 9 * 60 < read["seconds_left"] <= 10 * 60
    jobs, _registry = _deadline_jobs(app, tenant, attempt["id"])
    assert [job.args[3] for job in jobs] == [row["deadline_at"].isoformat()]  # the new deadline's job waits


def test_closing_time_moved_earlier_submits_open_attempts_at_the_new_one(app, school):
    tenant = school["tenant"]
    course_id, _items = enrolled_course(school)
    quiz_id = make_quiz(app, tenant, course_id, kinds=("true_false",), closes_at=future(hours=1))
    learner = school["learners"][0]
    attempt = learner.post(f"/api/v1/assessments/{quiz_id}/attempts").get_json()["data"]
    assert (
        learner.put(f"/api/v1/attempts/{attempt['id']}/answers/1", json={"response": {"value": False}}).status_code
        == 200
    )
    other = school["learners"][1].post(f"/api/v1/assessments/{quiz_id}/attempts").get_json()["data"]

    # far enough ahead that the move itself lands before it on a loaded machine (3 s did not, once: the
    # attempts' deadline became the moment of the move)
    closes_at = future(seconds=8).replace(microsecond=0)
    moved = school["teacher"].put(f"/api/v1/assessments/{quiz_id}", json={"closes_at": closes_at.isoformat() + "Z"})
    assert moved.status_code == 200, moved.get_json()
    _work_events_and_due_jobs(app)
    assert _attempt_row(app, tenant, attempt["id"])["deadline_at"] == closes_at
    assert _attempt_row(app, tenant, other["id"])["deadline_at"] == closes_at  # everyone's open attempt

    time.sleep(max(0.0, (closes_at - _now()).total_seconds()) + 1.2)
    _work_events_and_due_jobs(app)  # the new deadline's job, not a read or a sweep, submits it
    row = _attempt_row(app, tenant, attempt["id"])
    assert (row["status"], row["auto_submitted"], row["score"]) == ("graded", True, 1.0)
    assert row["submitted_at"] == closes_at
    assert _attempt_row(app, tenant, other["id"])["status"] == "graded"


def test_a_shorter_time_limit_submits_an_attempt_already_past_it_now_with_what_was_saved(app, school):
    tenant = school["tenant"]
    course_id, _items = enrolled_course(school)
    quiz_id = make_quiz(app, tenant, course_id, kinds=("true_false",), time_limit_minutes=60)
    learner = school["learners"][0]
    attempt = learner.post(f"/api/v1/assessments/{quiz_id}/attempts").get_json()["data"]
    learner.put(f"/api/v1/attempts/{attempt['id']}/answers/1", json={"response": {"value": False}})
    _started_long_ago(app, tenant, attempt["id"], seconds_left=30 * 60)  # 30 minutes in

    changed_at = _now()
    school["teacher"].put(f"/api/v1/assessments/{quiz_id}", json={"time_limit_minutes": 20})
    _work_events_and_due_jobs(app)
    row = _attempt_row(app, tenant, attempt["id"])
    assert (row["status"], row["auto_submitted"], row["score"]) == ("graded", True, 1.0)
    assert row["submitted_at"] >= changed_at  # not ten minutes back: answers saved until the change count


def test_a_learner_unenrolled_mid_attempt_changes_nothing_and_the_deadline_submits_what_was_saved(app, school):
    tenant, teacher = school["tenant"], school["teacher"]
    course_id, _items = enrolled_course(school)
    item = teacher.post(
        f"/api/v1/courses/{course_id}/content",
        json={"kind": "assessment", "title": "Check", "body": "", "module_title": "Checks"},
    ).get_json()["data"]
    quiz_id = make_quiz(
        app,
        tenant,
        course_id,
        kinds=("true_false",),
        item_id=item["id"],
        pass_percent=50.0,
        closes_at=future(seconds=4),
    )
    learner, learner_id = school["learners"][0], school["students"][0]
    attempt = learner.post(f"/api/v1/assessments/{quiz_id}/attempts").get_json()["data"]
    answer_url = f"/api/v1/attempts/{attempt['id']}/answers/1"
    assert learner.put(answer_url, json={"response": {"value": False}}).status_code == 200
    assert teacher.delete(f"/api/v1/courses/{course_id}/enrollments/{learner_id}").status_code == 200

    refused = [
        learner.put(answer_url, json={"response": {"value": True}}),
        learner.post(f"/api/v1/attempts/{attempt['id']}/submit", json={}),
        learner.post(f"/api/v1/attempts/{attempt['id']}/submit", json={"answers": [{"position": 1, "response": {}}]}),
    ]
    for response in refused:
        body = response.get_json()
        assert (response.status_code, body["success"], body["error"]["code"]) == (403, False, "NOT_ENROLLED")
        assert "no longer enrolled" in body["error"]["message"]
    mine = learner.get(f"/api/v1/attempts/{attempt['id']}").get_json()["data"]  # still theirs to read
    assert mine["status"] == "in_progress" and mine["questions"][0]["response"] == {"value": False}

    row = _attempt_row(app, tenant, attempt["id"])
    time.sleep(max(0.0, (row["deadline_at"] - _now()).total_seconds()) + 1.2)
    _work_events_and_due_jobs(app)  # the deadline job submits what was saved; its events are delivered
    _work_events_and_due_jobs(app)
    row = _attempt_row(app, tenant, attempt["id"])
    assert (row["status"], row["auto_submitted"], row["score"]) == ("graded", True, 1.0)
    results = teacher.get(f"/api/v1/assessments/{quiz_id}/results").get_json()["data"]
    assert [(r["user_id"], r["grade_percent"]) for r in results] == [(learner_id, 100.0)]
    with tenant_context(tenant, app):  # the pass reaches learning, which has no enrollment to complete: no retries
        deliveries = db.session.execute(
            sa.select(OutboxEvent.name, EventDelivery.status, EventDelivery.last_error).join(
                EventDelivery, EventDelivery.event_id == OutboxEvent.id
            )
        ).all()
    assert ("assessment.passed", "done", None) in deliveries
    assert [d for d in deliveries if d.status != "done"] == []
