"""Quiz services: settings checked together, the course item link, slots from both banks and draws by tag,
accommodations for the course's learners, who reaches a quiz for what, and deleting one with history."""

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from app.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from app.extensions import db
from app.tenancy.context import tenant_context
from blueprints.assessments import quizzes
from blueprints.assessments.models import Quiz, QuizAccommodation, QuizAttempt, QuizSlot
from blueprints.courses.models import ContentItem
from tests.support.quizzes import acting, make_attempt, make_classroom, make_question


def _details(raised):
    return raised.value.details


def test_a_quiz_keeps_every_setting_and_refuses_bad_ones_naming_each_field(app, api, tenant):
    classroom = make_classroom(app, api, tenant)
    opens = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    with acting(app, classroom.tenant, classroom.ids["teacher"]) as teacher:
        quiz = quizzes.create_quiz(
            classroom.course_id,
            title="  Forces  ",
            description="<p>Newton<script>x()</script></p>",
            time_limit_minutes=20,
            opens_at=opens,
            closes_at=opens + timedelta(days=7),
            attempts_allowed=2,
            grading_method="average",
            pass_percent=75,
            shuffle_questions=True,
            shuffle_options=False,
            layout="one_per_page",
            review_score="immediately",
            review_answers="after_close",
            review_feedback="never",
            actor=teacher,
        )
        stored = db.session.get(Quiz, quiz.id)
        assert (stored.title, stored.description_html) == ("Forces", "<p>Newton</p>")
        assert (stored.time_limit_minutes, stored.attempts_allowed, stored.pass_percent) == (20, 2, 75.0)
        assert stored.opens_at == datetime(2026, 3, 1, 9, 0)  # naive UTC, as the databases keep time
        assert (stored.grading_method, stored.layout, stored.review_feedback) == ("average", "one_per_page", "never")
        assert stored.shuffle_questions and not stored.shuffle_options and not stored.published

        with pytest.raises(ValidationFailed) as refused:
            quizzes.update_quiz(
                quiz.id,
                title=" ",
                time_limit_minutes=0,
                attempts_allowed=-1,
                pass_percent=101,
                grading_method="best",
                closes_at=opens - timedelta(hours=1),
                colour="red",
                actor=teacher,
            )
        assert set(_details(refused)) == {
            "title",
            "time_limit_minutes",
            "attempts_allowed",
            "pass_percent",
            "grading_method",
            "closes_at",
            "colour",
        }
        # nothing of a refused change is kept
        db.session.expire_all()
        assert db.session.get(Quiz, quiz.id).title == "Forces"
        # the window is checked against what the quiz keeps: opening after its closing time is refused too
        with pytest.raises(ValidationFailed) as refused:
            quizzes.update_quiz(quiz.id, opens_at=opens + timedelta(days=8), actor=teacher)
        assert "closes_at" in _details(refused)
        untimed = quizzes.update_quiz(quiz.id, time_limit_minutes=None, attempts_allowed=None, actor=teacher)
        assert (untimed.time_limit_minutes, untimed.attempts_allowed) == (None, None)


def test_a_quiz_without_questions_is_not_published_and_a_published_one_keeps_some(app, api, tenant):
    classroom = make_classroom(app, api, tenant)
    question_id = make_question(app, classroom.tenant, classroom.course_id)
    with acting(app, classroom.tenant, classroom.ids["teacher"]) as teacher:
        with pytest.raises(ValidationFailed) as refused:
            quizzes.create_quiz(classroom.course_id, title="Empty", published=True, actor=teacher)
        assert "published" in _details(refused)
        assert db.session.scalar(sa.select(sa.func.count(Quiz.id))) == 0
        quiz = quizzes.create_quiz(classroom.course_id, title="Quiz", actor=teacher)
        quizzes.set_slots(quiz.id, [{"question_id": question_id}], actor=teacher)
        assert quizzes.update_quiz(quiz.id, published=True, actor=teacher).published
        with pytest.raises(ValidationFailed) as refused:
            quizzes.set_slots(quiz.id, [], actor=teacher)
        assert "slots" in _details(refused)
        assert len(quizzes.slots_of(quiz)) == 1


