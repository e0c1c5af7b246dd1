"""The quiz builder's pages: a teacher makes a quiz from the course page, adds questions from both banks with the
picker and a draw by tag, reorders and weighs them with htmx, gives a learner extra time, publishes, deletes."""

import re

import sqlalchemy as sa

from app.extensions import db
from app.tenancy.context import tenant_context
from blueprints.assessments.models import Quiz, QuizAccommodation
from tests.support.browser import Browser
from tests.support.courses import csrf_header
from tests.support.quizzes import make_attempt, make_classroom, make_question


def _slot_names(html):
    return re.findall(r'data-slot="([^"]+)"', html)


def test_a_teacher_builds_a_quiz_on_the_pages(app, api, tenant):
    room = make_classroom(app, api, tenant)
    make_question(app, tenant, room.course_id, "Speed of light", tags=("optics",))
    make_question(app, tenant, None, "Lens formula (shared)", tags=("optics",))
    make_question(app, tenant, room.course_id, "Archived one", archived=True)
    for title in ("Prism", "Mirror"):
        make_question(app, tenant, room.course_id, title, tags=("optics",))
    teacher = Browser(app, tenant)
    teacher.sign_in("quizmaster@example.org")

    editor = teacher.get(f"/teach/{room.course_id}").get_data(as_text=True)
    index_url = f"/courses/{room.course_id}/quizzes"
    assert f'href="{index_url}"' in editor  # the course page links its quizzes
    created = teacher.post(
        index_url, {"title": "Light", "module_id": str(room.module_id), "module_title": ""}, csrf_from=index_url
    )
    assert created.status_code == 302, created.get_data(as_text=True)
    builder_url = created.headers["Location"]
    with tenant_context(tenant, app):
        quiz = db.session.scalar(sa.select(Quiz))
        quiz_id, item_id = quiz.id, quiz.item_id
    assert builder_url.endswith(f"/courses/{room.course_id}/quizzes/{quiz_id}")
    assert item_id  # placed at the end of the chosen module
    assert "Light" in teacher.get(index_url).get_data(as_text=True)

    htmx = csrf_header(teacher, builder_url)
    found = teacher.get(f"{builder_url}/picker?q=light", headers=htmx).get_data(as_text=True)
    assert "Speed of light" in found and "Lens formula" not in found  # the words are in titles
    found = teacher.get(f"{builder_url}/picker?q=", headers=htmx).get_data(as_text=True)
    assert "Lens formula (shared)" in found and "organization bank" in found and "Archived one" not in found
    speed_id = re.search(r'name="question_id" value="(\d+)"[^<]*<span class="picker-title">Speed', found).group(1)
    lens_id = re.search(r'name="question_id" value="(\d+)"[^<]*<span class="picker-title">Lens', found).group(1)

    slots_url = f"{builder_url}/slots"
    for question_id in (speed_id, lens_id):
        added = teacher.post(slots_url, {"action": "add_question", "question_id": question_id}, headers=htmx)
        assert added.status_code == 200
    fragment = teacher.post(
        slots_url, {"action": "add_draw", "draw_tag": "optics", "draw_count": "2", "points": "0.5"}, headers=htmx
    ).get_data(as_text=True)
    assert fragment.startswith('<section id="quiz-slots">')  # the list alone, for htmx to swap
    assert _slot_names(fragment) == ["Speed of light", "Lens formula (shared)", "Random: 2 tagged “optics”"]
    too_many = teacher.post(slots_url, {"action": "add_draw", "draw_tag": "optics", "draw_count": "3"}, headers=htmx)
    assert too_many.status_code == 422
    assert "Only 2 questions tagged “optics” besides the quiz&#39;s fixed questions; this quiz draws 5." in (
        too_many.get_data(as_text=True)
    )

    moved = teacher.post(slots_url, {"action": "up", "number": "3"}, headers=htmx).get_data(as_text=True)
    assert _slot_names(moved) == ["Speed of light", "Random: 2 tagged “optics”", "Lens formula (shared)"]
    weighed = teacher.post(slots_url, {"action": "points", "number": "1", "points": "2,5"}, headers=htmx)
    assert 'id="points-1" name="points" inputmode="decimal" value="2.5"' in weighed.get_data(as_text=True)
    removed = teacher.post(slots_url, {"action": "remove", "number": "3"}, headers=htmx).get_data(as_text=True)
    assert _slot_names(removed) == ["Speed of light", "Random: 2 tagged “optics”"]
    # without htmx the same form answers with the page
    plain = teacher.post(slots_url, {"action": "down", "number": "1"}, csrf_from=builder_url)
    assert plain.status_code == 302 and plain.headers["Location"].endswith("#questions")

    settings = {
        "title": "Light and lenses",
        "description": "<p>Twenty minutes.</p>",
        "time_limit_minutes": "20",
        "opens_at": "2026-05-01T09:00",
        "closes_at": "2026-04-01T09:00",
        "attempts_allowed": "2",
        "grading_method": "highest",
        "pass_percent": "60",
        "layout": "one_per_page",
        "review_score": "immediately",
        "review_answers": "after_close",
        "review_feedback": "immediately",
        "published": "y",
    }
    refused = teacher.post(builder_url, settings, csrf_from=builder_url)
    assert refused.status_code == 422
    assert 'id="closes_at-errors" class="field-error">After the opening time.' in refused.get_data(as_text=True)
    saved = teacher.post(builder_url, {**settings, "closes_at": "2026-06-01T09:00"}, csrf_from=builder_url)
    assert saved.status_code == 302
    with tenant_context(tenant, app):
        quiz = db.session.get(Quiz, quiz_id)
        assert (quiz.title, quiz.time_limit_minutes, quiz.pass_percent, quiz.published) == (
            "Light and lenses",
            20,
            60.0,
            True,
        )
        assert quiz.closes_at.isoformat() == "2026-06-01T09:00:00"  # the organization's zone is UTC here

    accommodations_url = f"{builder_url}/accommodations"
    page = teacher.get(builder_url).get_data(as_text=True)
    assert "Ada Byron (ada@example.org)" in page and "outsider@example.org" not in page  # enrolled learners only
    given = teacher.post(
        accommodations_url,
        {"user_id": str(room.ids["learner"]), "extra_minutes": "10", "extra_attempts": "1"},
        csrf_from=builder_url,
    )
    assert given.status_code == 302
    outsider = teacher.post(
        accommodations_url, {"user_id": str(room.ids["outsider"]), "extra_minutes": "10"}, csrf_from=builder_url
    )
    assert outsider.status_code == 422  # not a choice of the form: not a learner of the course
    with tenant_context(tenant, app):
        assert db.session.scalar(sa.select(sa.func.count(QuizAccommodation.id))) == 1
    teacher.post(accommodations_url, {"remove": str(room.ids["learner"])}, csrf_from=builder_url)
    with tenant_context(tenant, app):
        assert db.session.scalar(sa.select(sa.func.count(QuizAccommodation.id))) == 0


