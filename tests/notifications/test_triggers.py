"""Events -> notifications: each trigger tells the right person (and nobody else: never the teacher of a student's
news), once even when its event is delivered again, with a link that opens for that person."""

import os
import re

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.tenancy.context import tenant_context
from blueprints.imports.models import UserImport
from blueprints.imports.services import run_import
from blueprints.notifications.models import Notification, NotificationSetting
from blueprints.users.models import User
from tests.conftest import PASSWORD, make_user, run_jobs
from tests.support.attempts import add_question, add_quiz, enrolled_course
from tests.support.auth import reset_token_from
from tests.support.badges import complete_course, create_badge
from tests.support.browser import Browser
from tests.support.imports import HEADER, upload
from tests.support.notifications import deliver_again, told

SUBSCRIBER = "blueprints.notifications.subscribers."


def _email_of(app, tenant, user_id):
    with tenant_context(tenant, app):
        return db.session.get(User, user_id).email


def _opens_for(app, tenant, email, link):
    """The page a notification links to answers 200 to its person (after signing in)."""
    browser = Browser(app, tenant)
    browser.sign_in(email)
    response = browser.get(link.split("#")[0])
    return response.status_code


def test_enrolled_learners_are_told_once_with_their_course_and_nobody_else(app, school, mailbox):
    tenant = school["tenant"]
    course_id, _items = enrolled_course(school, students=school["students"][:2])
    run_jobs(app)
    rows = told(app, tenant, "enrolled")
    assert sorted(row[0] for row in rows) == sorted(school["students"][:2])
    assert {row[2] for row in rows} == {"You are enrolled in Algebra"}
    assert {row[3] for row in rows} == {f"/learn/{course_id}"}
    assert deliver_again(app, tenant, "enrollment.created", SUBSCRIBER + "tell_enrolled") == 2
    run_jobs(app)
    assert len(told(app, tenant, "enrolled")) == 2  # redelivered: nobody told twice
    assert len(mailbox.to("s0@example.org")) == 1 and mailbox.to("teacher@example.org") == []
    assert _opens_for(app, tenant, "s0@example.org", rows[0][3]) == 200


def test_completing_a_course_tells_the_learner_and_gives_the_certificate_notice(app, school):
    tenant = school["tenant"]
    course_id, item_ids = enrolled_course(school, items=2)
    run_jobs(app)
    complete_course(school["learners"][0], item_ids)
    run_jobs(app)
    run_jobs(app)  # the certificate's issue is an event of its own
    completed = told(app, tenant, "course_completed")
    assert completed == [
        (school["students"][0], "course_completed", "You completed Algebra", f"/learn/{course_id}/finished")
    ]
    certificates = told(app, tenant, "certificate_issued")
    assert [(row[0], row[2]) for row in certificates] == [(school["students"][0], "Your certificate for Algebra")]
    assert re.fullmatch(r"/achievements#certificate-\d+", certificates[0][3])
    assert _opens_for(app, tenant, "s0@example.org", completed[0][3]) == 200
    assert _opens_for(app, tenant, "s0@example.org", certificates[0][3]) == 200


def test_a_grade_given_by_a_person_is_news_a_grade_on_submit_is_not(app, school):
    tenant, teacher, learner = school["tenant"], school["teacher"], school["learners"][0]
    course_id, _items = enrolled_course(school)
    with tenant_context(tenant, app):
        essay_id = add_question("essay", course_id).id
        choice_id = add_question("single_choice", course_id).id
        exam_id = add_quiz(course_id, [essay_id, choice_id], title="Essay exam").id
        quick_id = add_quiz(course_id, [choice_id], title="Quick check").id
        db.session.commit()
    for quiz_id, answers in (
        (quick_id, [{"position": 1, "response": {"choice": "a"}}]),
        (exam_id, [{"position": 1, "response": {"text": "Rayleigh."}}, {"position": 2, "response": {"choice": "a"}}]),
    ):
        learner.post(f"/api/v1/assessments/{quiz_id}/attempts")
        submitted = learner.post(f"/api/v1/assessments/{quiz_id}/submit", json={"answers": answers})
        assert submitted.status_code == 200, submitted.get_json()
    attempt_id = submitted.get_json()["data"]["id"]
    run_jobs(app)
    assert told(app, tenant, "assessment_graded") == []  # the quick check was graded on submit: seen on screen
    graded = teacher.put(f"/api/v1/attempts/{attempt_id}/answers/1/grade", json={"score": 1, "comment": "Good."})
    assert graded.status_code == 200, graded.get_json()
    run_jobs(app)
    rows = told(app, tenant, "assessment_graded")
    percent = graded.get_json()["data"]["percent"]
    assert [(row[0], row[2]) for row in rows] == [(school["students"][0], f"Essay exam is graded: {percent:.1f} %")]
    assert rows[0][3] == f"/courses/{course_id}/attempts/{attempt_id}"
    assert _opens_for(app, tenant, "s0@example.org", rows[0][3]) == 200