def test_a_quiz_makes_its_item_or_links_one_and_removing_the_item_unlinks_it(app, api, tenant):
    classroom = make_classroom(app, api, tenant)
    with acting(app, classroom.tenant, classroom.ids["teacher"]) as teacher:
        quiz = quizzes.create_quiz(classroom.course_id, title="Check-up", module_title="Week 2", actor=teacher)
        item = db.session.get(ContentItem, quiz.item_id)
        assert (item.kind, item.title, item.course_id) == ("assessment", "Check-up", classroom.course_id)
        assert quizzes.quiz_for_item(item.id).id == quiz.id

        # one quiz per item
        with pytest.raises(Conflict) as taken:
            quizzes.create_quiz(classroom.course_id, title="Second", item_id=item.id, actor=teacher)
        assert "item_id" in _details(taken)
        # only an assessment item of this course
        with pytest.raises(ValidationFailed) as refused:
            quizzes.create_quiz(classroom.course_id, title="On a lesson", item_id=classroom.lesson_id, actor=teacher)
        assert "item_id" in _details(refused)
        # a refused link writes nothing: not the quiz, not a module named for it
        with pytest.raises(ValidationFailed):
            quizzes.create_quiz(classroom.course_id, title="x" * 201, module_title="Never made", actor=teacher)
        assert db.session.scalar(sa.select(sa.func.count(Quiz.id))) == 1
        assert db.session.scalar(sa.select(sa.func.count(ContentItem.id)).where(ContentItem.kind == "assessment")) == 1

        unlinked = quizzes.update_quiz(quiz.id, item_id=None, actor=teacher)
        assert unlinked.item_id is None
        second = quizzes.create_quiz(classroom.course_id, title="Second", item_id=item.id, actor=teacher)
        assert second.item_id == item.id
    deleted = classroom.teacher.delete(f"/api/v1/content/{item.id}")
    assert deleted.status_code == 200
    with tenant_context(classroom.tenant, app):
        assert db.session.get(Quiz, second.id).item_id is None  # the quiz stays, unlinked
        assert quizzes.quiz_for_item(item.id) is None


def test_an_item_of_another_course_is_not_linked(app, api, tenant):
    classroom = make_classroom(app, api, tenant)
    other_course = classroom.teacher.post("/api/v1/courses", json={"title": "Chemistry"}).get_json()["data"]["id"]
    foreign = classroom.teacher.post(
        f"/api/v1/courses/{other_course}/content", json={"kind": "assessment", "title": "Quiz", "module_title": "M"}
    ).get_json()["data"]["id"]
    with acting(app, classroom.tenant, classroom.ids["teacher"]) as teacher:
        with pytest.raises(ValidationFailed) as refused:
            quizzes.create_quiz(classroom.course_id, title="Borrowed", item_id=foreign, actor=teacher)
        assert "item_id" in _details(refused)


