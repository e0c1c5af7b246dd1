"""What a question must be before it is saved: every kind's answer key checked, sizes bounded, never a crash."""

import pytest

from blueprints.assessments.grading import correct_response, grade
from blueprints.assessments.models import QuestionKind
from blueprints.assessments.validation import check_question
from tests.support.questions import sample


def check(kind, spec=None, stem=None, title="Q", points=1.0):
    sample_stem, sample_spec = sample(kind)
    return check_question(
        kind, title, sample_stem if stem is None else stem, sample_spec if spec is None else spec, points
    )


@pytest.mark.parametrize("kind", QuestionKind.ALL)
def test_the_sample_of_every_kind_is_valid_and_its_key_earns_full_marks(kind):
    assert check(kind) == {}
    _stem, spec = sample(kind)
    if kind != QuestionKind.ESSAY:
        assert grade(kind, spec, correct_response(kind, spec)).fraction == 1.0


@pytest.mark.parametrize(
    ("title", "stem", "points", "field"),
    [
        ("", "<p>x</p>", 1, "title"),
        ("   ", "<p>x</p>", 1, "title"),
        ("x" * 201, "<p>x</p>", 1, "title"),
        ("Q", "", 1, "stem_html"),
        ("Q", "x" * 60_001, 1, "stem_html"),
        ("Q", "<p>x</p>", 0, "default_points"),
        ("Q", "<p>x</p>", -1, "default_points"),
        ("Q", "<p>x</p>", float("nan"), "default_points"),
        ("Q", "<p>x</p>", float("inf"), "default_points"),
        ("Q", "<p>x</p>", "2", "default_points"),
        ("Q", "<p>x</p>", True, "default_points"),
        ("Q", "<p>x</p>", 1001, "default_points"),
        ("Q", "<p>x</p>", 10**400, "default_points"),
        (None, "<p>x</p>", 1, "title"),
    ],
)
def test_title_stem_and_points_are_checked(title, stem, points, field):
    assert field in check_question("true_false", title, stem, {"answer": True}, points)


def test_an_unknown_kind_and_a_spec_that_is_not_an_object_are_named():
    assert "kind" in check_question("poem", "Q", "<p>x</p>", {}, 1)
    assert check_question("true_false", "Q", "<p>x</p>", ["answer"], 1) == {"spec": ["An object with the answer key."]}
    assert "spec" in check_question("true_false", "Q", "<p>x</p>", {"answer": True, "x": float("nan")}, 1)


def test_a_huge_spec_is_refused_before_it_is_walked():
    spec = {"answer": True, "padding": "x" * 200_000}
    assert check_question("true_false", "Q", "<p>x</p>", spec, 1) == {"spec": ["At most 100 KB."]}


def test_single_choice_needs_exactly_one_correct_option():
    _, spec = sample("single_choice")
    spec["options"][1]["correct"] = True
    assert check("single_choice", spec) == {"spec.options": ["Mark exactly one option correct (2 are)."]}
    for option in spec["options"]:
        option["correct"] = False
    assert check("single_choice", spec) == {"spec.options": ["Mark exactly one option correct (0 are)."]}


def test_choice_options_need_unique_valid_ids_text_and_a_boolean_correct():
    _, spec = sample("single_choice")
    spec["options"][1]["id"] = "a"
    spec["options"][2]["id"] = "has space"
    spec["options"][2]["text"] = " "
    spec["options"][2]["correct"] = "yes"
    problems = check("single_choice", spec)
    assert problems["spec.options[1].id"] == ["The id 'a' is used twice."]
    assert "spec.options[2].id" in problems
    assert problems["spec.options[2].text"] == ["An option cannot be empty."]
    assert problems["spec.options[2].correct"] == ["true or false."]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (None, "Give a list of options."),
        ("a,b", "Give a list of options."),
        ([{"id": "a", "text": "x", "correct": True}], "Give at least 2 options."),
        ([{"id": f"o{n}", "text": "x", "correct": n == 0} for n in range(51)], "At most 50 options."),
        (["a", "b"], "Each of the options must be an object."),
    ],
)
def test_a_list_of_options_of_the_wrong_shape_or_size_is_named(options, message):
    assert check("single_choice", {"options": options}) == {"spec.options": [message]}


def test_multiple_choice_needs_a_correct_option_and_a_known_scoring():
    _, spec = sample("multiple_choice")
    for option in spec["options"]:
        option["correct"] = False
    spec["scoring"] = "generous"
    assert check("multiple_choice", spec) == {
        "spec.options": ["Mark at least one option correct."],
        "spec.scoring": ["One of partial, all_or_nothing."],
    }


def test_true_false_needs_a_boolean_answer_and_text_feedback():
    assert check("true_false", {"answer": "true"}) == {"spec.answer": ["Say whether the statement is true or false."]}
    assert check("true_false", {"answer": False, "feedback_true": 3}) == {"spec.feedback_true": ["Must be text."]}


