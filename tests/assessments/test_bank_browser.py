"""The question editor in a real Chromium, on a phone and a desktop: the learner's view follows what the
teacher types (htmx), options are added without a page load, a tried answer is graded, and the bank's pages
fit the screen with no serious WCAG 2.2 AA violation. `SCREENSHOT_DIR=...` keeps a PNG of each."""

import os

import pytest

from blueprints.assessments import bank
from tests.conftest import make_user
from tests.support.browser import accessibility_violations, layout_problems, open_signed_in
from tests.support.questions import acting_as, create

pytestmark = pytest.mark.browser
SIZES = [(375, 812), (1280, 800)]


def _look(page, name, width):
    # Measured once the page has its stylesheets: a layout forced while app.css was still on its way (a busy
    # machine, right after a click) had no scrolling table wrapper and measured the page 16 px too wide.
    page.wait_for_load_state("load")
    if os.environ.get("SCREENSHOT_DIR"):
        page.screenshot(path=os.path.join(os.environ["SCREENSHOT_DIR"], f"bank-{name}-{width}.png"), full_page=True)
    assert layout_problems(page) == [], name
    assert accessibility_violations(page) == [], name


@pytest.mark.parametrize(("width", "height"), SIZES)
def test_a_teacher_writes_a_question_and_watches_the_learners_view(
    app, api, tenant, live_server, browser, width, height
):
    make_user(app, tenant, "teacher", email="writer@example.org")
    with acting_as(app, tenant, "admin@example.org") as admin:
        create(admin, None, "matching", "Capitals of Europe, matched", tags=["geography", "europe"])
        create(admin, None, "numeric", "Pi", tags=["maths"])
    page = open_signed_in(browser, live_server, tenant, "writer@example.org", "/questions", width, height)
    _look(page, "organization-bank", width)
    page.goto(f"http://{tenant.slug}.localhost:{live_server}/questions/new?kind=multiple_choice")
    page.fill("#q-title", "Primes")
    page.locator("trix-editor").first.type("Which of these are prime?")
    # the editor writes its field a frame later; a person moves on after that (a busy machine may not have)
    page.wait_for_function("document.querySelector('input[name=stem_html]').value.includes('prime')")
    page.fill("#opt-0-text", "2")
    page.check("input[name=opt-0-correct]")
    page.fill("#opt-1-text", "4")
    page.fill("#opt-2-text", "7")
    page.get_by_role("button", name="Add an option").click()
    page.wait_for_selector("#opt-3-text")
    assert page.input_value("#opt-2-text") == "7"  # the rows typed so far stay
    page.fill("#opt-3-text", "9")
    page.check("input[name=opt-2-correct]")
    preview = page.locator("#preview")
    preview.get_by_text("Which of these are prime?").wait_for()
    preview.get_by_label("9").wait_for()
    assert "correct" not in preview.inner_html()
    preview.get_by_label("2", exact=True).check()
    preview.get_by_label("9").check()
    page.wait_for_selector("#preview .try-result")
    assert "0.0 %" in preview.inner_text()  # one right (+1/2), one wrong (-1/2): partial credit, floored at 0
    _look(page, "editor-multiple-choice", width)
    page.get_by_role("button", name="Save question").click()
    page.wait_for_selector("text=Question saved.")
    assert page.input_value("#opt-3-text") == "9"
    _look(page, "editor-saved", width)
    page.get_by_role("link", name="Versions (1)").click()
    page.wait_for_url("**/versions")
    _look(page, "versions", width)


@pytest.mark.parametrize(("width", "height"), SIZES)
def test_a_blanks_accepted_answers_show_their_credit_and_a_new_one_comes_without_a_page_load(
    app, api, tenant, live_server, browser, width, height
):
    make_user(app, tenant, "teacher", email="writer@example.org")
    with acting_as(app, tenant, "writer@example.org") as writer:
        spec = {
            "blanks": [
                {
                    "id": "1",
                    "answers": [
                        {"text": "rose", "match": "case_insensitive", "fraction": 1.0},
                        {"text": "flower", "match": "exact", "fraction": 0.3333333},
                    ],
                }
            ]
        }
        question_id = bank.create_question(
            None, "fill_blanks", "Roses", "<p>The [[1]] is red.</p>", spec, actor=writer
        ).id
    page = open_signed_in(browser, live_server, tenant, "writer@example.org", "/questions", width, height)
    for name in ("Import questions (GIFT, Aiken)", "GIFT", "Aiken"):
        assert page.get_by_role("link", name=name, exact=True).is_visible()
    page.goto(f"http://{tenant.slug}.localhost:{live_server}/questions/{question_id}")
    assert page.input_value("#blank-0-ans-1-credit") == "33.3333"
    assert page.input_value("#blank-0-ans-1-match") == "exact"
    page.get_by_role("button", name="Add an accepted answer to blank 1").click()
    page.wait_for_selector("#blank-0-ans-2-text")
    assert page.input_value("#blank-0-ans-1-text") == "flower"  # the rows typed so far stay
    page.fill("#blank-0-ans-2-text", "bloom")
    _look(page, "editor-fill-blanks", width)
