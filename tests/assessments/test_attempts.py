"""Taking a quiz through the API: start and resume, autosave, submit and grade every kind, the rules of
who may start when, the hidden key, and the events that complete the linked item."""

import json
import re
import threading

import sqlalchemy as sa

from app.events.models import OutboxEvent
from app.extensions import db
from app.tenancy.context import tenant_context
from blueprints.assessments.models import AttemptQuestion, QuizAccommodation
from tests.conftest import run_jobs
from tests.support.attempts import (
    EVERY_KIND,
    KEY_TEXTS,
    add_question,
    add_quiz,
    answers_for,
    enrolled_course,
    future,
    make_quiz,
    past,
    quiz_of_every_kind,
    set_quiz,
)
from tests.support.browser import Browser
from tests.support.statements import recorded_statements


def _start(learner, quiz_id):
    response = learner.post(f"/api/v1/assessments/{quiz_id}/attempts")
    assert response.status_code == 201, response.get_json()
    return response.get_json()["data"]


def _save(learner, attempt, position, answer):
    return learner.put(f"/api/v1/attempts/{attempt['id']}/answers/{position}", json={"response": answer})


def _key_texts_in(text):
    return [key for key in KEY_TEXTS if key in text]


def test_every_kind_is_graded_on_submit_and_the_essay_by_a_person(app, school):
    course_id, _items = enrolled_course(school)
    quiz_id, _questions = quiz_of_every_kind(app, school["tenant"], course_id, pass_percent=80.0)
    learner = school["learners"][0]
    attempt = _start(learner, quiz_id)
    assert [q["kind"] for q in attempt["questions"]] == list(EVERY_KIND)
    assert attempt["status"] == "in_progress" and attempt["max_score"] == 9.0
    for position, answer in answers_for(attempt, "right").items():
        saved = _save(learner, attempt, position, answer)
        assert saved.status_code == 200, saved.get_json()

    submitted = learner.post(f"/api/v1/attempts/{attempt['id']}/submit", json={}).get_json()["data"]
    assert submitted["status"] == "submitted"  # the essay waits for a person
    assert submitted["score"] is None

    teacher = school["teacher"]
    queue = teacher.get(f"/api/v1/assessments/{quiz_id}/grading").get_json()["data"]
    assert [(row["attempt_id"], row["position"]) for row in queue] == [(attempt["id"], 9)]
    assert queue[0]["grader_info"] == "Kgrader-rayleigh"
    too_much = teacher.put(f"/api/v1/attempts/{attempt['id']}/answers/9/grade", json={"score": 2, "comment": "x"})
    assert too_much.status_code == 422 and "score" in too_much.get_json()["error"]["details"]
    graded = teacher.put(
        f"/api/v1/attempts/{attempt['id']}/answers/9/grade", json={"score": 1, "comment": "Well put."}
    ).get_json()["data"]
    assert graded["status"] == "graded"
    assert [q["fraction"] for q in graded["questions"]] == [1.0] * 9
    assert teacher.get(f"/api/v1/assessments/{quiz_id}/grading").get_json()["data"] == []

    mine = learner.get(f"/api/v1/attempts/{attempt['id']}").get_json()["data"]
    assert (mine["score"], mine["percent"], mine["passed"]) == (9.0, 100.0, True)
    assert mine["questions"][8]["grader_comment"] == "Well put."


def test_wrong_answers_score_nothing_and_an_empty_essay_needs_no_person(app, school):
    course_id, _items = enrolled_course(school)
    quiz_id, _questions = quiz_of_every_kind(app, school["tenant"], course_id)
    learner = school["learners"][0]
    attempt = _start(learner, quiz_id)
    for position, answer in answers_for(attempt, "wrong").items():
        if position != 9:
            assert _save(learner, attempt, position, answer).status_code == 200
    result = learner.post(f"/api/v1/attempts/{attempt['id']}/submit", json={}).get_json()["data"]
    assert result["status"] == "graded"
    assert (result["score"], result["passed"]) == (0.0, False)
    assert [q["fraction"] for q in result["questions"]] == [0.0] * 9