def test_slots_take_the_course_bank_and_the_organization_bank_and_draw_no_more_than_there_is(app, api, tenant):
    classroom = make_classroom(app, api, tenant)
    tenant, course_id = classroom.tenant, classroom.course_id
    mine = make_question(app, tenant, course_id, "Own question", tags=("mechanics",))
    shared = make_question(app, tenant, None, "Organization question", tags=("mechanics",))
    make_question(app, tenant, course_id, "Third", tags=("mechanics", "optics"))
    archived = make_question(app, tenant, course_id, "Archived", tags=("optics",), archived=True)
    other_course = classroom.teacher.post("/api/v1/courses", json={"title": "Chemistry"}).get_json()["data"]["id"]
    foreign = make_question(app, tenant, other_course, "Another course's", tags=("optics",))
    with acting(app, tenant, classroom.ids["teacher"]) as teacher:
        quiz = quizzes.create_quiz(course_id, title="Mixed", actor=teacher)
        views = quizzes.set_slots(
            quiz.id,
            [
                {"question_id": shared, "points": 2},
                {"draw_tag": "  Mechanics ", "draw_count": 1},
                {"question_id": mine},
            ],
            actor=teacher,
        )
        assert [(v.question_id, v.draw_tag, v.draw_count, v.points) for v in views] == [
            (shared, None, 1, 2.0),
            (None, "mechanics", 1, None),
            (mine, None, 1, None),
        ]
        assert [v.bank for v in views] == ["organization", None, "course"]
        assert views[1].available == 1  # three carry the tag; two are in the quiz already
        assert quizzes.tag_counts(course_id) == {"mechanics": 3, "optics": 1}  # archived and foreign not counted
        # an attempt never gets a question twice: a draw picks among the tagged questions the quiz does not fix
        with pytest.raises(ValidationFailed) as refused:
            quizzes.set_slots(
                quiz.id, [{"question_id": mine}, {"draw_tag": "mechanics", "draw_count": 3}], actor=teacher
            )
        assert _details(refused)["slots[1].draw_count"] == [
            "Only 2 questions tagged “mechanics” besides the quiz's fixed questions; this quiz draws 3."
        ]
        # two draws whose tags share questions take no more than the different questions they hold
        with pytest.raises(ValidationFailed) as refused:
            quizzes.set_slots(
                quiz.id,
                [{"draw_tag": "mechanics", "draw_count": 3}, {"draw_tag": "optics", "draw_count": 1}],
                actor=teacher,
            )
        assert _details(refused)["slots[1].draw_count"] == [
            "The draws take 4 questions but their tags hold 3 different ones."
        ]

        with pytest.raises(ValidationFailed) as refused:
            quizzes.set_slots(
                quiz.id,
                [
                    {"question_id": foreign},
                    {"question_id": archived},
                    {"draw_tag": "optics", "draw_count": 1},
                    {"draw_tag": "optics", "draw_count": 1},
                    {"question_id": mine, "points": 0},
                    {"question_id": mine},
                    {"draw_tag": "", "question_id": mine},
                    {"draw_tag": "nothing", "draw_count": 0},
                ],
                actor=teacher,
            )
        assert _details(refused) == {
            "slots": ["Check slots 1, 2, 4, 5, 6, 7, 8."],
            "slots[0].question_id": [f"No question {foreign} in this course's bank or the organization's."],
            "slots[1].question_id": [f"No question {archived} in this course's bank or the organization's."],
            "slots[3].draw_count": ["Only 1 question tagged “optics”; this quiz draws 2."],
            "slots[4].points": ["More than 0, at most 1000; or nothing for the question's own."],
            "slots[5].question_id": ["This question is in the quiz already."],
            "slots[6]": ["A question (question_id) or a draw by tag (draw_tag and draw_count), one of them."],
            "slots[7].draw_count": ["How many questions to draw: 1 to 100."],
        }
        assert len(quizzes.slots_of(quiz)) == 3  # the refused list changed nothing


def test_accommodations_are_for_the_course_learners_only(app, api, tenant):
    classroom = make_classroom(app, api, tenant)
    ids = classroom.ids
    with acting(app, classroom.tenant, ids["teacher"]) as teacher:
        quiz = quizzes.create_quiz(classroom.course_id, title="Timed", time_limit_minutes=30, actor=teacher)
        quizzes.set_accommodation(quiz.id, ids["learner"], extra_minutes=15, extra_attempts=1, actor=teacher)
        assert quizzes.accommodation_of(quiz.id, ids["learner"]) == (15, 1)
        assert quizzes.accommodation_of(quiz.id, ids["learner2"]) == (0, 0)
        quizzes.set_accommodation(quiz.id, ids["learner"], extra_minutes=10, extra_attempts=0, actor=teacher)
        assert quizzes.accommodation_of(quiz.id, ids["learner"]) == (10, 0)

        with pytest.raises(NotFound) as refused:
            quizzes.set_accommodation(quiz.id, ids["outsider"], extra_minutes=5, actor=teacher)
        assert "user_id" in _details(refused)
        with pytest.raises(ValidationFailed) as refused:
            quizzes.set_accommodation(quiz.id, ids["learner2"], extra_minutes=-5, extra_attempts=1000, actor=teacher)
        assert set(_details(refused)) == {"extra_minutes", "extra_attempts"}

        quizzes.set_accommodation(quiz.id, ids["learner"], extra_minutes=0, extra_attempts=0, actor=teacher)
        assert db.session.scalar(sa.select(sa.func.count(QuizAccommodation.id))) == 0
        with pytest.raises(NotFound):
            quizzes.remove_accommodation(quiz.id, ids["learner"], actor=teacher)
    with acting(app, classroom.tenant, ids["other_teacher"]) as stranger, pytest.raises(PermissionDenied):
        quizzes.set_accommodation(quiz.id, ids["learner"], extra_minutes=5, actor=stranger)


