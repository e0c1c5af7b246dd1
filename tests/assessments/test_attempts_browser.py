"""The quiz on a phone in Chromium: answers save as they are given, answers given offline are kept in the page
and sent when the connection returns, a submit pressed offline waits for it, and nothing is lost."""

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from app.extensions import db
from app.tenancy.context import tenant_context
from blueprints.assessments.models import AttemptQuestion
from tests.support.attempts import EVERY_KIND, add_question, add_quiz, enrolled_course, future
from tests.support.browser import accessibility_violations, layout_problems, open_signed_in

pytestmark = pytest.mark.browser
SHOTS = Path(os.environ.get("SCREENSHOT_DIR", "/tmp/attempt-screenshots"))


def _quiz(app, school, **settings):
    course_id, _items = enrolled_course(school)
    item = (
        school["teacher"]
        .post(
            f"/api/v1/courses/{course_id}/content",
            json={"kind": "assessment", "title": "Check-up", "body": "", "module_title": "Checks"},
        )
        .get_json()["data"]
    )
    with tenant_context(school["tenant"], app):
        ids = [add_question(kind, course_id).id for kind in EVERY_KIND]
        quiz = add_quiz(course_id, ids, item_id=item["id"], shuffle_options=False, **settings)
        db.session.commit()
        return course_id, item["id"], quiz.id


def _saved(app, tenant):
    with tenant_context(tenant, app):
        rows = db.session.query(AttemptQuestion.position, AttemptQuestion.response).all()
        return {position: response for position, response in rows}


def _shoot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}-{page.viewport_size['width']}.png"), full_page=True)


def _question(page, position):
    return page.locator(f"fieldset.question[data-position='{position}']")


def test_offline_answers_are_kept_and_sent_and_nothing_is_lost(app, school, browser, live_server):
    tenant = school["tenant"]
    course_id, item_id, _quiz_id = _quiz(app, school, time_limit_minutes=30)
    page = open_signed_in(browser, live_server, tenant, "s0@example.org", f"/learn/{course_id}/{item_id}", 375, 812)
    page.get_by_role("button", name="Start the quiz").click()
    page.wait_for_url("**/attempts/*")
    assert layout_problems(page) == []
    assert accessibility_violations(page) == []
    _shoot(page, "attempt")

    _question(page, 1).get_by_text("Mars").click()
    page.wait_for_selector("[data-state-for='1']:text('Saved')")

    page.context.set_offline(True)
    _question(page, 3).get_by_text("False").click()
    _question(page, 4).get_by_label("Your answer").fill("kparis")
    _question(page, 8).get_by_label("Blank 1").fill("K100")
    _question(page, 8).get_by_label("Blank 2").fill("K0")
    page.keyboard.press("Tab")  # leaving the field saves it at once (no pause for more typing)
    page.wait_for_selector("#offline-note:visible")
    expect(page.locator("#save-state")).to_have_text("Offline: 3 answers kept on this device")
    _shoot(page, "attempt-offline")
    assert {n: r for n, r in _saved(app, tenant).items() if r} == {1: {"choice": "a"}}  # the server has only Q1

    page.context.set_offline(False)
    expect(page.locator("#save-state")).to_have_text("All answers saved")
    assert _saved(app, tenant)[3] == {"value": False} and _saved(app, tenant)[8] == {"blanks": {"t": "K100", "f": "K0"}}

    page.context.set_offline(True)  # answered and submitted offline: sent and submitted when back
    _question(page, 9).get_by_label("Your answer").fill("Rayleigh scattering.")
    page.get_by_role("button", name="Submit answers").click()
    page.wait_for_selector("text=will be submitted when the connection returns")
    page.context.set_offline(False)
    page.wait_for_selector("text=Your answers are submitted.")
    saved = _saved(app, tenant)
    assert (
        saved[1] == {"choice": "a"} and saved[4] == {"text": "kparis"} and saved[9] == {"text": "Rayleigh scattering."}
    )
    assert "Awaiting grading" in page.content()
    assert layout_problems(page) == []
    _shoot(page, "review")
    page.set_viewport_size({"width": 1280, "height": 800})
    _shoot(page, "review")
    page.close()


