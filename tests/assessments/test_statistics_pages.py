"""The item analysis page: what a teacher and a branch manager see, and that it holds at 375 and 1280 px."""

import os
import re

import pytest

from app.tenancy.context import tenant_context
from blueprints.assessments import analysis
from blueprints.assessments.models import QuestionKind
from tests.conftest import make_user
from tests.support.browser import Browser, accessibility_violations, layout_problems, open_signed_in
from tests.support.item_analysis import SINGLE_ABC, add_attempt, make_learners, make_quiz

RIGHT, WRONG_B, WRONG_C = ({"choice": "a"}, 1.0), ({"choice": "b"}, 0.0), ({"choice": "c"}, 0.0)
SCREENSHOTS = os.environ.get("SCREENSHOT_DIR")


@pytest.fixture
def quiz_page(app, tenant, district):
    """A quiz of the district's organization-wide course, taken by six learners (the North and South students
    first). Capital, Rivers and Mountains go with the rest of the quiz; Tricky is answered right by the learners
    who do worst on the rest (negative discrimination); everybody gets Sky right (too easy, no discrimination)."""
    questions = ["Capital of France", "Rivers", "Mountains", "Tricky wording"]
    rows = make_quiz(
        app,
        tenant,
        [
            *((title, QuestionKind.SINGLE, SINGLE_ABC, 1.0) for title in questions),
            ("Sky is blue", QuestionKind.TRUE_FALSE, {"answer": True}, 1.0),
        ],
        course_id=district["courses"]["everyone"],
        title="Week 1 check",
    )
    learners = [district["people"]["north"], district["people"]["south"], *make_learners(app, tenant, 4)]
    right = {  # per question, which of the six learners got it right
        "Capital of France": "111001",
        "Rivers": "110001",
        "Mountains": "111000",
        "Tricky wording": "000110",
    }
    for n, learner in enumerate(learners):
        answers = [RIGHT if right[title][n] == "1" else (WRONG_B if n % 2 else WRONG_C) for title in questions]
        add_attempt(app, tenant, rows, learner, [*answers, ({"value": True}, 1.0)])
    with tenant_context(tenant, app):
        analysis.refresh(rows.quiz_id)
    return rows, f"/courses/{rows.course_id}/quizzes/{rows.quiz_id}/analysis"


def text_of(response):
    """The page's HTML with runs of whitespace as one space (templates break long lines)."""
    return " ".join(response.get_data(as_text=True).split())


def signed_in(app, tenant, email):
    page = Browser(app, tenant)
    page.sign_in(email)
    return page


def test_the_teacher_sees_figures_flags_chart_and_distractors(app, tenant, quiz_page):
    _rows, path = quiz_page

    response = signed_in(app, tenant, "teach@example.org").get(path)

    assert response.status_code == 200
    html = text_of(response)
    assert "Week 1 check" in html
    assert "6 attempts: each learner&#39;s first graded attempt." in html
    # Rivers and Mountains have the same figures: one point labelled with both. "Sky is blue" has no
    # discrimination figure: listed, not plotted.
    assert html.count('<g class="point') == 3
    assert ">Q2, Q3</text>" in html
    assert "everyone scored the same, or a single attempt): Q5." in html
    flags = re.findall(r'class="flag flag-(\w+)"', html)
    assert flags == ["negative_discrimination", "too_easy"]
    assert 'Paris<br><small class="key">Correct answer</small>' in html
    assert "<caption>Chart figures</caption>" in html


def test_the_options_come_back_as_a_fragment_for_htmx(app, tenant, quiz_page):
    _rows, path = quiz_page

    fragment = signed_in(app, tenant, "teach@example.org").get(
        f"{path}?attempts=all&by_version=1", headers={"HX-Request": "true"}
    )

    html = text_of(fragment)
    assert fragment.status_code == 200
    assert html.startswith('<div id="analysis-results">') and "<html" not in html
    assert "every graded attempt" in html and "Worked out just now." in html
    assert "Q1 v1" in html


def test_odd_options_fall_back_and_a_quiz_of_another_course_is_not_found(app, tenant, quiz_page, district):
    rows, path = quiz_page
    teacher = signed_in(app, tenant, "teach@example.org")

    assert teacher.get(f"{path}?attempts=last&by_version=maybe").status_code == 200
    other_course = district["courses"]["north"]
    assert teacher.get(f"/courses/{other_course}/quizzes/{rows.quiz_id}/analysis").status_code == 404
    assert teacher.get(f"/courses/{rows.course_id}/quizzes/{rows.quiz_id + 50}/analysis").status_code == 404


def test_a_branch_manager_sees_their_learners_and_a_learner_is_refused(app, tenant, quiz_page):
    _rows, path = quiz_page

    manager = text_of(signed_in(app, tenant, "boss@example.org").get(path))
    learner = signed_in(app, tenant, "south@example.org").get(path)

    assert "1 attempt: each learner&#39;s first graded attempt, of your branches' learners." in manager
    assert learner.status_code == 403


def test_a_quiz_nobody_finished_says_so(app, tenant, district):
    rows = make_quiz(
        app, tenant, [("Capital", QuestionKind.SINGLE, SINGLE_ABC, 1.0)], course_id=district["courses"]["everyone"]
    )
    make_user(app, tenant, "student")

    html = signed_in(app, tenant, "teach@example.org").get(f"/courses/{rows.course_id}/quizzes/{rows.quiz_id}/analysis")

    assert "No graded attempts yet" in text_of(html)


@pytest.mark.browser
@pytest.mark.parametrize("width, height", [(375, 812), (1280, 800)])
def test_the_page_fits_phone_and_desktop_and_passes_axe(app, tenant, quiz_page, live_server, browser, width, height):
    _rows, path = quiz_page

    page = open_signed_in(browser, live_server, tenant, "teach@example.org", path, width, height)
    try:
        assert layout_problems(page) == []
        assert accessibility_violations(page) == []
        if SCREENSHOTS:
            page.screenshot(path=os.path.join(SCREENSHOTS, f"analysis-{width}.png"), full_page=True)
        page.get_by_label("Every graded attempt").check()
        page.wait_for_url(re.compile(r"attempts=all"))
        assert page.locator("#analysis-results").get_by_text("every graded attempt").is_visible()
    finally:
        page.close()


def test_the_course_editor_links_each_quiz_to_its_item_analysis(app, tenant, quiz_page):
    rows, path = quiz_page

    editor = text_of(signed_in(app, tenant, "teach@example.org").get(f"/teach/{rows.course_id}"))

    assert f'Item analysis: <a href="{path}">Week 1 check</a>' in editor
