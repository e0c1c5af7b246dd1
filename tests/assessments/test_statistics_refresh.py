"""The stored item analysis follows the graded attempts (blueprints/assessments/analysis.py, subscribers.py).

The attempts are rows made from the models (tests/support/item_analysis.py); the figures are the hand-worked
ones of test_statistics.py, read back from the database on SQLite and PostgreSQL.
"""

import math

import pytest
import sqlalchemy as sa

from app.events import emit_after_commit
from app.extensions import db
from app.tenancy.context import tenant_context
from blueprints.assessments import analysis
from blueprints.assessments.models import AttemptStatus, QuestionKind, QuestionStatistics, QuizStatistics
from blueprints.users.models import User
from tests.conftest import run_jobs
from tests.support.item_analysis import (
    MULTIPLE_ABCD,
    SINGLE_ABC,
    add_attempt,
    add_version,
    hand_worked_quiz,
    make_learners,
    make_quiz,
)


def stored_figures(app, tenant, quiz_id):
    with tenant_context(tenant, app):
        quiz = db.session.get(QuizStatistics, quiz_id)
        questions = {
            row.question_id: row
            for row in db.session.scalars(sa.select(QuestionStatistics).where(QuestionStatistics.quiz_id == quiz_id))
        }
        db.session.expunge_all()
        return quiz, questions


def test_refresh_stores_the_hand_worked_figures(app, tenant):
    rows, _learners, _attempts = hand_worked_quiz(app, tenant)

    with tenant_context(tenant, app):
        analysis.refresh(rows.quiz_id)

    quiz, questions = stored_figures(app, tenant, rows.quiz_id)
    assert quiz.attempts == 5
    assert quiz.mean == pytest.approx(2.6)
    assert quiz.median == pytest.approx(3.0)
    assert quiz.standard_deviation == pytest.approx(math.sqrt(1.3))
    assert quiz.skewness == pytest.approx(-0.404796, abs=1e-6)
    assert quiz.kurtosis == pytest.approx(-0.177515, abs=1e-6)
    assert quiz.cronbach_alpha == pytest.approx(-0.115385, abs=1e-6)
    assert quiz.standard_error == pytest.approx(1.204159, abs=1e-6)
    single, true_false, numeric = (questions[question_id] for question_id in rows.questions)
    assert (single.attempts, single.facility) == (5, pytest.approx(0.6))
    assert single.discrimination_index == pytest.approx(0.645497, abs=1e-6)
    assert single.discriminative_efficiency == pytest.approx(1.0)
    # The chosen options were read out of the stored JSON answers by the database.
    assert single.responses == pytest.approx({"a": 0.6, "b": 0.2, "c": 0.2})
    assert true_false.discrimination_index == pytest.approx(-0.645497, abs=1e-6)
    assert true_false.discriminative_efficiency == pytest.approx(-2 / 3)
    assert true_false.responses == pytest.approx({"true": 0.4, "false": 0.6})
    assert numeric.facility == pytest.approx(0.7)
    assert numeric.standard_deviation == pytest.approx(0.447214, abs=1e-6)
    assert numeric.discrimination_index == pytest.approx(0.375)
    assert numeric.responses == {}


def test_refresh_recomputes_without_duplicating(app, tenant):
    rows, _learners, _attempts = hand_worked_quiz(app, tenant)
    with tenant_context(tenant, app):
        analysis.refresh(rows.quiz_id)
    [newcomer] = make_learners(app, tenant, 1)
    add_attempt(app, tenant, rows, newcomer, [({"choice": "a"}, 1.0), ({"value": False}, 1.0), ({"value": "2"}, 1.0)])

    with tenant_context(tenant, app):
        analysis.refresh(rows.quiz_id)
        analysis.refresh(rows.quiz_id)

    quiz, questions = stored_figures(app, tenant, rows.quiz_id)
    assert quiz.attempts == 6
    assert quiz.mean == pytest.approx((13 + 4) / 6)
    assert len(questions) == 3
    assert questions[rows.questions[0]].responses == pytest.approx({"a": 4 / 6, "b": 1 / 6, "c": 1 / 6})


def test_only_each_learners_first_graded_attempt_counts_unless_all_are_asked_for(app, tenant):
    rows = make_quiz(
        app,
        tenant,
        [("Capital", QuestionKind.SINGLE, SINGLE_ABC, 1.0), ("Again", QuestionKind.SINGLE, SINGLE_ABC, 1.0)],
    )
    first, second = make_learners(app, tenant, 2)
    wrong, right = ({"choice": "b"}, 0.0), ({"choice": "a"}, 1.0)
    add_attempt(app, tenant, rows, first, [wrong, wrong], number=1)
    add_attempt(app, tenant, rows, first, [right, right], number=2)  # practice after seeing the questions
    add_attempt(app, tenant, rows, second, [right, wrong], number=1, status=AttemptStatus.SUBMITTED)  # an essay waits
    add_attempt(app, tenant, rows, second, [right, right], number=2, status=AttemptStatus.IN_PROGRESS)

    with tenant_context(tenant, app):
        stored = analysis.refresh(rows.quiz_id)
        everything = analysis.analyse(rows.quiz_id, which=analysis.ALL).figures

    assert (stored.attempts, stored.mean) == (1, 0.0)
    assert (everything.attempts, everything.mean) == (2, 1.0)
    assert everything.questions[0].responses == {"a": 0.5, "b": 0.5, "c": 0.0}