def test_a_badge_given_by_hand_tells_its_holder(app, school):
    tenant = school["tenant"]
    course_id, _items = enrolled_course(school)
    badge = create_badge(school["teacher"], name="Helper", course_id=course_id)
    given = school["teacher"].post(f"/api/v1/badges/{badge['id']}/award", json={"user_id": school["students"][1]})
    assert given.status_code == 201, given.get_json()
    run_jobs(app)
    assert told(app, tenant, "badge_earned") == [
        (school["students"][1], "badge_earned", "You earned the badge Helper", "/achievements")
    ]
    assert _opens_for(app, tenant, "s1@example.org", "/achievements") == 200


def test_a_report_asked_for_tells_its_requester_only(app, school):
    tenant, teacher = school["tenant"], school["teacher"]
    asked = teacher.post("/api/v1/reports", json={"kind": "course_completion", "format": "csv", "params": {}})
    assert asked.status_code == 202, asked.get_json()
    run_jobs(app)
    run_jobs(app)
    rows = told(app, tenant, "report_ready")
    assert len(rows) == 1 and rows[0][3] == f"/reports/{asked.get_json()['data']['id']}"
    assert _email_of(app, tenant, rows[0][0]) == "teacher@example.org"
    assert "is ready" in rows[0][2] and tenant.name in rows[0][2]
    assert _opens_for(app, tenant, "teacher@example.org", rows[0][3]) == 200


def test_an_import_tells_whoever_started_it_when_it_ends(app, school):
    tenant, admin = school["tenant"], school["admin"]
    text = HEADER + "new.person@example.org,New,Person,student,north,,,\nnot-an-address,B,R,student,north,,,\n"
    started = upload(admin, text, mode="dry_run")
    assert started.status_code == 202, started.get_json()
    run_jobs(app)
    run_jobs(app)
    rows = told(app, tenant, "import_finished")
    assert len(rows) == 1 and rows[0][3] == f"/people/import/{started.get_json()['data']['id']}"
    assert rows[0][2].endswith("your import of people.csv was checked (dry run)")
    with tenant_context(tenant, app):
        admin_row = db.session.scalar(sa.select(User).where(User.id == rows[0][0]))
        assert admin_row.role == "org_admin"
        body = db.session.scalar(sa.select(Notification.body).where(Notification.type == "import_finished"))
    assert "1 created, 0 updated, 1 rows refused" in body
    assert _opens_for(app, tenant, admin_row.email, rows[0][3]) == 200


def test_a_changed_or_reset_password_is_always_told_even_with_everything_switched_off(app, tenant, api, mailbox):
    person = make_user(app, tenant, "student", email="pat@example.org", first_name="Pat")
    browser = Browser(app, tenant)
    browser.sign_in("pat@example.org")
    with tenant_context(tenant, app):
        for channel in ("in_app", "email"):
            db.session.add(NotificationSetting(user_id=person, type="password_changed", channel=channel, cadence="off"))
        db.session.commit()
    changed = browser.post(
        "/profile",
        {
            "form": "password",
            "password-current_password": PASSWORD,
            "password-new_password": "a-brand-new-passphrase",
            "password-confirm": "a-brand-new-passphrase",
        },
        csrf_from="/profile",
    )
    assert changed.status_code == 302, changed.get_data(as_text=True)[:500]
    run_jobs(app)
    assert [(row[0], row[2], row[3]) for row in told(app, tenant, "password_changed")] == [
        (person, "Your password was changed", "/profile")
    ]
    assert [mail["Subject"] for mail in mailbox.to("pat@example.org")] == ["Your password was changed"]

    api(tenant).post("/api/v1/auth/forgot-password", json={"email": "pat@example.org"})
    run_jobs(app)
    _link, token = reset_token_from(mailbox.to("pat@example.org")[-1])
    reset = api(tenant).post("/api/v1/auth/reset-password", json={"token": token, "password": "yet-another-passphrase"})
    assert reset.status_code == 200, reset.get_json()
    run_jobs(app)
    assert len(told(app, tenant, "password_changed")) == 2
    assert [mail["Subject"] for mail in mailbox.to("pat@example.org")][-1] == "Your password was changed"


def test_an_import_that_fails_is_told_once_its_last_try_failed(app, school):
    tenant, admin = school["tenant"], school["admin"]
    started = upload(admin, HEADER + "x.person@example.org,X,Person,student,north,,,\n", mode="dry_run")
    import_id = started.get_json()["data"]["id"]
    with tenant_context(tenant, app):
        os.remove(db.session.get(UserImport, import_id).file_path)  # the file is gone: the job fails
    run_jobs(app)  # the first try fails; RQ will try again later: nobody is told yet
    assert told(app, tenant, "import_finished") == []
    with tenant_context(tenant, app), pytest.raises(FileNotFoundError):
        run_import(import_id)  # a try no job will retry (the last one)
    run_jobs(app)
    rows = told(app, tenant, "import_finished")
    assert len(rows) == 1 and rows[0][2].endswith("your import of people.csv failed")
    with tenant_context(tenant, app):
        body = db.session.scalar(sa.select(Notification.body).where(Notification.type == "import_finished"))
    assert "It stopped with an error" in body
