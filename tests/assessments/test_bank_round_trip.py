"""The page editor holds every field of every kind's answer key: a question made through the API (or a GIFT
file) with every optional field set, opened and saved unchanged on the page, keeps its spec and gets no new
version; a fill-in-the-blanks answer's credit and match mode are the teacher's to see and change."""

from html.parser import HTMLParser

import pytest

from blueprints.assessments.models import QuestionKind
from tests.support.browser import Browser

TEACHER = "teach@example.org"
THIRD = 0.3333333  # what a GIFT file's %33.33333% becomes: more digits than the page shows

FULL_SPECS = {
    "single_choice": {
        "options": [
            {"id": "a", "text": "Paris", "correct": True, "feedback": "Yes."},
            {"id": "b", "text": "Lyon", "correct": False, "feedback": "A city, not the capital."},
            {"id": "x9", "text": "Nice & <sunny>", "correct": False, "feedback": 'On the coast "south".'},
        ]
    },
    "multiple_choice": {
        "options": [
            {"id": "a", "text": "2", "correct": True, "feedback": "Prime."},
            {"id": "b", "text": "3", "correct": True, "feedback": "Prime too."},
            {"id": "c", "text": "4", "correct": False, "feedback": "2 times 2."},
        ],
        "scoring": "all_or_nothing",
    },
    "true_false": {"answer": False, "feedback_true": "Not at altitude.", "feedback_false": "Right: it depends."},
    "short_answer": {
        "answers": [
            {"text": "Jupiter", "match": "exact", "fraction": 1.0, "feedback": "Right."},
            {"text": "jupiter", "match": "case_insensitive", "fraction": 0.75, "feedback": "Capital J."},
            {"text": "J[uo]p[iy]ter", "match": "regex", "fraction": THIRD, "feedback": "Spelling."},
        ]
    },
    "numeric": {
        "answers": [
            {"value": 3.14159, "tolerance": 0.001, "tolerance_kind": "absolute", "fraction": 1.0, "feedback": "Yes."},
            {"value": 3, "tolerance": 0.05, "tolerance_kind": "relative", "fraction": THIRD, "feedback": "Near."},
            {"value": 1e-07, "tolerance": 0, "tolerance_kind": "absolute", "fraction": 0.0, "feedback": "No."},
        ]
    },
    "ordering": {
        "items": [{"id": "a", "text": "Mouse"}, {"id": "b", "text": "Dog"}, {"id": "c", "text": "Horse"}],
        "scoring": "all_or_nothing",
    },
    "matching": {
        "pairs": [
            {"id": "p1", "prompt": "France", "answer": "Paris"},
            {"id": "p2", "prompt": "Italy", "answer": "Rome"},
        ],
        "distractors": ["Madrid", "Lisbon"],
        "scoring": "all_or_nothing",
    },
    "fill_blanks": {
        "blanks": [
            {
                "id": "1",
                "answers": [
                    {"text": "rose", "match": "case_insensitive", "fraction": 1.0},
                    {"text": "flower", "match": "exact", "fraction": THIRD},
                ],
            },
            {
                "id": "sky",
                "answers": [
                    {"text": "sk(y|ies)", "match": "regex", "fraction": 1.0},
                    {"text": "heaven", "match": "case_insensitive", "fraction": 0.5},
                ],
            },
        ]
    },
    "essay": {"min_words": 20, "max_words": 300, "grader_info": "Mention light.\nAnd water: 1 mark."},
}
STEMS = {"fill_blanks": "<p>The [[1]] is red and the [[sky]] is blue.</p>"}

# the same questions with every optional field left out: the page sends its defaults, which change nothing
BARE_SPECS = {
    "multiple_choice": {"options": [{"id": "a", "text": "2", "correct": True}, {"id": "b", "text": "4"}]},
    "short_answer": {"answers": [{"text": "Jupiter"}]},
    "numeric": {"answers": [{"value": 3.14}]},
    "ordering": {"items": [{"id": "a", "text": "Mouse"}, {"id": "b", "text": "Dog"}]},
    "matching": {
        "pairs": [{"id": "p1", "prompt": "France", "answer": "Paris"}, {"id": "p2", "prompt": "I", "answer": "R"}]
    },
    "fill_blanks": {"blanks": [{"id": "1", "answers": [{"text": "rose"}]}]},
    "essay": {},
    "true_false": {"answer": True, "feedback_true": ""},
}
BARE_STEMS = {"fill_blanks": "<p>The [[1]] is red.</p>"}


class FormFields(HTMLParser):
    """What a browser would post from the question form as it is: inputs, ticked boxes, chosen options, text."""

    def __init__(self):
        super().__init__()
        self.fields, self._in_form, self._select, self._first_option, self._textarea = [], False, None, None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and attrs.get("id") == "question-form":
            self._in_form = True
        if not self._in_form:
            return
        if tag == "input" and attrs.get("name") and attrs.get("type", "text") not in ("file", "submit"):
            if attrs.get("type") not in ("checkbox", "radio") or "checked" in attrs:
                self.fields.append((attrs["name"], attrs.get("value", "")))
        elif tag == "select":
            self._select, self._first_option = attrs.get("name"), None
        elif tag == "option" and self._select:
            if self._first_option is None:
                self._first_option = attrs.get("value", "")
            if "selected" in attrs:
                self.fields.append((self._select, attrs.get("value", "")))
                self._select = None
        elif tag == "textarea":
            self._textarea = [attrs["name"], ""]

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea[1] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._in_form = False
        elif tag == "select" and self._select:
            self.fields.append((self._select, self._first_option))  # nothing chosen: the first
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            name, text = self._textarea
            self.fields.append((name, text[1:] if text.startswith("\n") else text))
            self._textarea = None