def test_figures_grouped_by_version_keep_each_version_apart(app, tenant):
    rows = make_quiz(
        app,
        tenant,
        [("Capital", QuestionKind.SINGLE, SINGLE_ABC, 1.0), ("Sum", QuestionKind.MULTIPLE, MULTIPLE_ABCD, 1.0)],
    )
    capital = rows.questions[0]
    clearer = {"options": [*SINGLE_ABC["options"][:2], {"id": "d", "text": "Marseille", "correct": False}]}
    second_version = add_version(app, tenant, rows, capital, clearer)
    learners = make_learners(app, tenant, 4)
    partial = ({"choices": ["a", "c"]}, 0.0)
    add_attempt(app, tenant, rows, learners[0], [({"choice": "b"}, 0.0), partial])
    add_attempt(app, tenant, rows, learners[1], [({"choice": "c"}, 0.0), ({"choices": []}, 0.0)])
    add_attempt(
        app,
        tenant,
        rows,
        learners[2],
        [({"choice": "a"}, 1.0), ({"choices": ["a", "b"]}, 1.0)],
        versions={capital: second_version},
    )
    add_attempt(app, tenant, rows, learners[3], [({"choice": "d"}, 0.0), None], versions={capital: second_version})

    with tenant_context(tenant, app):
        together = analysis.analyse(rows.quiz_id)
        apart = analysis.analyse(rows.quiz_id, by_version=True)

    whole = {question.question: question for question in together.figures.questions}
    assert whole[capital].attempts == 4
    assert whole[capital].facility == 0.25
    # Options of both versions are listed: c only in version 1, d only in version 2.
    assert whole[capital].responses == {"a": 0.25, "b": 0.25, "c": 0.25, "d": 0.25}
    assert together.questions[capital].options == {"a": "Paris", "b": "Lyon", "c": "Nice", "d": "Marseille"}
    assert together.questions[capital].correct == {"a"}
    versions = {question.question: question for question in apart.figures.questions}
    assert set(versions) == {(capital, 1), (capital, 2), (rows.questions[1], 1)}
    assert (versions[capital, 1].attempts, versions[capital, 1].facility) == (2, 0.0)
    assert (versions[capital, 2].attempts, versions[capital, 2].facility) == (2, 0.5)
    assert versions[capital, 2].responses == {"a": 0.5, "b": 0.0, "d": 0.5}
    assert apart.questions[capital, 2].version == 2
    # A multiple choice question: each option's share of the attempts that had the question (3, not 4).
    assert versions[rows.questions[1], 1].responses == pytest.approx({"a": 2 / 3, "b": 1 / 3, "c": 1 / 3, "d": 0.0})
    # The quiz's figures do not depend on the grouping.
    assert apart.figures.mean == together.figures.mean


def test_figures_over_some_learners_only(app, tenant):
    rows, learners, _attempts = hand_worked_quiz(app, tenant)

    with tenant_context(tenant, app):
        mine = analysis.analyse(rows.quiz_id, people=sa.select(User.id).where(User.id.in_(learners[2:4])))

    # Learners C and D: totals 2 and 1.
    assert (mine.figures.attempts, mine.figures.mean, mine.figures.median) == (2, 1.5, 1.5)
    assert mine.figures.questions[0].responses == {"a": 0.0, "b": 0.5, "c": 0.5}


def test_a_quiz_without_graded_attempts_has_empty_figures(app, tenant):
    rows = make_quiz(app, tenant, [("Capital", QuestionKind.SINGLE, SINGLE_ABC, 1.0)])

    with tenant_context(tenant, app):
        analysis.refresh(rows.quiz_id)
        read = analysis.stored(rows.quiz_id)

    assert read.figures.attempts == 0
    assert read.figures.mean is None
    assert read.figures.questions == ()


def test_grading_a_first_attempt_refreshes_the_figures_through_the_event(app, tenant):
    rows, learners, attempts = hand_worked_quiz(app, tenant)

    with tenant_context(tenant, app):
        emit_after_commit(
            db.session,
            "assessment.graded",
            quiz_id=rows.quiz_id,
            attempt_id=attempts[0],
            course_id=rows.course_id,
            user_id=learners[0],
            score=3.0,
            max_score=4.0,
            percent=75.0,
            passed=True,
        )
        db.session.commit()
    run_jobs(app)

    quiz, questions = stored_figures(app, tenant, rows.quiz_id)
    assert quiz.attempts == 5
    assert quiz.mean == pytest.approx(2.6)
    assert questions[rows.questions[1]].discrimination_index == pytest.approx(-0.645497, abs=1e-6)


def test_the_grading_of_a_later_attempt_leaves_the_figures_alone(app, tenant):
    rows, learners, _attempts = hand_worked_quiz(app, tenant)
    retake = add_attempt(
        app,
        tenant,
        rows,
        learners[0],
        [({"choice": "a"}, 1.0), ({"value": False}, 1.0), ({"value": "2"}, 1.0)],
        number=2,
    )

    with tenant_context(tenant, app):
        assert analysis.counts_for_stored_figures(rows.quiz_id, retake) is False
        assert analysis.counts_for_stored_figures(rows.quiz_id, _attempts[0]) is True


def test_flags_name_what_a_teacher_should_look_at():
    def flags_of(facility, discrimination):
        return analysis.flags(analysis.QuestionFigures(1, 10, 1.0, facility, 0.1, discrimination, None, {}))

    assert flags_of(0.95, 0.5) == ["too_easy"]
    assert flags_of(0.05, -0.1) == ["too_hard", "negative_discrimination"]
    assert flags_of(0.5, 0.1) == ["weak_discrimination"]
    assert flags_of(0.5, 0.2) == []
    assert flags_of(1.0, None) == ["too_easy"]
    assert flags_of(0.9, 0.0) == ["weak_discrimination"]
