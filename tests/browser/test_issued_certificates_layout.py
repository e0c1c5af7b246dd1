"""The staff's issued certificates list at 375 px: the search field says what it searches in a visible label, and
its placeholder is not cut (it was "Holder's na")."""

import pytest

from tests.support.browser import layout_problems, open_signed_in
from tests.support.certificate_rows import make_certificate
from tests.support.quizzes import make_classroom

pytestmark = pytest.mark.browser

# Each visible field's placeholder against the room inside the field, measured in the field's own font.
CUT_PLACEHOLDERS_JS = """() => {
  const context = document.createElement("canvas").getContext("2d");
  const cut = [];
  for (const input of document.querySelectorAll("main input[placeholder]")) {
    if (!input.offsetWidth) continue;
    const style = getComputedStyle(input);
    context.font = `${style.fontStyle} ${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
    const room = input.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
    if (context.measureText(input.placeholder).width > room) cut.push(input.placeholder);
  }
  return cut;
}"""


def test_the_search_field_has_a_label_and_a_whole_placeholder_on_a_phone(browser, live_server, app, api, tenant):
    classroom = make_classroom(app, api, tenant)
    make_certificate(app, tenant, classroom.course_id, classroom.ids["learner"], pdf=b"%PDF-x")
    path = f"/courses/{classroom.course_id}/certificates"
    page = open_signed_in(browser, live_server, tenant, "quizmaster@example.org", path, 375, 812)
    search = page.get_by_label("Name or code")
    assert search.get_attribute("type") == "search" and search.is_visible()
    assert page.evaluate(CUT_PLACEHOLDERS_JS) == []
    assert layout_problems(page) == []
    page.close()