def test_the_key_is_in_no_response_before_the_review_allows_it(app, school):
    course_id, _items = enrolled_course(school)
    quiz_id, _questions = quiz_of_every_kind(
        app,
        school["tenant"],
        course_id,
        closes_at=future(days=1),
        review_score="after_close",
        review_answers="after_close",
        review_feedback="after_close",
    )
    learner = school["learners"][0]
    attempt = _start(learner, quiz_id)
    assert _key_texts_in(json.dumps(attempt)) == []
    for position, answer in answers_for(attempt, "wrong").items():  # the right ones would echo key texts
        saved = _save(learner, attempt, position, answer)
        assert _key_texts_in(saved.get_data(as_text=True)) == []
    submitted = learner.post(f"/api/v1/attempts/{attempt['id']}/submit", json={})
    assert _key_texts_in(submitted.get_data(as_text=True)) == []
    assert submitted.get_json()["data"]["score"] is None
    listed = learner.get(f"/api/v1/assessments/{quiz_id}/attempts")
    assert _key_texts_in(listed.get_data(as_text=True)) == []

    set_quiz(app, school["tenant"], quiz_id, closes_at=past(minutes=1))  # the window closed: review opens
    after = learner.get(f"/api/v1/attempts/{attempt['id']}").get_json()["data"]
    assert after["review"] == {"score": True, "answers": True, "feedback": True}
    assert after["questions"][0]["correct_response"] == {"choice": "a"}
    assert after["questions"][0]["feedback"] == ["Kfeedback-venus"]  # what the learner chose
    staff = school["teacher"].get(f"/api/v1/attempts/{attempt['id']}").get_json()["data"]
    assert staff["questions"][0]["spec"]["options"][0]["correct"] is True


def test_a_second_start_resumes_the_open_attempt_with_its_saved_answers(app, school):
    course_id, _items = enrolled_course(school)
    quiz_id = make_quiz(app, school["tenant"], course_id, shuffle_questions=True)
    learner = school["learners"][0]
    first = _start(learner, quiz_id)
    position = first["questions"][0]["position"]
    answer = {"value": True} if first["questions"][0]["kind"] == "true_false" else {"choice": "b"}
    _save(learner, first, position, answer)
    again = _start(learner, quiz_id)
    assert again["id"] == first["id"]
    assert [q["stem_html"] for q in again["questions"]] == [q["stem_html"] for q in first["questions"]]
    assert again["questions"][0]["response"] == answer
    # saving the same answer twice is harmless
    assert _save(learner, first, position, answer).status_code == 200
    assert _start(learner, quiz_id)["questions"][0]["response"] == answer


def test_malformed_answers_are_422_with_the_field_and_closed_attempts_409(app, school):
    course_id, _items = enrolled_course(school)
    quiz_id = make_quiz(app, school["tenant"], course_id, kinds=("single_choice", "matching", "fill_blanks"))
    learner = school["learners"][0]
    attempt = _start(learner, quiz_id)
    cases = [
        (1, {"choice": "zz"}, "response.choice"),
        (1, {"choices": ["a"]}, "response"),
        (1, {"choice": 3}, "response.choice"),
        (2, {"matches": {"p1": "Paris"}}, "response.matches"),
        (2, {"matches": ["Rome"]}, "response.matches"),
        (3, {"blanks": {"t": ["K100"]}}, "response.blanks.t"),
        (3, {"blanks": {"nope": "x"}}, "response.blanks"),
    ]
    for position, answer, field in cases:
        refused = _save(learner, attempt, position, answer)
        assert refused.status_code == 422, (answer, refused.get_json())
        assert field in refused.get_json()["error"]["details"], (answer, refused.get_json())
    assert _save(learner, attempt, 99, {}).status_code == 404
    assert learner.put(f"/api/v1/attempts/{attempt['id']}/answers/1", json={"response": "a"}).status_code == 422

    other = school["learners"][1]
    assert _save(other, attempt, 1, {"choice": "a"}).status_code == 404
    assert other.get(f"/api/v1/attempts/{attempt['id']}").status_code == 404
    assert other.post(f"/api/v1/attempts/{attempt['id']}/submit", json={}).status_code == 404

    first = learner.post(f"/api/v1/attempts/{attempt['id']}/submit", json={}).get_json()["data"]
    second = learner.post(f"/api/v1/attempts/{attempt['id']}/submit", json={}).get_json()["data"]
    assert first == second  # submitting twice is harmless
    closed = _save(learner, attempt, 1, {"choice": "a"})
    assert closed.status_code == 409 and closed.get_json()["error"]["code"] == "ATTEMPT_CLOSED"
    with tenant_context(school["tenant"], app):
        submitted = db.session.scalars(sa.select(OutboxEvent).where(OutboxEvent.name == "assessment.submitted")).all()
    assert len(submitted) == 1