def form_of(page_html):
    parser = FormFields()
    parser.feed(page_html)
    return dict(parser.fields)


@pytest.fixture
def teacher_page(app, tenant, district):
    page = Browser(app, tenant)
    page.sign_in(TEACHER)
    return page


def made(district, kind, spec, stem=None):
    payload = {
        "course_id": district["courses"]["north"],
        "kind": kind,
        "title": f"Every field of {kind}",
        "stem_html": stem or STEMS.get(kind, "<p>A <strong>question</strong> of its kind?</p>"),
        "spec": spec,
        "tags": ["week 1", "round trip"],
        "general_feedback_html": "<p>See <em>chapter 2</em>.</p>",
        "default_points": 2.5,
    }
    response = district["teacher"].post("/api/v1/questions", json=payload)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["data"]


def stored(district, question_id):
    return district["teacher"].get(f"/api/v1/questions/{question_id}").get_json()["data"]


def save_unchanged(teacher_page, district, question_id):
    path = f"/courses/{district['courses']['north']}/questions/{question_id}"
    form = form_of(teacher_page.get(path).get_data(as_text=True))
    saved = teacher_page.post(path, form, csrf_from=path)
    assert saved.status_code == 302, saved.get_data(as_text=True)[:3000]
    return form


@pytest.mark.parametrize("kind", QuestionKind.ALL)
def test_every_field_survives_a_save_on_the_page_without_a_new_version(teacher_page, district, kind):
    question = made(district, kind, FULL_SPECS[kind])
    assert question["version"]["spec"] == FULL_SPECS[kind]  # the API keeps it as given
    save_unchanged(teacher_page, district, question["id"])
    after = stored(district, question["id"])
    assert after["current_version"] == 1
    assert after["version"]["spec"] == FULL_SPECS[kind]
    assert (after["title"], after["tags"]) == (question["title"], question["tags"])
    assert after["version"]["general_feedback_html"] == question["version"]["general_feedback_html"]
    assert after["version"]["default_points"] == 2.5


@pytest.mark.parametrize("kind", sorted(BARE_SPECS))
def test_optional_fields_left_out_are_not_changed_by_the_pages_defaults(teacher_page, district, kind):
    question = made(district, kind, BARE_SPECS[kind], BARE_STEMS.get(kind))
    save_unchanged(teacher_page, district, question["id"])
    after = stored(district, question["id"])
    assert (after["current_version"], after["version"]["spec"]) == (1, BARE_SPECS[kind])


def test_a_blanks_answers_show_their_credit_and_match_and_a_change_saves_only_that(teacher_page, district):
    question = made(district, "fill_blanks", FULL_SPECS["fill_blanks"])
    path = f"/courses/{district['courses']['north']}/questions/{question['id']}"
    page = teacher_page.get(path).get_data(as_text=True)
    form = form_of(page)
    assert form["blank-0-ans-1-text"] == "flower" and form["blank-0-ans-1-match"] == "exact"
    assert form["blank-0-ans-1-credit"] == "33.3333" and form["blank-1-ans-1-credit"] == "50"
    assert form["blank-1-ans-0-match"] == "regex" and form["blank-1-ans-0-credit"] == "100"
    assert 'for="blank-0-ans-1-credit"' in page and 'for="blank-1-ans-0-match"' in page
    changed = form | {"blank-1-ans-1-credit": "40", "blank-0-ans-0-match": "exact", "change_note": "Less for heaven"}
    assert teacher_page.post(path, changed, csrf_from=path).status_code == 302
    after = stored(district, question["id"])
    rose, flower = after["version"]["spec"]["blanks"][0]["answers"]
    sky, heaven = after["version"]["spec"]["blanks"][1]["answers"]
    assert after["current_version"] == 2
    assert (rose["match"], flower["fraction"], sky, heaven["fraction"]) == ("exact", THIRD, sky, 0.4)
    assert sky == FULL_SPECS["fill_blanks"]["blanks"][1]["answers"][0]


def test_a_blank_gets_and_loses_accepted_answers_on_the_page(teacher_page, district):
    north = district["courses"]["north"]
    path = f"/courses/{north}/questions/new?kind=fill_blanks"
    form = form_of(teacher_page.get(path).get_data(as_text=True))
    assert form["blank-0-rows"] == "1" and form["blank-0-ans-0-credit"] == "100"
    form |= {"title": "Roses", "stem_html": "<p>Roses are [[1]].</p>", "blank-0-ans-0-text": "red"}
    added = teacher_page.post(path, form | {"op": "add-answer:0"}, csrf_from=path).get_data(as_text=True)
    form = form_of(added)
    assert form["blank-0-rows"] == "2" and form["blank-0-ans-0-text"] == "red"
    form |= {"blank-0-ans-1-text": "crimson", "blank-0-ans-1-credit": "60"}
    removed = form_of(
        teacher_page.post(path, form | {"op": "remove-answer:0:0"}, csrf_from=path).get_data(as_text=True)
    )
    assert removed["blank-0-rows"] == "1" and removed["blank-0-ans-0-text"] == "crimson"
    assert removed["blank-0-ans-0-credit"] == "60"
    saved = teacher_page.post(path, form, csrf_from=path)
    assert saved.status_code == 302, saved.get_data(as_text=True)[:2000]
    question_id = int(saved.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    answers = stored(district, question_id)["version"]["spec"]["blanks"][0]["answers"]
    assert answers == [
        {"text": "red", "match": "case_insensitive", "fraction": 1.0},
        {"text": "crimson", "match": "case_insensitive", "fraction": 0.6},
    ]