def test_the_pages_at_both_widths(app, school, browser, live_server):
    tenant = school["tenant"]
    course_id, item_id, quiz_id = _quiz(app, school, layout="one_per_page", time_limit_minutes=20)
    learner = school["learners"][0]
    attempt = learner.post(f"/api/v1/assessments/{quiz_id}/attempts").get_json()["data"]
    for position in (1, 2):
        answer = {"choice": "a"} if position == 1 else {"choices": ["a"]}
        learner.put(f"/api/v1/attempts/{attempt['id']}/answers/{position}", json={"response": answer})
    for width, height in ((375, 812), (1280, 800)):
        page = open_signed_in(
            browser, live_server, tenant, "s0@example.org", f"/learn/{course_id}/{item_id}", width, height
        )
        page.wait_for_selector("text=Continue your attempt")
        _shoot(page, "player-quiz")
        page.goto(f"http://{tenant.slug}.localhost:{live_server}/courses/{course_id}/attempts/{attempt['id']}?page=7")
        assert page.locator("fieldset.question").count() == 1
        assert layout_problems(page) == [] and accessibility_violations(page) == []
        _shoot(page, "attempt-one-per-page")
        page.close()
    learner.post(f"/api/v1/attempts/{attempt['id']}/submit", json={})
    for width, height in ((375, 812), (1280, 800)):
        page = open_signed_in(
            browser, live_server, tenant, "teacher@example.org", f"/courses/{course_id}/results", width, height
        )
        assert layout_problems(page) == [] and accessibility_violations(page) == []
        _shoot(page, "results-course")
        page.goto(f"http://{tenant.slug}.localhost:{live_server}/courses/{course_id}/quizzes/{quiz_id}/results")
        assert layout_problems(page) == [] and accessibility_violations(page) == []
        _shoot(page, "results-quiz")
        page.close()


def test_answers_kept_in_the_page_survive_a_reload_and_the_timer_submits_at_zero(app, school, browser, live_server):
    tenant = school["tenant"]
    course_id, item_id, _quiz_id = _quiz(app, school, closes_at=future(seconds=25))
    page = open_signed_in(browser, live_server, tenant, "s0@example.org", f"/learn/{course_id}/{item_id}", 375, 812)
    page.get_by_role("button", name="Start the quiz").click()
    page.wait_for_url("**/attempts/*")
    attempt_url = page.url

    page.route("**/answers/*", lambda route: route.abort())  # the server is out of reach, the browser online
    _question(page, 1).get_by_text("Mars").click()
    page.wait_for_selector("[data-state-for='1']:text('Kept on this device')")
    page.unroute("**/answers/*")
    page.goto(attempt_url)  # a reload: the kept answer is back in its field, then sent
    expect(_question(page, 1).get_by_label("Mars")).to_be_checked()
    expect(page.locator("#save-state")).to_have_text("All answers saved")
    assert _saved(app, tenant)[1] == {"choice": "a"}

    _question(page, 3).get_by_text("False").click()  # answered, never submitted: the timer does it at zero
    page.wait_for_selector("text=Your answers are submitted.", timeout=40_000)
    saved = _saved(app, tenant)
    assert saved[1] == {"choice": "a"} and saved[3] == {"value": False}


def test_a_learner_unenrolled_mid_attempt_is_told_and_the_page_stops_saving(app, school, browser, live_server):
    tenant = school["tenant"]
    course_id, item_id, _quiz_id = _quiz(app, school, time_limit_minutes=30)
    page = open_signed_in(browser, live_server, tenant, "s0@example.org", f"/learn/{course_id}/{item_id}", 375, 812)
    page.get_by_role("button", name="Start the quiz").click()
    page.wait_for_url("**/attempts/*")
    _question(page, 1).get_by_text("Mars").click()
    page.wait_for_selector("[data-state-for='1']:text('Saved')")
    assert (
        school["teacher"].delete(f"/api/v1/courses/{course_id}/enrollments/{school['students'][0]}").status_code == 200
    )

    _question(page, 3).get_by_text("False").click()
    expect(page.locator("#save-state")).to_have_text(
        "You are no longer enrolled in this course, so this attempt can no longer change."
    )
    expect(page.locator("[data-state-for='3']")).to_have_text("Not saved")
    _shoot(page, "attempt-unenrolled")
    assert _saved(app, tenant)[1] == {"choice": "a"} and _saved(app, tenant)[3] is None  # what was saved stays
    page.reload()
    expect(page.locator("body")).to_contain_text("You are no longer enrolled in this course")
    assert layout_problems(page) == []
    _shoot(page, "attempt-unenrolled-reopened")
