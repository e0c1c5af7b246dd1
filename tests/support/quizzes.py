"""Quizzes for tests: a classroom (a teacher's published course with enrolled learners), bank questions made
straight from the models (until the bank's services are in main), and the services called as someone."""

import random
from contextlib import contextmanager
from types import SimpleNamespace

import sqlalchemy as sa

from app.extensions import db
from app.security.actor import Actor
from app.tenancy.context import tenant_context
from blueprints.assessments import quizzes
from blueprints.assessments.models import Question, QuestionVersion, QuizAttempt, question_tags
from blueprints.users.services import principal_for_user
from tests.conftest import make_user, user_token
from tests.support.courses import make_course

SINGLE_CHOICE = {
    "options": [
        {"id": "a", "text": "Four", "correct": True, "feedback": "Yes."},
        {"id": "b", "text": "Five", "correct": False, "feedback": "Count again."},
    ]
}


def make_classroom(app, api, tenant):
    """A teacher's published course "Physics" (one lesson), two enrolled learners and one who is not, another
    teacher, and API clients for each."""

    def client(user_id, role):
        with app.app_context():
            return api(tenant, user_token(app, tenant, user_id, role))

    ids = {
        "teacher": make_user(app, tenant, "teacher", email="quizmaster@example.org"),
        "other_teacher": make_user(app, tenant, "teacher", email="other-teacher@example.org"),
        "learner": make_user(app, tenant, "student", email="ada@example.org", first_name="Ada", last_name="Byron"),
        "learner2": make_user(app, tenant, "student", email="alan@example.org", first_name="Alan", last_name="T"),
        "outsider": make_user(app, tenant, "student", email="outsider@example.org"),
    }
    teacher = client(ids["teacher"], "teacher")
    course_id, (lesson_id,) = make_course(teacher, title="Physics", items=1)
    enrolled = teacher.post(
        f"/api/v1/courses/{course_id}/enrollments", json={"user_ids": [ids["learner"], ids["learner2"]]}
    )
    assert enrolled.status_code == 201, enrolled.get_json()
    outline = teacher.get(f"/api/v1/courses/{course_id}/content").get_json()["data"]
    return SimpleNamespace(
        tenant=tenant,
        course_id=course_id,
        lesson_id=lesson_id,
        module_id=outline[0]["id"],
        ids=ids,
        teacher=teacher,
        other_teacher=client(ids["other_teacher"], "teacher"),
        learner=client(ids["learner"], "student"),
        outsider=client(ids["outsider"], "student"),
    )


@contextmanager
def acting(app, tenant, user_id):
    """Inside the tenant, the actor `user_id` (a person), as a request would have it."""
    with tenant_context(tenant, app):
        yield Actor(principal_for_user(user_id))


def make_question(
    app,
    tenant,
    course_id,
    title="How many legs has a cat?",
    *,
    kind="single_choice",
    tags=(),
    spec=None,
    archived=False,
    points=1.0,
):
    """A bank question (course bank, or the organization's with `course_id` None) with one version; its id."""
    with tenant_context(tenant, app):
        question = Question(course_id=course_id, kind=kind, title=title, current_version=1)
        if archived:
            question.archived_at = sa.func.now()
        db.session.add(question)
        db.session.flush()
        db.session.add(
            QuestionVersion(
                question_id=question.id,
                number=1,
                stem_html=f"<p>{title}</p>",
                default_points=points,
                spec=spec or SINGLE_CHOICE,
            )
        )
        if tags:
            db.session.execute(sa.insert(question_tags), [{"question_id": question.id, "tag": t} for t in tags])
        db.session.commit()
        return question.id


def make_attempt(app, tenant, quiz_id, user_id):
    """A bare attempt row (the attempts part makes real ones): enough to count as history."""
    with tenant_context(tenant, app):
        number = (
            db.session.scalar(
                sa.select(sa.func.count(QuizAttempt.id)).where(
                    QuizAttempt.quiz_id == quiz_id, QuizAttempt.user_id == user_id
                )
            )
            + 1
        )
        attempt = QuizAttempt(quiz_id=quiz_id, user_id=user_id, number=number, seed=random.randrange(2**31))  # noqa: S311 (a shuffle seed)
        db.session.add(attempt)
        db.session.commit()
        return attempt.id


def seed_quizzes(acting_admin, courses, learners):
    """The escalation matrix's quizzes (inside the tenant): `quiz1` (course c1, published, one question of its bank),
    `quiz1_draft` (c1, unpublished) and `quiz2` (c2, published); accommodations for learners["c1"] in quiz1 and
    learners["c2"] in quiz2. Returns their ids, and the bank questions' (`qn1`, `qn2`, and `qn1_spare` in no quiz)."""
    actor, ids = Actor(acting_admin), {}
    for key, course in courses.items():
        question = Question(course_id=course.id, kind="single_choice", title=f"Question of {course.title}")
        db.session.add(question)
        db.session.flush()
        db.session.add(
            QuestionVersion(question_id=question.id, number=1, stem_html="<p>2 + 2?</p>", spec=SINGLE_CHOICE)
        )
        db.session.commit()
        ids[f"qn{key[1:]}"] = question.id
        quiz = quizzes.create_quiz(course.id, title=f"Quiz of {course.title}", actor=actor)
        quizzes.set_slots(quiz.id, [{"question_id": question.id}], actor=actor)
        quizzes.update_quiz(quiz.id, published=True, actor=actor)
        quizzes.set_accommodation(quiz.id, learners[key], extra_minutes=10, actor=actor)
        ids[f"quiz{key[1:]}"] = quiz.id
    ids["quiz1_draft"] = quizzes.create_quiz(courses["c1"].id, title="Unpublished quiz", actor=actor).id
    spare = Question(course_id=courses["c1"].id, kind="single_choice", title="A question in no quiz")
    db.session.add(spare)
    db.session.flush()
    db.session.add(QuestionVersion(question_id=spare.id, number=1, stem_html="<p>3 + 3?</p>", spec=SINGLE_CHOICE))
    db.session.commit()
    ids["qn1_spare"] = spare.id
    return ids