def test_who_reaches_a_quiz_for_what(app, api, tenant):
    classroom = make_classroom(app, api, tenant)
    ids, tenant = classroom.ids, classroom.tenant
    question_id = make_question(app, tenant, classroom.course_id)
    with acting(app, tenant, ids["teacher"]) as teacher:
        quiz = quizzes.create_quiz(classroom.course_id, title="Reach", actor=teacher)
        for need in quizzes.NEEDS:
            assert quizzes.get_quiz(quiz.id, need, actor=teacher).id == quiz.id
    with acting(app, tenant, ids["learner"]) as learner, pytest.raises(NotFound):  # unpublished: no such quiz
        quizzes.get_quiz(quiz.id, "see", actor=learner)
    with acting(app, tenant, ids["teacher"]) as teacher:
        quizzes.set_slots(quiz.id, [{"question_id": question_id}], actor=teacher)
        quizzes.update_quiz(quiz.id, published=True, actor=teacher)
    with acting(app, tenant, ids["learner"]) as learner:
        assert quizzes.get_quiz(quiz.id, "take", actor=learner).id == quiz.id
        for need in ("manage", "results"):
            with pytest.raises(PermissionDenied):
                quizzes.get_quiz(quiz.id, need, actor=learner)
    with acting(app, tenant, ids["outsider"]) as outsider, pytest.raises(NotFound):
        quizzes.get_quiz(quiz.id, "see", actor=outsider)  # sees the course, is not enrolled
    with acting(app, tenant, ids["other_teacher"]) as stranger:
        with pytest.raises(PermissionDenied):
            quizzes.get_quiz(quiz.id, "manage", actor=stranger)
        with pytest.raises(NotFound):
            quizzes.get_quiz(quiz.id, "take", actor=stranger)
    with pytest.raises(NotFound), acting(app, tenant, ids["teacher"]) as teacher:
        quizzes.get_quiz(quiz.id + 1000, "see", actor=teacher)


def test_a_quiz_with_attempts_is_deleted_only_with_force(app, api, tenant):
    classroom = make_classroom(app, api, tenant)
    ids, tenant = classroom.ids, classroom.tenant
    with acting(app, tenant, ids["teacher"]) as teacher:
        quiz = quizzes.create_quiz(classroom.course_id, title="History", module_title="Checks", actor=teacher)
        quiz_id, item_id = quiz.id, quiz.item_id
        untouched = quizzes.create_quiz(classroom.course_id, title="Untouched", actor=teacher)
        question_id = make_question(app, tenant, classroom.course_id)
        quizzes.set_slots(quiz_id, [{"question_id": question_id}], actor=teacher)
        assert quizzes.delete_quiz(untouched.id, actor=teacher) == 0
    make_attempt(app, tenant, quiz_id, ids["learner"])
    make_attempt(app, tenant, quiz_id, ids["learner2"])
    with acting(app, tenant, ids["teacher"]) as teacher:
        with pytest.raises(Conflict) as refused:
            quizzes.delete_quiz(quiz_id, actor=teacher)
        assert refused.value.code == "QUIZ_HAS_ATTEMPTS"
        assert "2 attempts" in refused.value.message
        assert db.session.get(Quiz, quiz_id) is not None
        assert quizzes.delete_quiz(quiz_id, force=True, actor=teacher) == 2
        assert db.session.scalar(sa.select(sa.func.count(QuizAttempt.id))) == 0
        assert db.session.scalar(sa.select(sa.func.count(QuizSlot.id))) == 0
        assert db.session.get(ContentItem, item_id) is not None  # the outline keeps its item
        with pytest.raises(NotFound):
            quizzes.delete_quiz(quiz_id, force=True, actor=teacher)


def test_a_course_nobody_took_is_deleted_with_its_quizzes_and_bank(app, api, tenant):
    room = make_classroom(app, api, tenant)
    course_id = room.teacher.post("/api/v1/courses", json={"title": "Never taught"}).get_json()["data"]["id"]
    question_id = make_question(app, tenant, course_id)
    make_question(app, tenant, course_id, "Drawn", tags=("x",))
    with acting(app, tenant, room.ids["teacher"]) as teacher:
        quiz = quizzes.create_quiz(course_id, title="Gone too", module_title="M", actor=teacher)
        quizzes.set_slots(quiz.id, [{"question_id": question_id}, {"draw_tag": "x"}], actor=teacher)
    deleted = room.teacher.delete(f"/api/v1/courses/{course_id}")
    assert deleted.status_code == 200, deleted.get_json()
    assert deleted.get_json()["data"]["outcome"] == "deleted"
    with tenant_context(tenant, app):
        assert db.session.scalar(sa.select(sa.func.count(Quiz.id))) == 0
        assert db.session.scalar(sa.select(sa.func.count(QuizSlot.id))) == 0
