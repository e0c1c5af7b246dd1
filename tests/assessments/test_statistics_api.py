"""`GET /api/v1/assessments/{id}/analytics`: the figures, flags and distractors, for the staff who see results."""

import pytest

from app.tenancy.context import tenant_context
from blueprints.assessments import analysis
from blueprints.assessments.models import QuestionKind
from tests.conftest import make_user, run_jobs, tenant_host, user_token
from tests.support.attempts import enrolled_course
from tests.support.attempts import make_quiz as make_attempts_quiz
from tests.support.item_analysis import SINGLE_ABC, add_attempt, make_learners, make_quiz

RIGHT, WRONG_B, WRONG_C = ({"choice": "a"}, 1.0), ({"choice": "b"}, 0.0), ({"choice": "c"}, 0.0)
EASY = {"answer": True}


@pytest.fixture
def analysed(app, tenant, district):
    """The district's organization-wide course gets a quiz of two questions, taken by its North and South
    students and three more learners: "Capital" separates them, "Sky is blue" everybody gets right."""
    rows = make_quiz(
        app,
        tenant,
        [("Capital", QuestionKind.SINGLE, SINGLE_ABC, 2.0), ("Sky is blue", QuestionKind.TRUE_FALSE, EASY, 1.0)],
        course_id=district["courses"]["everyone"],
    )
    true = ({"value": True}, 1.0)
    north, south = district["people"]["north"], district["people"]["south"]
    others = make_learners(app, tenant, 3)
    for learner, capital in zip([north, south, *others], [RIGHT, WRONG_B, RIGHT, WRONG_C, RIGHT], strict=True):
        add_attempt(app, tenant, rows, learner, [capital, true])
    return rows, district


def analytics(client, quiz_id, query=""):
    return client.get(f"/api/v1/assessments/{quiz_id}/analytics{query}")


def test_the_courses_teacher_reads_the_figures_flags_and_distractors(app, tenant, analysed):
    rows, district = analysed

    response = analytics(district["teacher"], rows.quiz_id)

    assert response.status_code == 200, response.get_json()
    data = response.get_json()["data"]
    assert (data["assessment_id"], data["attempts"], data["learners"], data["by_version"]) == (
        rows.quiz_id,
        "first",
        "everyone",
        False,
    )
    # Totals (Capital worth 2, Sky 1) 3 1 3 1 3 of 3 points: mean 11 / 5, median 3.
    assert data["quiz"]["attempts"] == 5
    assert data["quiz"]["max_score"] == 3.0
    assert data["quiz"]["mean"] == pytest.approx(2.2)
    assert data["quiz"]["median"] == 3.0
    capital, sky = data["questions"]
    assert (capital["question_id"], capital["title"], capital["kind"]) == (
        rows.questions[0],
        "Capital",
        "single_choice",
    )
    assert capital["facility"] == pytest.approx(0.6)
    assert capital["flags"] == []
    assert capital["responses"] == [
        {"option_id": "a", "text": "Paris", "correct": True, "share": pytest.approx(0.6)},
        {"option_id": "b", "text": "Lyon", "correct": False, "share": pytest.approx(0.2)},
        {"option_id": "c", "text": "Nice", "correct": False, "share": pytest.approx(0.2)},
    ]
    # Everybody right: too easy, and nothing to correlate (no discrimination figure, no flag about it).
    assert sky["facility"] == 1.0
    assert sky["discrimination_index"] is None
    assert sky["flags"] == ["too_easy"]
    assert [share["share"] for share in sky["responses"]] == [1.0, 0.0]


def test_stored_figures_say_when_they_were_computed(app, tenant, analysed):
    rows, district = analysed
    with tenant_context(tenant, app):
        analysis.refresh(rows.quiz_id)

    data = analytics(district["teacher"], rows.quiz_id).get_json()["data"]

    assert data["computed_at"].endswith("Z")
    assert data["quiz"]["mean"] == pytest.approx(2.2)
    assert [question["title"] for question in data["questions"]] == ["Capital", "Sky is blue"]


def test_by_version_and_all_attempts_on_demand(app, tenant, analysed):
    rows, district = analysed
    north = district["people"]["north"]
    add_attempt(app, tenant, rows, north, [WRONG_B, ({"value": True}, 1.0)], number=2)

    every = analytics(district["teacher"], rows.quiz_id, "?attempts=all").get_json()["data"]
    by_version = analytics(district["teacher"], rows.quiz_id, "?by_version=true").get_json()["data"]

    assert (every["attempts"], every["quiz"]["attempts"]) == ("all", 6)
    assert by_version["computed_at"] is None
    assert [(question["question_id"], question["version"]) for question in by_version["questions"]] == [
        (rows.questions[0], 1),
        (rows.questions[1], 1),
    ]


