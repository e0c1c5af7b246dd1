"""The analytics pages against real data delivered to the read model: each role sees its audience and nothing
else, the tiles and tables say what the API says, bad filters come back on the form (never a 500), and a
student sees only their own progress."""

import re
from datetime import UTC, datetime, timedelta
from html import unescape

import pytest

from app.tenancy.context import tenant_context
from blueprints.analytics import charts, readmodel
from blueprints.analytics.display import format_figure
from tests.support.analytics import age_since, signed_in
from tests.support.attempts import make_quiz
from tests.support.badges import take_quiz
from tests.support.browser import Browser
from tests.support.dashboards import crowded_organization, district_learning


@pytest.fixture
def picture(app, api, tenant, district):
    return district_learning(app, api, tenant, district)


def _page(app, tenant, email, path):
    browser = Browser(app, tenant)
    assert browser.sign_in(email).status_code in (200, 302)
    response = browser.get(path)
    return response.status_code, response.get_data(as_text=True)


def _tiles(html):
    """{figure: the tile's number as shown}."""
    found = re.findall(r'data-figure="(\w+)">.*?<span class="tile-value">([^<]*)</span>', html, re.S)
    return {key: unescape(value) for key, value in found}


def _learner_emails(html):
    return set(re.findall(r"<small>([^<@\s]+@example\.org)</small>", html))


def test_the_org_admins_tiles_say_what_the_api_overview_says(app, tenant, picture):
    status, html = _page(app, tenant, "admin@example.org", "/analytics")
    assert status == 200
    overview = picture.admin.get("/api/v1/analytics/overview").get_json()["data"]
    assert overview["learners"] == 3 and overview["seconds_spent"] == 180
    tiles = _tiles(html)
    for key, unit in (("learners", "count"), ("completion_rate", "percent"), ("average_progress", "percent"),
                      ("overdue", "count"), ("items_completed", "count"), ("seconds_spent", "duration"),
                      ("enrollments", "count"), ("average_score", "percent")):  # fmt: skip
        assert tiles[key] == format_figure(overview[key], unit), key
    assert tiles["active_learners"] == format_figure(overview["active_learners"]["period"])
    # every course the organization's learners take is in the course table, linked to its own page
    for course_id in (picture.courses["everyone"], picture.courses["north"], picture.courses["south"]):
        assert f'href="/analytics/courses/{course_id}"' in html
    assert "Safety for everyone" in html and "North" in html and "South" in html
    # the form sent as it stands (every field blank) is the default dashboard, not an error
    blank = "date_from=&date_to=&branch_id=&class_id=&course_id=&at_risk_days="
    status, html = _page(app, tenant, "admin@example.org", f"/analytics?{blank}")
    assert status == 200 and "aria-invalid" not in html and _tiles(html) == tiles
    # the date fields show the period the figures are for (the 30 days ending today), not blanks
    period = overview["period"]
    assert re.search(rf'id="filter-date_from" name="date_from" value="{period["date_from"]}"', html)
    assert re.search(rf'id="filter-date_to" name="date_to" value="{period["date_to"]}"', html)


def test_a_branch_manager_sees_the_people_of_their_branch_only(app, tenant, picture):
    status, html = _page(app, tenant, "boss@example.org", "/analytics/learners?figure=all")
    assert status == 200
    assert _learner_emails(html) == {"north@example.org", "nia@example.org"}
    status, html = _page(app, tenant, "boss@example.org", "/analytics")
    assert status == 200 and _tiles(html)["learners"] == "2"
    assert "South only" not in html  # neither a row nor a choice of the filter form
    assert f'<option value="{picture.branches["south"]}"' not in html
    assert _page(app, tenant, "boss@example.org", f"/analytics?branch_id={picture.branches['south']}")[0] == 404
    assert _page(app, tenant, "boss@example.org", f"/analytics/learners?class_id={picture.classes['south']}")[0] == 404