def test_short_answer_regexes_compile_are_bounded_and_one_answer_earns_full_credit():
    _, spec = sample("short_answer")
    spec["answers"][1]["text"] = "J(upiter"
    problems = check("short_answer", spec)
    assert list(problems) == ["spec.answers[1].text"]
    assert problems["spec.answers[1].text"][0].startswith("Not a valid regular expression")
    spec["answers"][1]["text"] = "a" * 301
    assert check("short_answer", spec) == {"spec.answers[1].text": ["At most 300 characters."]}
    spec = {"answers": [{"text": "x", "fraction": 0.5}, {"text": "y", "match": "fuzzy", "fraction": 1.5}]}
    assert check("short_answer", spec) == {
        "spec.answers[1].match": ["One of exact, case_insensitive, regex."],
        "spec.answers[1].fraction": ["A fraction of the points between 0 and 1."],
        "spec.answers": ["At least one answer must earn full credit (fraction 1)."],
    }


def test_numeric_values_are_finite_and_tolerances_not_negative():
    spec = {
        "answers": [
            {"value": "3", "tolerance": -1, "fraction": 1},
            {"value": float("inf"), "tolerance_kind": "percent", "fraction": 1},
            {"value": 2, "tolerance": 0.1, "tolerance_kind": "relative"},
            {"value": 10**400, "fraction": 1},
        ]
    }
    problems = check("numeric", spec)
    assert problems == {
        "spec.answers[0].value": ["A number."],
        "spec.answers[0].tolerance": ["A number, 0 or more."],
        "spec.answers[1].value": ["A number."],
        "spec.answers[1].tolerance_kind": ["One of absolute, relative."],
        "spec.answers[3].value": ["A number."],
    }
    assert check("numeric", {"answers": [{"value": 1, "fraction": 0.2}]}) == {
        "spec.answers": ["At least one answer must earn full credit (fraction 1)."]
    }


def test_ordering_needs_two_items_with_unique_ids():
    assert check("ordering", {"items": [{"id": "a", "text": "one"}]}) == {"spec.items": ["Give at least 2 items."]}
    spec = {"items": [{"id": "a", "text": "one"}, {"id": "a", "text": ""}], "scoring": "some"}
    assert check("ordering", spec) == {
        "spec.items[1].id": ["The id 'a' is used twice."],
        "spec.items[1].text": ["An item cannot be empty."],
        "spec.scoring": ["One of partial, all_or_nothing."],
    }


def test_matching_needs_two_pairs_with_distinct_answers_and_distractors_that_are_wrong():
    _, spec = sample("matching")
    spec["pairs"][1]["answer"] = "Paris "
    spec["distractors"] = ["Rome", "", "Paris"]
    assert check("matching", spec) == {
        "spec.pairs[1].answer": ["Each prompt needs its own answer; this one is used twice."],
        "spec.distractors[1]": ["A wrong answer cannot be empty."],
        "spec.distractors[2]": ["This is the right answer of a prompt."],
    }
    assert check("matching", {"pairs": [{"id": "a", "prompt": "x", "answer": "y"}]}) == {
        "spec.pairs": ["Give at least 2 pairs."]
    }


def test_every_blank_is_in_the_text_once_and_every_placeholder_is_a_blank():
    stem, spec = sample("fill_blanks")
    assert check("fill_blanks", spec, stem="<p>The [[1]] is red, [[1]] again, and [[3]].</p>") == {
        "stem_html": ["The blank [[1]] appears more than once.", "[[3]] is in the text but is no blank below."],
        "spec.blanks[1].id": ["Put [[2]] in the question text where it goes."],
    }
    spec["blanks"][0]["answers"] = []
    spec["blanks"][1]["answers"] = [{"text": "(", "match": "regex"}]
    problems = check("fill_blanks", spec, stem=stem)
    assert problems["spec.blanks[0].answers"] == ["Give 1 to 50 accepted answers."]
    assert problems["spec.blanks[1].answers[0].text"][0].startswith("Not a valid regular expression")


def test_essay_word_limits_are_whole_numbers_in_order():
    assert check("essay", {"min_words": 50, "max_words": 10}) == {"spec.max_words": ["At least the minimum."]}
    assert check("essay", {"min_words": -1, "max_words": 2.5, "grader_info": 7}) == {
        "spec.min_words": ["A whole number from 0 to 100000, or none."],
        "spec.max_words": ["A whole number from 0 to 100000, or none."],
        "spec.grader_info": ["Must be text."],
    }
    assert check("essay", {}) == {}


@pytest.mark.parametrize("kind", QuestionKind.ALL)
@pytest.mark.parametrize("spec", [{}, {"options": {}}, {"answers": [None]}, {"items": "x"}, {"blanks": [{"id": 3}]}])
def test_any_shape_gives_messages_never_an_exception(kind, spec):
    problems = check(kind, spec)
    assert isinstance(problems, dict)
    assert all(isinstance(messages, list) and messages for messages in problems.values())
