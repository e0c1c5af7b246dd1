"""The server's timer: a job queued for the deadline submits the attempt with what was saved (the page may be
closed), saves after it are refused, and the sweep submits what a lost job left. Real Redis, real RQ."""

import time

import sqlalchemy as sa
from rq import SimpleWorker
from rq.job import Job

from app.extensions import db
from app.jobs import get_event_queue, get_queue, redis_connection
from app.tenancy.context import tenant_context
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
        registry = get_queue().scheduled_job_registry
        jobs = Job.fetch_many(registry.get_job_ids(), connection=redis_connection())
        wanted = (tenant.slug, "blueprints.assessments.attempts.submit_when_due", attempt_id)
        return [job for job in jobs if job is not None and job.args == wanted], registry


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

    with app.app_context():  # the worker of `flask worker`: its scheduler moves the due job, then runs it
        SimpleWorker([get_queue(), get_event_queue()], connection=redis_connection()).work(
            burst=True, with_scheduler=True
        )
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