def test_the_drill_down_follows_the_figure_and_the_filters(app, tenant, picture):
    everyone = picture.courses["everyone"]
    status, html = _page(app, tenant, "admin@example.org", f"/analytics/learners?figure=completed&course_id={everyone}")
    assert status == 200 and _learner_emails(html) == set()  # one item of two: nobody completed Safety
    status, html = _page(app, tenant, "admin@example.org", f"/analytics/learners?figure=active&course_id={everyone}")
    assert _learner_emails(html) == {"north@example.org", "south@example.org", "nia@example.org"}  # enrolled today
    yesterday = (datetime.now(UTC).date() - timedelta(days=1)).isoformat()
    period = f"date_from={yesterday}&date_to={yesterday}&course_id={everyone}"
    assert (
        _learner_emails(_page(app, tenant, "admin@example.org", f"/analytics/learners?figure=active&{period}")[1])
        == set()
    )
    status, html = _page(app, tenant, "admin@example.org", f"/analytics/learners?figure=inactive&{period}")
    assert _learner_emails(html) == {"north@example.org", "south@example.org", "nia@example.org"}
    assert f'href="/people/{picture.nia}"' in html  # an org admin opens the person's page
    # a teacher (no people list) opens the learner's progress in the course the list is filtered on
    status, html = _page(app, tenant, "teach@example.org", f"/analytics/learners?course_id={everyone}")
    assert status == 200 and f'href="/teach/{everyone}/roster/{picture.nia}"' in html
    status, html = _page(app, tenant, "admin@example.org", "/analytics/learners?figure=nonsense&sort=password&page=x")
    assert status == 200 and "All learners" in html


@pytest.mark.parametrize(
    "query, field, message",
    [
        ("date_from=2026-13-01", "date_from", "Not a valid date"),
        ("date_from=2026-03-10&date_to=2026-03-01", "date_to", "Must not be before"),
        ("date_from=2024-01-01&date_to=2026-01-01", "date_from", "at most 366 days"),
        ("at_risk_days=0", "at_risk_days", "between 1 and 365"),
        ("branch_id=north", "branch_id", "Not a valid integer"),
    ],
)
def test_bad_filters_come_back_on_the_form(app, tenant, picture, query, field, message):
    status, html = _page(app, tenant, "admin@example.org", f"/analytics?{query}")
    assert status == 200
    # a field of its own is marked invalid; a list box has its message above the form's fields
    marked = rf'id="filter-{field}"[^>]*aria-invalid="true"' if field != "branch_id" else r'role="alert">Branch: '
    assert re.search(marked, html)
    assert message in html and _tiles(html)["learners"] == "3"  # the default period's figures still show


def test_a_course_page_shows_its_figures_to_its_staff_only(app, tenant, picture):
    everyone = picture.courses["everyone"]
    status, html = _page(app, tenant, "teach@example.org", f"/analytics/courses/{everyone}")
    assert status == 200 and "<h1>Safety for everyone</h1>" in html and f'href="/teach/{everyone}"' in html
    figures = picture.teacher.get(f"/api/v1/courses/{everyone}/analytics").get_json()["data"]
    assert _tiles(html)["learners"] == format_figure(figures["learners"]) == "3"
    assert _tiles(html)["seconds_spent"] == "3 min"
    assert "north 7" in html and "south 7" in html  # its classes
    # the course editor links to it
    assert f'href="/analytics/courses/{everyone}"' in _page(app, tenant, "teach@example.org", f"/teach/{everyone}")[1]
    # the branch manager sees the course with their branch's learners only
    status, html = _page(app, tenant, "boss@example.org", f"/analytics/courses/{everyone}")
    assert status == 200 and _tiles(html)["learners"] == "2"
    assert f'href="/teach/{everyone}"' not in html  # a course of the whole organization is not the manager's to edit
    assert _page(app, tenant, "north@example.org", f"/analytics/courses/{everyone}")[0] == 403


def test_a_student_sees_their_own_progress_and_no_dashboard(app, tenant, picture):
    status, html = _page(app, tenant, "north@example.org", "/learn/progress")
    assert status == 200
    assert "Safety for everyone" in html and "North only" in html and "South only" not in html
    tiles = _tiles(html)
    assert tiles["seconds_spent"] == "2 min" and tiles["courses"] == "2" and tiles["average_progress"] == "25.0 %"
    assert "My progress" in _page(app, tenant, "north@example.org", "/learn")[1]
    assert _page(app, tenant, "north@example.org", "/analytics")[0] == 403
    assert 'href="/analytics"' not in html  # no Analytics in a student's menu


