"""A question's image under its stem, for whoever reads the attempt: its learner (taking it, and in the review),
the staff in results reach; another learner gets a 404, on the pages and through the API."""

import io

from app.extensions import db
from app.tenancy.context import tenant_context
from blueprints.assessments import bank
from blueprints.assessments.models import QuestionVersion
from tests.support.attempts import add_question, add_quiz, enrolled_course
from tests.support.browser import Browser
from tests.support.world import png_bytes

JPEG_START = b"\xff\xd8"


def _quiz_with_an_image(app, school):
    """A quiz of two questions, the first with an image (stored as the bank stores it)."""
    course_id, _items = enrolled_course(school)
    with tenant_context(school["tenant"], app):
        pictured = add_question("single_choice", course_id)
        plain = add_question("true_false", course_id)
        db.session.flush()
        version = db.session.query(QuestionVersion).filter_by(question_id=pictured.id).one()
        version.image_key = bank.store_image(io.BytesIO(png_bytes(size=(40, 30), colour="red")))
        quiz = add_quiz(course_id, [pictured.id, plain.id])
        db.session.commit()
        return course_id, quiz.id


def test_the_learner_sees_the_image_and_another_learner_gets_a_404(app, school):
    course_id, quiz_id = _quiz_with_an_image(app, school)
    owner, other = school["learners"][0], school["learners"][1]
    attempt = owner.post(f"/api/v1/assessments/{quiz_id}/attempts").get_json()["data"]
    first, second = attempt["questions"]
    assert "image_key" not in first  # the storage's key is nobody's business
    image_url = f"/api/v1/attempts/{attempt['id']}/questions/1/image"
    assert (first["image_url"], second["image_url"]) == (image_url, None)

    mine = owner.get(image_url)
    assert (mine.status_code, mine.mimetype, mine.data[:2]) == (200, "image/jpeg", JPEG_START)
    assert other.get(image_url).status_code == 404
    assert owner.get(f"/api/v1/attempts/{attempt['id']}/questions/2/image").status_code == 404  # it has none
    assert school["teacher"].get(image_url).status_code == 200  # staff, in results reach

    page_image = f"/courses/{course_id}/attempts/{attempt['id']}/questions/1/image"
    learner = Browser(app, school["tenant"])
    learner.sign_in("s0@example.org")
    taking = learner.get(f"/courses/{course_id}/attempts/{attempt['id']}").get_data(as_text=True)
    assert f'src="{page_image}" alt="The image of question 1' in taking
    assert taking.count("stem-image") == 1
    shown = learner.get(page_image)
    assert (shown.status_code, shown.mimetype) == (200, "image/jpeg")
    stranger = Browser(app, school["tenant"])
    stranger.sign_in("s1@example.org")
    assert stranger.get(page_image).status_code == 404
    assert stranger.get(f"/courses/{course_id + 1000}/attempts/{attempt['id']}/questions/1/image").status_code == 404

    owner.post(f"/api/v1/assessments/{quiz_id}/submit", json={"answers": []})
    review = learner.get(f"/courses/{course_id}/attempts/{attempt['id']}").get_data(as_text=True)
    assert f'src="{page_image}"' in review and "Your answer" in review


def test_the_images_description_is_its_alt_while_taking_and_in_the_review(app, school):
    course_id, _items = enrolled_course(school)
    alt = 'A right triangle with legs 3 and 4 & "x" on its hypotenuse'
    with tenant_context(school["tenant"], app):
        pictured = add_question("single_choice", course_id)
        db.session.flush()
        version = db.session.query(QuestionVersion).filter_by(question_id=pictured.id).one()
        version.image_key = bank.store_image(io.BytesIO(png_bytes(size=(40, 30), colour="red")))
        version.image_alt = alt
        quiz = add_quiz(course_id, [pictured.id], review_answers="immediately")
        db.session.commit()
        quiz_id = quiz.id
    owner = school["learners"][0]
    attempt = owner.post(f"/api/v1/assessments/{quiz_id}/attempts").get_json()["data"]
    assert attempt["questions"][0]["image_alt"] == alt

    learner = Browser(app, school["tenant"])
    learner.sign_in("s0@example.org")
    escaped = "A right triangle with legs 3 and 4 &amp; &#34;x&#34; on its hypotenuse"
    taking = learner.get(f"/courses/{course_id}/attempts/{attempt['id']}").get_data(as_text=True)
    assert f'/questions/1/image" alt="{escaped}"' in taking
    owner.post(f"/api/v1/assessments/{quiz_id}/submit", json={"answers": []})
    review = learner.get(f"/courses/{course_id}/attempts/{attempt['id']}").get_data(as_text=True)
    assert f'/questions/1/image" alt="{escaped}"' in review
