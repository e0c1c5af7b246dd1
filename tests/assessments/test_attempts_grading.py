"""After submitting: regrading a fixed question (preview, then apply), results per learner and per question in
each reader's reach, and the grading queue's scope."""

import sqlalchemy as sa

from app.events.models import OutboxEvent
from app.extensions import db
from app.tenancy.context import tenant_context
from blueprints.assessments.models import AttemptQuestion, Question, QuestionVersion
from tests.conftest import tenant_host, user_token
from tests.support.attempts import add_question, add_quiz, enrolled_course


def _take(learner, quiz_id, answer):
    attempt = learner.post(f"/api/v1/assessments/{quiz_id}/attempts").get_json()["data"]
    return learner.post(
        f"/api/v1/assessments/{quiz_id}/submit", json={"answers": [{"position": 1, "response": answer}]}
    ).get_json()["data"] | {"started": attempt["id"]}


def _fix_question(app, tenant, question_id):
    """The teacher's fix: version 2 makes option b the right one."""
    with tenant_context(tenant, app):
        question = db.session.get(Question, question_id)
        first = db.session.scalar(sa.select(QuestionVersion).where(QuestionVersion.question_id == question_id))
        spec = {
            "options": [{"id": "a", "text": "Mars", "correct": False}, {"id": "b", "text": "Venus", "correct": True}]
        }
        db.session.add(QuestionVersion(question_id=question_id, number=2, stem_html=first.stem_html, spec=spec))
        question.current_version = 2
        db.session.commit()


def test_a_regrade_previews_whose_grade_changes_then_applies_it(app, school):
    tenant, teacher = school["tenant"], school["teacher"]
    course_id, _items = enrolled_course(school)
    with tenant_context(tenant, app):
        question_id = add_question("single_choice", course_id).id
        quiz_id = add_quiz(course_id, [question_id], pass_percent=100.0).id
        db.session.commit()
    mars, venus = school["learners"][0], school["learners"][1]
    mars_attempt = _take(mars, quiz_id, {"choice": "a"})
    venus_attempt = _take(venus, quiz_id, {"choice": "b"})
    assert (mars_attempt["score"], venus_attempt["score"]) == (1.0, 0.0)

    _fix_question(app, tenant, question_id)
    url = f"/api/v1/assessments/{quiz_id}/regrade"
    same_version = teacher.get(url, query_string={"question_id": question_id}).get_json()["data"]
    assert same_version == []  # attempts keep their version: nothing changes
    preview = teacher.get(url, query_string={"question_id": question_id, "use_current_version": "true"})
    changes = {row["attempt_id"]: row for row in preview.get_json()["data"]}
    assert {key: (row["old_score"], row["new_score"], row["new_passed"]) for key, row in changes.items()} == {
        mars_attempt["id"]: (1.0, 0.0, False),
        venus_attempt["id"]: (0.0, 1.0, True),
    }
    assert mars.get(f"/api/v1/attempts/{mars_attempt['id']}").get_json()["data"]["score"] == 1.0  # only a preview

    assert mars.post(url, json={"question_id": question_id, "use_current_version": True}).status_code == 403
    applied = teacher.post(url, json={"question_id": question_id, "use_current_version": True}).get_json()["data"]
    assert len(applied) == 2
    assert mars.get(f"/api/v1/attempts/{mars_attempt['id']}").get_json()["data"]["score"] == 0.0
    venus_now = venus.get(f"/api/v1/attempts/{venus_attempt['id']}").get_json()["data"]
    assert (venus_now["score"], venus_now["passed"]) == (1.0, True)
    with tenant_context(tenant, app):
        versions = db.session.scalars(
            sa.select(AttemptQuestion.version_id).where(AttemptQuestion.question_id == question_id)
        )
        assert len(set(versions)) == 1
        passed = db.session.scalars(sa.select(OutboxEvent.payload).where(OutboxEvent.name == "assessment.passed")).all()
    # Mars passed first and keeps that; Venus passes now
    assert sorted(event["user_id"] for event in passed) == sorted(school["students"][:2])
    assert teacher.post(url, json={"question_id": question_id, "use_current_version": True}).get_json()["data"] == []