def test_learners_at_risk_are_listed_with_their_reason_and_the_pager_answers_htmx(app, tenant, picture):
    age_since(app, tenant, datetime(2000, 1, 1), 20)  # everything happened 20 days ago
    with tenant_context(tenant, app):
        readmodel.rebuild()
    status, html = _page(app, tenant, "admin@example.org", "/analytics")
    assert status == 200 and _tiles(html)["at_risk"] == "6"  # enrollments: each of the three in two courses
    assert 'hx-get="/analytics/panels/at-risk" hx-trigger="load"' in html  # the page asks for its panel
    status, risk = _page(app, tenant, "admin@example.org", "/analytics/panels/at-risk")
    assert status == 200
    risk = risk[risk.index('id="risk-heading"') :]
    assert _learner_emails(risk) == {"north@example.org", "south@example.org", "nia@example.org"}
    assert risk.count('class="risk-reason risk-inactive"') == 3
    assert 'href="/analytics/learners?figure=at_risk"' in risk and "All 3 learners at risk" in risk
    # a wider window: nobody has been away that long
    assert _tiles(_page(app, tenant, "admin@example.org", "/analytics?at_risk_days=30")[1])["at_risk"] == "0"
    browser = Browser(app, tenant)
    browser.sign_in("admin@example.org")
    fragment = browser.get("/analytics/learners?figure=at_risk", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert fragment.lstrip().startswith('<section id="analytics-learners">') and "<html" not in fragment
    assert _learner_emails(fragment) == {"north@example.org", "south@example.org", "nia@example.org"}


def test_the_dashboard_asks_for_its_slower_panels_each_in_its_own_request(app, tenant, picture):
    status, html = _page(app, tenant, "admin@example.org", "/analytics?at_risk_days=30")
    assert status == 200 and 'id="performance-heading"' not in html and 'id="risk-heading"' not in html
    assert 'id="assessments-heading"' not in html
    for panel in ("performance", "quizzes", "at-risk"):
        assert f'hx-get="/analytics/panels/{panel}?at_risk_days=30" hx-trigger="load"' in html, panel
    browser = Browser(app, tenant)
    browser.sign_in("admin@example.org")
    fragment = browser.get("/analytics/panels/performance", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" not in fragment and 'id="branches-table"' in fragment
    assert "North" in fragment and "South" in fragment
    status, page = _page(app, tenant, "admin@example.org", "/analytics/panels/performance")  # without htmx: a page
    assert status == 200 and "<html" in page and 'id="branches-table"' in page
    status, panel = _page(app, tenant, "boss@example.org", "/analytics/panels/performance")
    assert status == 200 and "North" in panel and 'id="branches-table"' in panel
    assert _page(app, tenant, "north@example.org", "/analytics/panels/at-risk")[0] == 403


def test_the_quizzes_panel_shows_each_quiz_of_the_audience_with_its_course(app, tenant, picture):
    """Quizzes are a panel of the dashboard since session 16 (the page's first answer is quicker without them):
    each quiz its learners attempted in the period, with its course's title, for whoever sees those learners."""
    quiz_id = make_quiz(app, tenant, picture.courses["north"], title="Fire drill")
    take_quiz(picture.learners["north"], quiz_id, right=True)
    take_quiz(picture.learners["nia"], quiz_id, right=False)
    status, empty = _page(
        app, tenant, "admin@example.org", "/analytics/panels/quizzes?date_from=2000-01-01&date_to=2000-01-31"
    )
    assert status == 200 and "No quiz attempts in the period." in empty and 'id="quiz-table"' not in empty
    browser = Browser(app, tenant)
    browser.sign_in("admin@example.org")
    fragment = browser.get("/analytics/panels/quizzes", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" not in fragment and 'id="quiz-table"' in fragment
    row = unescape(re.search(r"<tr><th scope=\"row\">Fire drill</th>(.*?)</tr>", fragment, re.S).group(1))
    cells = re.findall(r"<td[^>]*>([^<]*)</td>", row)
    course_title = picture.admin.get(f"/api/v1/courses/{picture.courses['north']}").get_json()["data"]["title"]
    assert cells == [course_title, "2", "2", "50.0 %", "50.0 %"]
    status, manager = _page(app, tenant, "boss@example.org", "/analytics/panels/quizzes")  # North's manager
    assert status == 200 and "Fire drill" in manager
    assert _page(app, tenant, "south@example.org", "/analytics/panels/quizzes")[0] == 403


def _bar_chart(html, chart_id):
    """The bars of a chart as drawn: [(label, value as shown)], and its caption's text ('' when none)."""
    start = html.rindex('<figure class="chart bar-chart">', 0, html.index(f'id="{chart_id}-title"'))
    figure = html[start : html.index("</figure>", start)]
    bars = re.findall(r'<text class="bar-label"[^>]*>(.*?): <tspan class="bar-value">([^<]*)</tspan>', figure)
    caption = re.search(r'<figcaption class="chart-subset"[^>]*>(.*?)</figcaption>', figure, re.S)
    return [(unescape(label), unescape(value)) for label, value in bars], caption.group(1) if caption else ""


def _table_rows(html, table_id):
    start = html.index(f'id="{table_id}"')
    body = html[html.index("<tbody>", start) : html.index("</tbody>", start)]
    return [unescape(name) for name in re.findall(r'<th scope="row">(?:<a [^>]*>)?([^<]*)', body)]


def _lowest_rates(rows, count):
    rates = sorted(row["completion_rate"] for row in rows if row["completion_rate"] is not None)
    return [format_figure(rate, "percent") for rate in rates[:count]]


@pytest.fixture
def crowd(app, tenant):
    return crowded_organization(app, tenant)


def test_a_chart_of_more_rows_than_it_draws_shows_the_lowest_and_its_table_every_row(app, api, tenant, crowd):
    admin = signed_in(api, tenant, "admin@example.org")
    courses = admin.get("/api/v1/analytics/courses").get_json()["data"]["courses"]
    assert len(courses) == 16
    status, html = _page(app, tenant, "admin@example.org", "/analytics")
    assert status == 200
    bars, caption = _bar_chart(html, "course-chart")
    assert len(bars) == charts.BARS_SHOWN == 12
    assert [value for _label, value in bars] == _lowest_rates(courses, 12)  # the lowest, lowest first
    rate_of = {row["title"]: format_figure(row["completion_rate"], "percent") for row in courses}
    assert all(rate_of[label] == value for label, value in bars)
    assert "The 12 courses with the lowest completion rate, of 16." in caption
    assert '<a href="#course-table">Every course is in the table below.</a>' in caption
    assert "Completion rate per course: the 12 courses with the lowest completion rate, of 16</title>" in html
    assert _table_rows(html, "course-table") == [row["title"] for row in courses]  # every course, in its order

    status, panel = _page(app, tenant, "admin@example.org", "/analytics/panels/performance")
    classes = admin.get("/api/v1/analytics/performance").get_json()["data"]["classes"]
    assert status == 200 and len(classes) == 16
    bars, caption = _bar_chart(panel, "classes-chart")
    assert [value for _label, value in bars] == _lowest_rates(classes, 12)
    assert "The 12 classes with the lowest completion rate, of 16." in caption and 'href="#classes-table"' in caption
    assert _table_rows(panel, "classes-table") == [row["name"] for row in classes]
    bars, caption = _bar_chart(panel, "branches-chart")  # two branches: both drawn, in their order, as before
    assert [label for label, _value in bars] == _table_rows(panel, "branches-table") and len(bars) == 2
    assert caption == "" and "Completion rate per branch</title>" in panel

    # a course's page: its classes
    per_course = [admin.get(f"/api/v1/courses/{c}/analytics").get_json()["data"] for c in crowd.course_ids]
    figures = max(per_course, key=lambda course: len(course["classes"]))
    crowded = figures["course"]["id"]
    assert len(figures["classes"]) > 12
    status, html = _page(app, tenant, "admin@example.org", f"/analytics/courses/{crowded}")
    bars, caption = _bar_chart(html, "class-chart")
    assert [value for _label, value in bars] == _lowest_rates(figures["classes"], 12)
    assert f"The 12 classes with the lowest completion rate, of {len(figures['classes'])}." in caption
    assert _table_rows(html, "classes-table") == [row["name"] for row in figures["classes"]]