def test_deleting_a_quiz_on_the_pages_says_what_goes_with_it(app, api, tenant):
    room = make_classroom(app, api, tenant)
    teacher = Browser(app, tenant)
    teacher.sign_in("quizmaster@example.org")
    index_url = f"/courses/{room.course_id}/quizzes"
    builder_url = teacher.post(
        index_url, {"title": "Tried", "module_id": "0", "module_title": ""}, csrf_from=index_url
    ).headers["Location"]
    quiz_id = int(builder_url.rsplit("/", 1)[1])
    make_attempt(app, tenant, quiz_id, room.ids["learner"])
    delete_url = f"{builder_url}/delete"
    page = teacher.get(delete_url).get_data(as_text=True)
    assert "1 attempt was made at this quiz." in page
    kept = teacher.post(delete_url, {}, csrf_from=delete_url)
    assert kept.status_code == 200 and "Tick the box" in kept.get_data(as_text=True)
    gone = teacher.post(delete_url, {"confirm_attempts": "y"}, csrf_from=delete_url)
    assert gone.status_code == 302
    with tenant_context(tenant, app):
        assert db.session.get(Quiz, quiz_id) is None


def test_the_builder_is_its_course_managers_only(app, api, tenant):
    room = make_classroom(app, api, tenant)
    quiz_id = room.teacher.post("/api/v1/assessments", json={"course_id": room.course_id, "title": "Q"}).get_json()[
        "data"
    ]["id"]
    other = Browser(app, tenant)
    other.sign_in("other-teacher@example.org")
    assert other.get(f"/courses/{room.course_id}/quizzes/{quiz_id}").status_code == 403  # sees the course only
    learner = Browser(app, tenant)
    learner.sign_in("ada@example.org")
    assert learner.get(f"/courses/{room.course_id}/quizzes").status_code == 403
    other_course = room.teacher.post("/api/v1/courses", json={"title": "Elsewhere"}).get_json()["data"]["id"]
    teacher = Browser(app, tenant)
    teacher.sign_in("quizmaster@example.org")
    assert teacher.get(f"/courses/{other_course}/quizzes/{quiz_id}").status_code == 404  # not that course's quiz
