"""The quiz pages without a browser's script: the player's assessment item, an attempt posted as a plain form,
the review, the hidden key in the HTML, and the staff's results, grading and regrade pages."""

import re

from app.extensions import db
from app.tenancy.context import tenant_context
from tests.support.attempts import EVERY_KIND, KEY_TEXTS, add_question, add_quiz, enrolled_course, future
from tests.support.browser import Browser

FORM_FIELDS = {  # the right answers of EVERY_KIND as the page's fields (a<position>[-<id or rank>])
    "single_choice": lambda n: {f"a{n}": "a"},
    "multiple_choice": lambda n: {f"a{n}": ["a", "b"]},
    "true_false": lambda n: {f"a{n}": "false"},
    "short_answer": lambda n: {f"a{n}": "kparis"},
    "numeric": lambda n: {f"a{n}": "3,14"},
    "ordering": lambda n: {f"a{n}-1": "x", f"a{n}-2": "y", f"a{n}-3": "z"},
    "matching": lambda n: {f"a{n}-p1": "Rome", f"a{n}-p2": "Madrid"},
    "fill_blanks": lambda n: {f"a{n}-t": "K100", f"a{n}-f": "K0"},
    "essay": lambda n: {f"a{n}": "Rayleigh scattering."},
}


def _csrf(html):
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def _quiz_with_item(app, school, **settings):
    course_id, _items = enrolled_course(school)
    item = (
        school["teacher"]
        .post(
            f"/api/v1/courses/{course_id}/content",
            json={"kind": "assessment", "title": "Check", "body": "", "module_title": "Checks"},
        )
        .get_json()["data"]
    )
    with tenant_context(school["tenant"], app):
        ids = [add_question(kind, course_id).id for kind in EVERY_KIND]
        quiz = add_quiz(course_id, ids, item_id=item["id"], **settings)
        db.session.commit()
        return course_id, item["id"], quiz.id


def test_a_learner_takes_the_quiz_from_the_player_without_script(app, school):
    course_id, item_id, quiz_id = _quiz_with_item(
        app, school, review_answers="after_close", review_feedback="after_close", closes_at=future(days=2)
    )
    student = Browser(app, school["tenant"])
    student.sign_in("s0@example.org")
    player = student.get(f"/learn/{course_id}/{item_id}").get_data(as_text=True)
    panel_url = f"/courses/{course_id}/items/{item_id}/quiz"
    assert panel_url in player
    panel = student.get(panel_url, headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "Start the quiz" in panel and "<html" not in panel

    started = student.post(f"/courses/{course_id}/quizzes/{quiz_id}/start", {"csrf_token": _csrf(panel)})
    assert started.status_code == 302
    page = student.get(started.headers["Location"]).get_data(as_text=True)
    assert [key for key in KEY_TEXTS if key in page] == []
    assert 'id="attempt-form"' in page and "Question 9" in page

    form = {"csrf_token": _csrf(page), "q": [str(n) for n in range(1, 10)]}
    for position, kind in enumerate(EVERY_KIND, start=1):
        form.update(FORM_FIELDS[kind](position))
    submit_url = re.search(r'<form id="attempt-form" method="post" action="([^"]+)"', page).group(1)
    done = student.post(submit_url, form)
    assert done.status_code == 302
    review = student.get(done.headers["Location"]).get_data(as_text=True)
    assert "Your teacher grades the written answers" in review
    assert [key for key in KEY_TEXTS if key in review] == ["K100", "K0"]  # only the learner's own blanks
    assert review.count("✓ Correct") == 8

    again = student.get(panel_url).get_data(as_text=True)
    assert "Attempt 1 · awaiting grading" in again and "Start another attempt" in again


def test_staff_grade_from_the_queue_and_see_results(app, school):
    course_id, _item_id, quiz_id = _quiz_with_item(app, school)
    learner = school["learners"][0]
    attempt = learner.post(f"/api/v1/assessments/{quiz_id}/attempts").get_json()["data"]
    learner.put(f"/api/v1/attempts/{attempt['id']}/answers/9", json={"response": {"text": "Blue light scatters."}})
    learner.post(f"/api/v1/attempts/{attempt['id']}/submit", json={})

    teacher = Browser(app, school["tenant"])
    teacher.sign_in("teacher@example.org")
    editor = teacher.get(f"/teach/{course_id}").get_data(as_text=True)
    assert f"/courses/{course_id}/results" in editor
    queue = teacher.get(f"/courses/{course_id}/results").get_data(as_text=True)
    assert "Blue light scatters." in queue and "Kgrader-rayleigh" in queue
    graded = teacher.post(
        f"/courses/{course_id}/attempts/{attempt['id']}/answers/9/grade",
        {"csrf_token": _csrf(queue), "score": "1", "comment": "Good", "back": "queue"},
    )
    assert graded.status_code == 302
    assert "Nothing to grade" in teacher.get(f"/courses/{course_id}/results").get_data(as_text=True)

    results = teacher.get(f"/courses/{course_id}/quizzes/{quiz_id}/results").get_data(as_text=True)
    assert "s0@example.org" in results and "11.1 %" in results  # only the essay was right
    staff_view = teacher.get(f"/courses/{course_id}/attempts/{attempt['id']}").get_data(as_text=True)
    assert "Correct answer:" in staff_view and "Change the grade" in staff_view
    regrade = teacher.get(f"/courses/{course_id}/quizzes/{quiz_id}/results").get_data(as_text=True)
    preview_url = re.search(r'href="([^"]+/regrade\?[^"]+)"', regrade).group(1).replace("&amp;", "&")
    preview = teacher.get(preview_url)
    assert preview.status_code == 200 and "No grade changes." in preview.get_data(as_text=True)

    other = Browser(app, school["tenant"])
    other.sign_in("s1@example.org")
    assert other.get(f"/courses/{course_id}/attempts/{attempt['id']}").status_code == 404
    assert other.get(f"/courses/{course_id}/results").status_code == 403


def test_a_learner_unenrolled_mid_attempt_is_told_why_the_page_no_longer_saves(app, school):
    course_id, _item_id, quiz_id = _quiz_with_item(app, school, time_limit_minutes=30)
    student = Browser(app, school["tenant"])
    student.sign_in("s0@example.org")
    started = student.post(
        f"/courses/{course_id}/quizzes/{quiz_id}/start", csrf_from=f"/courses/{course_id}/quizzes/{quiz_id}/take"
    )
    attempt_url = started.headers["Location"]
    page = student.get(attempt_url).get_data(as_text=True)
    save_url = f"{attempt_url}/answers/3"
    assert student.post(save_url, {"csrf_token": _csrf(page), "a3": "false"}).get_json()["saved"] is True
    gone = school["teacher"].delete(f"/api/v1/courses/{course_id}/enrollments/{school['students'][0]}")
    assert gone.status_code == 200

    autosave = student.post(save_url, {"csrf_token": _csrf(page), "a3": "true"})
    assert autosave.status_code == 403  # the page's script shows the message and stops saving
    assert autosave.get_json()["code"] == "NOT_ENROLLED" and autosave.get_json()["saved"] is False
    submitted = student.post(f"{attempt_url}/submit", {"csrf_token": _csrf(page), "q": ["3"], "a3": "true"})
    assert submitted.status_code == 403
    assert "no longer enrolled in this course" in submitted.get_data(as_text=True)
    reopened = student.get(attempt_url)
    assert reopened.status_code == 403 and 'id="attempt-form"' not in reopened.get_data(as_text=True)
    assert "no longer enrolled in this course" in reopened.get_data(as_text=True)