def test_results_per_learner_and_per_question_in_each_readers_reach(app, district):
    teacher, manager, admin = district["teacher"], district["manager"], district["admin"]
    course_id = district["courses"]["everyone"]
    people = district["people"]
    teacher.post(f"/api/v1/courses/{course_id}/enrollments", json={"user_ids": [people["north"]]})
    tenant = teacher.tenant
    with tenant_context(tenant, app):
        question_id = add_question("true_false", course_id, title="Sky").id
        quiz_id = add_quiz(course_id, [question_id]).id
        db.session.commit()
    learners = {
        name: type(teacher)(teacher.client, tenant, user_token(app, tenant, people[name], "student"))
        for name in ("north", "south")
    }
    north = _take(learners["north"], quiz_id, {"value": False})
    south = _take(learners["south"], quiz_id, {"value": True})

    everyone = teacher.get(f"/api/v1/assessments/{quiz_id}/results", query_string={"sort": "last_name"})
    rows = everyone.get_json()["data"]
    assert [(row["name"], row["grade_percent"], row["passed"]) for row in rows] == [
        ("North", 100.0, True),
        ("South", 0.0, False),
    ]
    assert [row["user_id"] for row in rows] == [people["north"], people["south"]]
    assert everyone.get_json()["meta"]["total"] == 2
    assert [row["user_id"] for row in admin.get(f"/api/v1/assessments/{quiz_id}/results").get_json()["data"]] == [
        people["north"],
        people["south"],
    ]

    theirs = manager.get(f"/api/v1/assessments/{quiz_id}/results").get_json()["data"]
    assert [row["user_id"] for row in theirs] == [people["north"]]
    assert manager.get(f"/api/v1/attempts/{north['id']}").status_code == 200
    assert manager.get(f"/api/v1/attempts/{south['id']}").status_code == 404
    questions = manager.get(f"/api/v1/assessments/{quiz_id}/results/questions").get_json()["data"]
    assert [(row["question_id"], row["attempts"], row["mean_fraction"]) for row in questions] == [(question_id, 1, 1.0)]
    questions = teacher.get(f"/api/v1/assessments/{quiz_id}/results/questions").get_json()["data"]
    assert [(row["attempts"], row["mean_fraction"]) for row in questions] == [(2, 0.5)]

    refused = learners["north"].get(f"/api/v1/assessments/{quiz_id}/results")
    assert refused.status_code == 403
    assert learners["north"].get(f"/api/v1/attempts/{south['id']}").status_code == 404
    bad = teacher.get(f"/api/v1/assessments/{quiz_id}/results", query_string={"filter[nope]": "1"})
    assert bad.status_code == 400
    assert manager.get(f"/api/v1/assessments/{quiz_id}/grading").status_code == 403


def test_a_grade_given_through_an_api_key_stands(app, school, client):
    """An org admin's API key grades with its creator's reach: the grade is kept (it was wiped by the re-total,
    which took only a user's grade for a person's), the attempt is graded and leaves the queue."""
    tenant, teacher = school["tenant"], school["teacher"]
    course_id, _items = enrolled_course(school)
    with tenant_context(tenant, app):
        essay_id = add_question("essay", course_id).id
        choice_id = add_question("single_choice", course_id).id
        quiz_id = add_quiz(course_id, [essay_id, choice_id]).id
        db.session.commit()
    learner = school["learners"][0]
    learner.post(f"/api/v1/assessments/{quiz_id}/attempts")
    answers = [
        {"position": 1, "response": {"text": "Rayleigh scattering."}},
        {"position": 2, "response": {"choice": "a"}},
    ]
    submitted = learner.post(f"/api/v1/assessments/{quiz_id}/submit", json={"answers": answers}).get_json()["data"]
    assert (submitted["status"], submitted["score"]) == ("submitted", None)
    key = school["admin"].post("/api/v1/api-keys", json={"name": "grader", "roles": ["org_admin"]})
    headers = {"Host": tenant_host(tenant), "X-API-Key": key.get_json()["data"]["key"]}

    graded = client.put(
        f"/api/v1/attempts/{submitted['id']}/answers/1/grade", json={"score": 0.5, "comment": "Half."}, headers=headers
    )
    assert graded.status_code == 200, graded.get_json()
    assert (graded.get_json()["data"]["status"], graded.get_json()["data"]["score"]) == ("graded", 1.5)
    assert teacher.get(f"/api/v1/assessments/{quiz_id}/grading").get_json()["data"] == []
    _fix_question(app, tenant, choice_id)  # a regrade re-totals the attempt: the key's grade still stands
    url = f"/api/v1/assessments/{quiz_id}/regrade"
    assert teacher.post(url, json={"question_id": choice_id, "use_current_version": True}).status_code == 200
    mine = learner.get(f"/api/v1/attempts/{submitted['id']}").get_json()["data"]
    assert (mine["status"], mine["score"]) == ("graded", 0.5)
    assert mine["questions"][0]["grader_comment"] == "Half."
