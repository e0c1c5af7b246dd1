"""Aiken import and export: single choice only, each bad question with its line, the rest still read."""

from hypothesis import given, settings
from hypothesis import strategies as st

from blueprints.assessments.formats import aiken_skip_reason, export_aiken, parse_aiken
from blueprints.assessments.formats.parsed import ParsedQuestion
from blueprints.assessments.grading import grade
from blueprints.assessments.models import QuestionKind

TWO = """What is the correct answer to this question?
A. Is it this one?
B. Maybe this answer?
C. Possibly this one?
D. Must be this one!
ANSWER: D

Which LMS has the most quiz question types?
A) Tessera
B) A paper notebook
ANSWER: A
"""


def test_questions_with_dot_and_parenthesis_labels():
    result = parse_aiken(TWO)
    assert result.errors == []
    first, second = result.questions
    assert (first.line, first.kind, first.title) == (
        1,
        QuestionKind.SINGLE,
        "What is the correct answer to this question?",
    )
    assert first.stem_html == "What is the correct answer to this question?"
    assert first.spec == {
        "options": [
            {"id": "a", "text": "Is it this one?", "correct": False, "feedback": ""},
            {"id": "b", "text": "Maybe this answer?", "correct": False, "feedback": ""},
            {"id": "c", "text": "Possibly this one?", "correct": False, "feedback": ""},
            {"id": "d", "text": "Must be this one!", "correct": True, "feedback": ""},
        ]
    }
    assert grade(first.kind, first.spec, {"choice": "d"}).fraction == 1.0
    assert second.line == 8 and [o["correct"] for o in second.spec["options"]] == [True, False]


def test_no_blank_lines_a_lower_case_answer_and_a_stem_on_two_lines():
    text = "Is 1 < 2?\nA. yes\nB. no\nAnswer: a\nTwo-line\nquestion & more?\nA. x\nB. y\nANSWER:B"
    result = parse_aiken(text)
    assert result.errors == []
    assert [q.line for q in result.questions] == [1, 5]
    assert result.questions[0].stem_html == "Is 1 &lt; 2?"
    assert result.questions[1].stem_html == "Two-line<br>question &amp; more?"
    assert result.questions[1].spec["options"][1]["correct"] is True


def test_each_bad_question_has_its_line_and_the_others_are_read():
    text = "\n".join(
        [
            "Good?",  # 1
            "A. yes",  # 2
            "B. no",  # 3
            "ANSWER: A",  # 4
            "",
            "No answer line?",  # 6
            "A. yes",  # 7
            "B. no",  # 8
            "Next question right after",  # 9
            "A. yes",  # 10
            "B. no",  # 11
            "ANSWER: E",  # 12
            "",
            "A. an option first",  # 14
            "ANSWER: A",  # 15
            "One option only?",  # 16
            "A. alone",  # 17
            "ANSWER: A",  # 18
            "Twice?",  # 19
            "A. one",  # 20
            "A. again",  # 21
            "ANSWER: A",  # 22
            "Empty?",  # 23
            "A. one",  # 24
            "B)  ",  # 25
            "ANSWER: A",  # 26
            "Last good?",  # 27
            "A. yes",  # 28
            "B. no",  # 29
            "ANSWER: B",  # 30
            "Unfinished?",  # 31
            "A. yes",  # 32
        ]
    )
    result = parse_aiken(text)
    assert [(error.line, error.message) for error in result.errors] == [
        (6, "The question has no “ANSWER: X” line after its options."),
        (12, "ANSWER says “E”, but the options are A to B: give one of their letters."),
        (14, "Option A comes before any question text: start with the question."),
        (15, "An ANSWER line with no question above it."),
        (16, "A question needs at least two options (A. …, B. …) before its ANSWER line."),
        (21, "Option A appears twice."),
        (25, "Option B has no text."),
        (31, "The question has no “ANSWER: X” line after its options."),
    ]
    assert [(q.line, q.title) for q in result.questions] == [(1, "Good?"), (27, "Last good?")]


def test_an_empty_answer_letter_is_explained():
    result = parse_aiken("Q?\nA. a\nB. b\nANSWER:")
    assert result.errors[0].message == "ANSWER says nothing, but the options are A to B: give one of their letters."


def test_export_then_import_gives_the_same_single_choice_questions():
    first = parse_aiken(TWO).questions
    again = parse_aiken(export_aiken(first))
    assert again.errors == []
    assert [(q.kind, q.title, q.stem_html, q.spec) for q in again.questions] == [
        (q.kind, q.title, q.stem_html, q.spec) for q in first
    ]


def test_export_flattens_html_and_leaves_out_what_aiken_cannot_hold():
    single = ParsedQuestion(
        1,
        QuestionKind.SINGLE,
        "T",
        "<p>Is <strong>this</strong></p><p>fine &amp; good?</p>",
        {"options": [{"id": "x", "text": "yes\nreally", "correct": False}, {"id": "y", "text": "no", "correct": True}]},
    )
    multiple = ParsedQuestion(1, QuestionKind.MULTIPLE, "M", "M?", {"options": [], "scoring": "partial"})
    looks_like_option = ParsedQuestion(
        1, QuestionKind.SINGLE, "L", "A. trick", {"options": [{"id": "a", "text": "x", "correct": True}] * 2}
    )
    assert aiken_skip_reason(multiple) == "Aiken holds only single-choice questions"
    assert aiken_skip_reason(looks_like_option) == "its text starts like an Aiken option or ANSWER line"
    text = export_aiken([single, multiple, looks_like_option])
    assert text == "Is this fine & good?\nA. yes really\nB. no\nANSWER: B\n"
    assert parse_aiken(text).questions[0].spec["options"][1]["correct"] is True


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("AB.) :\nANSWERxyz")), max_size=80))
def test_any_text_parses_without_raising(text):
    result = parse_aiken(text)
    assert all(error.line >= 1 and error.message for error in result.errors)
