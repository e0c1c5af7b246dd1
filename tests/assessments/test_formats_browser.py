"""The import page in Chromium, on a phone and a desktop: upload, the report by line, confirm; no overflow and
no WCAG 2.2 AA violation on the pages a POST renders (the crawler only sees the empty form)."""

import pytest

from tests.conftest import make_user, user_token
from tests.support.browser import accessibility_violations, layout_problems, open_signed_in
from tests.support.courses import make_course
from tests.support.formats import GOOD_AND_BAD_GIFT, questions_in

pytestmark = pytest.mark.browser


@pytest.mark.parametrize(("width", "height"), [(375, 812), (1280, 800)])
def test_upload_check_and_import_only_the_valid_ones(app, tenant, api, browser, live_server, tmp_path, width, height):
    teacher_id = make_user(app, tenant, "teacher", email="teacher@example.org")
    course_id, _ = make_course(api(tenant, user_token(app, tenant, teacher_id, "teacher")), items=1)
    quiz = tmp_path / "week1.gift.txt"
    quiz.write_text(GOOD_AND_BAD_GIFT)
    page = open_signed_in(
        browser, live_server, tenant, "teacher@example.org", f"/courses/{course_id}/questions/import", width, height
    )
    page.set_input_files("input[type=file]", str(quiz))
    page.get_by_role("button", name="Check", exact=True).click()
    page.wait_for_selector("#report-heading")
    lines = page.locator("h3:text-is('Questions that cannot be imported') + .table-wrap tbody td:first-child")
    assert lines.all_inner_texts() == ["11", "13"]
    assert layout_problems(page) == [] and accessibility_violations(page) == []
    page.get_by_label("Import only the valid questions").check()
    page.get_by_role("button", name="Import 4 questions").click()
    page.wait_for_selector("#imported-heading")
    assert page.locator("#imported-heading").inner_text() == "4 questions imported"
    assert layout_problems(page) == [] and accessibility_violations(page) == []
    assert [title for _, title, _, _ in questions_in(app, tenant, course_id)] == [
        "Capital",
        "Rivers",
        "The sun is a star.",
        "Pi to two decimals?",
    ]
    page.context.close()