def test_a_branch_manager_gets_the_figures_of_their_branches_learners(analysed):
    rows, district = analysed

    data = analytics(district["manager"], rows.quiz_id).get_json()["data"]

    assert data["learners"] == "your_branches"
    assert data["quiz"]["attempts"] == 1  # the North student's
    assert data["questions"][0]["responses"][0]["share"] == 1.0


def test_learners_other_teachers_and_strangers_are_refused(app, tenant, analysed, api):
    rows, district = analysed
    south = district["people"]["south"]
    with app.app_context():
        learner = api(tenant, user_token(app, tenant, south, "student"))
        other_teacher = api(tenant, user_token(app, tenant, make_user(app, tenant, "teacher"), "teacher"))

    assert analytics(learner, rows.quiz_id).status_code == 403  # may not read figures at all
    # A teacher who neither teaches nor takes the course does not reach its quizzes (quizzes.get_quiz).
    assert analytics(other_teacher, rows.quiz_id).status_code == 404
    assert analytics(district["teacher"], rows.quiz_id + 999).status_code == 404
    assert analytics(api(tenant), rows.quiz_id).status_code == 401


def test_bad_query_parameters_are_a_422_with_the_field(analysed):
    rows, district = analysed

    bad = analytics(district["teacher"], rows.quiz_id, "?attempts=last&by_version=maybe")

    assert bad.status_code == 422
    details = bad.get_json()["error"]["details"]
    assert set(details) >= {"attempts", "by_version"}


def test_submitting_through_the_api_updates_the_figures_without_anyone_asking(app, school):
    # The whole path: learners take the quiz through the API, grading emits assessment.graded, the subscriber
    # (run by the event worker) stores the figures, and the teacher reads them as stored ones.
    course_id, _items = enrolled_course(school)
    quiz_id = make_attempts_quiz(app, school["tenant"], course_id, kinds=("single_choice", "true_false"))
    answers = [
        ({"choice": "a"}, {"value": False}),
        ({"choice": "a"}, {"value": True}),
        ({"choice": "b"}, {"value": True}),
    ]
    for learner, (single, true_false) in zip(school["learners"], answers, strict=True):
        attempt = learner.post(f"/api/v1/assessments/{quiz_id}/attempts").get_json()["data"]
        submitted = learner.post(
            f"/api/v1/attempts/{attempt['id']}/submit",
            json={"answers": [{"position": 1, "response": single}, {"position": 2, "response": true_false}]},
        )
        assert submitted.get_json()["data"]["status"] == "graded", submitted.get_json()
    run_jobs(app)

    data = analytics(school["teacher"], quiz_id).get_json()["data"]

    assert data["computed_at"] is not None  # stored by the subscriber, not worked out for this request
    assert data["quiz"]["attempts"] == 3
    assert data["quiz"]["mean"] == pytest.approx(1.0)  # totals 2, 1, 0
    single, true_false = data["questions"]
    assert [(option["option_id"], option["share"]) for option in single["responses"]] == [
        ("a", pytest.approx(2 / 3)),
        ("b", pytest.approx(1 / 3)),
    ]
    assert [(option["option_id"], option["correct"]) for option in true_false["responses"]] == [
        ("true", False),
        ("false", True),
    ]
    assert single["discrimination_index"] == pytest.approx(0.5)  # x 1 1 0 against rest 1 0 0: r = 0.5


def test_an_org_admins_api_key_reads_the_figures_and_a_students_key_is_refused(analysed, client, tenant):
    rows, district = analysed
    admin = district["admin"]
    keys = {
        role: admin.post("/api/v1/api-keys", json={"name": role, "roles": [role]}).get_json()["data"]["key"]
        for role in ("org_admin", "student")
    }

    def read(key):
        return client.get(
            f"/api/v1/assessments/{rows.quiz_id}/analytics", headers={"Host": tenant_host(tenant), "X-API-Key": key}
        )

    answered = read(keys["org_admin"])
    assert answered.status_code == 200, answered.get_json()
    assert answered.get_json()["data"]["quiz"]["attempts"] == 5
    assert read(keys["student"]).status_code == 403