def test_two_answers_saved_at_the_same_moment_are_both_kept(app, school):
    course_id, _items = enrolled_course(school)
    kinds = ("single_choice", "true_false", "short_answer", "numeric")
    quiz_id = make_quiz(app, school["tenant"], course_id, kinds=kinds)
    learner = school["learners"][0]
    attempt = _start(learner, quiz_id)
    answers = {1: {"choice": "a"}, 2: {"value": False}, 3: {"text": "kparis"}, 4: {"value": "3.14"}}
    barrier = threading.Barrier(len(answers))
    statuses = {}

    def save(position, answer):
        client = type(learner)(app.test_client(), learner.tenant, learner.token)
        barrier.wait()
        statuses[position] = _save(client, attempt, position, answer).status_code

    threads = [threading.Thread(target=save, args=item) for item in answers.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == dict.fromkeys(answers, 200)
    resumed = _start(learner, quiz_id)
    assert {q["position"]: q["response"] for q in resumed["questions"]} == answers


def test_who_may_start_and_when(app, school):
    tenant = school["tenant"]
    course_id, _items = enrolled_course(school, students=school["students"][:1])
    quiz_id = make_quiz(app, tenant, course_id, attempts_allowed=1)
    learner, outsider = school["learners"][0], school["learners"][1]

    assert outsider.post(f"/api/v1/assessments/{quiz_id}/attempts").status_code == 404
    staff = school["teacher"].post(f"/api/v1/assessments/{quiz_id}/attempts")  # staff preview in the builder
    assert (staff.status_code, staff.get_json()["error"]["code"]) == (403, "NOT_ENROLLED")
    assert learner.post("/api/v1/assessments/999999/attempts").status_code == 404

    set_quiz(app, tenant, quiz_id, published=False)
    assert learner.post(f"/api/v1/assessments/{quiz_id}/attempts").status_code == 404
    set_quiz(app, tenant, quiz_id, published=True, opens_at=future(hours=1))
    early = learner.post(f"/api/v1/assessments/{quiz_id}/attempts")
    assert (early.status_code, early.get_json()["error"]["code"]) == (403, "QUIZ_NOT_OPEN")
    set_quiz(app, tenant, quiz_id, opens_at=past(hours=2), closes_at=past(hours=1))
    late = learner.post(f"/api/v1/assessments/{quiz_id}/attempts")
    assert (late.status_code, late.get_json()["error"]["code"]) == (403, "QUIZ_CLOSED")
    set_quiz(app, tenant, quiz_id, closes_at=None)

    attempt = _start(learner, quiz_id)
    learner.post(f"/api/v1/attempts/{attempt['id']}/submit", json={})
    spent = learner.post(f"/api/v1/assessments/{quiz_id}/attempts")
    assert (spent.status_code, spent.get_json()["error"]["code"]) == (403, "NO_ATTEMPTS_LEFT")
    with tenant_context(tenant, app):
        db.session.add(QuizAccommodation(quiz_id=quiz_id, user_id=school["students"][0], extra_attempts=1))
        db.session.commit()
    assert _start(learner, quiz_id)["number"] == 2


def _statements_during(app, tenant, call):
    """The SQL the organization's database runs while `call` runs, each on one line."""
    with recorded_statements(app, tenant) as recorded:
        call()
    return [" ".join(sql.split()) for sql, _parameters in recorded.statements]


def _reads_of_the_learners_attempts_and_accommodation(app, tenant, call):
    """(SELECTs of a learner's attempts at a quiz, SELECTs of their accommodation) while `call` runs."""
    selects = [statement for statement in _statements_during(app, tenant, call) if statement.startswith("SELECT")]
    attempts = [s for s in selects if "FROM quiz_attempts" in s and "quiz_attempts.user_id =" in s]
    accommodations = [s for s in selects if "FROM quiz_accommodations" in s]
    return len(attempts), len(accommodations)


def test_a_start_reads_the_learners_attempts_and_accommodation_once(app, school):
    tenant = school["tenant"]
    course_id, _items = enrolled_course(school)
    quiz_id = make_quiz(app, tenant, course_id, attempts_allowed=2, time_limit_minutes=30)
    learner = school["learners"][0]
    started = []
    reads = _reads_of_the_learners_attempts_and_accommodation(
        app, tenant, lambda: started.append(_start(learner, quiz_id))
    )
    assert reads == (1, 1)
    assert started[0]["number"] == 1
    # Resuming the open attempt needs no accommodation at all.
    resumed = []
    reads = _reads_of_the_learners_attempts_and_accommodation(
        app, tenant, lambda: resumed.append(_start(learner, quiz_id))
    )
    assert reads == (1, 0)
    assert resumed[0]["id"] == started[0]["id"]


def test_an_accommodation_adds_minutes_and_the_deadline_never_passes_the_closing_time(app, school):
    tenant = school["tenant"]
    course_id, _items = enrolled_course(school)
    quiz_id = make_quiz(app, tenant, course_id, time_limit_minutes=30)
    with tenant_context(tenant, app):
        db.session.add(QuizAccommodation(quiz_id=quiz_id, user_id=school["students"][0], extra_minutes=15))
        db.session.commit()
    extended = _start(school["learners"][0], quiz_id)
    plain = _start(school["learners"][1], quiz_id)
    assert 44 * 60 < extended["seconds_left"] <= 45 * 60
    assert 29 * 60 < plain["seconds_left"] <= 30 * 60

    closing = make_quiz(app, tenant, course_id, time_limit_minutes=30, closes_at=future(minutes=10))
    assert 9 * 60 < _start(school["learners"][0], closing)["seconds_left"] <= 10 * 60


def test_draws_never_repeat_a_question_and_keep_the_fixed_one(app, school):
    tenant = school["tenant"]
    course_id, _items = enrolled_course(school)
    with tenant_context(tenant, app):
        tagged = [add_question("true_false", course_id, title=f"T{n}", tags=("algebra",)).id for n in range(4)]
        organization_wide = add_question("true_false", None, title="Org", tags=("algebra",)).id
        add_question("true_false", course_id, title="Untagged")
        quiz = add_quiz(course_id, [tagged[0]], draws=[("algebra", 4)])
        db.session.commit()
        quiz_id = quiz.id
    for learner in school["learners"]:
        attempt = _start(learner, quiz_id)
        with tenant_context(tenant, app):
            used = db.session.scalars(
                sa.select(AttemptQuestion.question_id)
                .where(AttemptQuestion.attempt_id == attempt["id"])
                .order_by(AttemptQuestion.position)
            ).all()
        assert used[0] == tagged[0] and len(set(used)) == 5
        assert set(used) == {*tagged, organization_wide}

    empty = make_quiz(app, tenant, course_id, kinds=())
    refused = school["learners"][0].post(f"/api/v1/assessments/{empty}/attempts")
    assert (refused.status_code, refused.get_json()["error"]["code"]) == (409, "QUIZ_EMPTY")
    with tenant_context(tenant, app):
        greedy = add_quiz(course_id, draws=[("algebra", 9)]).id
        db.session.commit()
    refused = school["learners"][0].post(f"/api/v1/assessments/{greedy}/attempts")
    assert (refused.status_code, refused.get_json()["error"]["code"]) == (409, "NOT_ENOUGH_QUESTIONS")


def test_passing_completes_the_linked_item_once_through_the_event_relay(app, school):
    tenant = school["tenant"]
    teacher = school["teacher"]
    course_id, _items = enrolled_course(school)
    made = teacher.post(
        f"/api/v1/courses/{course_id}/content",
        json={"kind": "assessment", "title": "Final check", "body": "", "module_title": "Checks"},
    )
    assert made.status_code == 201, made.get_json()
    item = made.get_json()["data"]
    quiz_id = make_quiz(app, tenant, course_id, item_id=item["id"], pass_percent=50.0, grading_method="highest")
    learner, learner_id = school["learners"][0], school["students"][0]

    def completed_items():
        progress = learner.get(f"/api/v1/users/{learner_id}/progress").get_json()["data"]
        mine = next(course for course in progress if course["id"] == course_id)
        return {row["item_id"] for row in mine["completed_items"]}

    failing = _start(learner, quiz_id)
    learner.post(f"/api/v1/attempts/{failing['id']}/submit", json={})
    run_jobs(app)
    assert item["id"] not in completed_items()

    for _ in range(2):  # passing twice: one `assessment.passed`
        attempt = _start(learner, quiz_id)
        answers = [{"position": q["position"], "response": _right(q)} for q in attempt["questions"]]
        passed = learner.post(f"/api/v1/assessments/{quiz_id}/submit", json={"answers": answers}).get_json()["data"]
        assert passed["passed"] is True
    run_jobs(app)
    assert item["id"] in completed_items()
    with tenant_context(tenant, app):
        names = db.session.scalars(sa.select(OutboxEvent.name).where(OutboxEvent.name.like("assessment.%"))).all()
    assert sorted(names).count("assessment.passed") == 1
    assert names.count("assessment.graded") == 3 and names.count("assessment.submitted") == 3


def _right(question):
    by_stem = {sample["stem"]: sample for sample in EVERY_KIND.values()}
    return by_stem[question["stem_html"]]["right"]


def _statements_on(app, tenant, call):
    """The SQL statements the organization's database runs while `call` runs (the principal's read aside)."""
    statements = _statements_during(app, tenant, call)
    return [s for s in statements if "FROM users JOIN sign_ins" not in s and s.split()[0] in ("SELECT", "UPDATE")]


def test_an_autosave_reads_its_attempt_once_and_writes_one_answer(app, school):
    tenant = school["tenant"]
    course_id, _items = enrolled_course(school)
    quiz_id = make_quiz(app, tenant, course_id, kinds=("single_choice", "true_false"), time_limit_minutes=30)
    learner = school["learners"][0]
    attempt = _start(learner, quiz_id)
    position = next(q["position"] for q in attempt["questions"] if q["kind"] == "true_false")
    answers = []
    api_save = lambda: answers.append(  # noqa: E731
        learner.put(f"/api/v1/attempts/{attempt['id']}/answers/{position}", json={"response": {"value": False}})
    )
    statements = _statements_on(app, tenant, api_save)
    assert answers[0].status_code == 200 and answers[0].get_json()["data"]["response"] == {"value": False}
    assert [s.split()[0] for s in statements] == ["SELECT", "UPDATE"], statements
    assert "FROM quiz_attempts JOIN quizzes" in statements[0] and "enrollments" in statements[0]

    page = Browser(app, tenant)
    page.sign_in("s0@example.org")
    html = page.get(f"/courses/{course_id}/attempts/{attempt['id']}").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    saved = []
    page_save = lambda: saved.append(  # noqa: E731
        page.post(
            f"/courses/{course_id}/attempts/{attempt['id']}/answers/{position}",
            {"csrf_token": token, f"a{position}": "true"},
        )
    )
    statements = _statements_on(app, tenant, page_save)
    body = saved[0].get_json()
    assert body["saved"] is True and 29 * 60 < body["seconds_left"] <= 30 * 60
    assert [s.split()[0] for s in statements] == ["SELECT", "UPDATE"], statements
    assert _start(learner, quiz_id)["questions"][position - 1]["response"] == {"value": True}
