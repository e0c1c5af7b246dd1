"""GIFT import and export: every kind Moodle documents, the teacher's errors with their lines, round trips."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from blueprints.assessments.formats import ExportedQuestion, ParsedQuestion, export_gift, gift_skip_reason, parse_gift
from blueprints.assessments.grading import grade
from blueprints.assessments.models import QuestionKind


def only(text):
    """The one question of a GIFT text that must parse cleanly."""
    result = parse_gift(text)
    assert result.errors == [], result.errors
    assert len(result.questions) == 1, result.questions
    return result.questions[0]


def error_of(text):
    result = parse_gift(text)
    assert result.questions == [], result.questions
    assert len(result.errors) == 1, result.errors
    return result.errors[0]


def option_texts(question, correct):
    return [option["text"] for option in question.spec["options"] if option["correct"] is correct]


# --- each kind -------------------------------------------------------------------------------------------


def test_single_choice_with_feedback_and_general_feedback():
    question = only("::Capital::What is the capital of France?{=Paris#Right! ~London#No, UK ~Berlin####Since 508.}")
    assert question.kind == QuestionKind.SINGLE
    assert question.title == "Capital"
    assert question.stem_html == "What is the capital of France?"
    assert question.spec == {
        "options": [
            {"id": "a", "text": "Paris", "correct": True, "feedback": "Right!"},
            {"id": "b", "text": "London", "correct": False, "feedback": "No, UK"},
            {"id": "c", "text": "Berlin", "correct": False, "feedback": ""},
        ]
    }
    assert question.general_feedback_html == "Since 508."
    assert question.default_points == 1.0
    assert grade(question.kind, question.spec, {"choice": "a"}).fraction == 1.0


def test_answers_on_their_own_lines_like_moodle_exports():
    question = only("Which planet is red?\n{\n\t=Mars\n\t~Venus\n\t~Jupiter\n}")
    assert option_texts(question, True) == ["Mars"]
    assert option_texts(question, False) == ["Venus", "Jupiter"]


def test_weights_that_add_up_to_100_make_multiple_choice_with_partial_scoring():
    question = only("Which are primes?{~%50%2 ~%50%3 ~%-100%4 ~%-100%9}")
    assert question.kind == QuestionKind.MULTIPLE
    assert question.spec["scoring"] == "partial"
    assert option_texts(question, True) == ["2", "3"]
    assert grade(question.kind, question.spec, {"choices": ["a", "b"]}).fraction == 1.0
    assert grade(question.kind, question.spec, {"choices": ["a"]}).fraction == 0.5


def test_a_third_each_is_accepted_as_100_percent():
    question = only("Pick the vowels{~%33.33333%a ~%33.33333%e ~%33.33333%i ~%-100%k}")
    assert question.kind == QuestionKind.MULTIPLE
    assert option_texts(question, True) == ["a", "e", "i"]


def test_one_answer_weighted_100_without_equals_is_single_choice():
    question = only("Best fruit?{~%100%Apple ~Pear ~%0%Plum}")
    assert question.kind == QuestionKind.SINGLE
    assert option_texts(question, True) == ["Apple"]


def test_unequal_weights_are_kept_as_right_answers_with_a_warning():
    result = parse_gift("\n\nPick two{~%70%a ~%30%b ~c}")
    assert result.errors == []
    assert result.questions[0].kind == QuestionKind.MULTIPLE
    assert [warning.line for warning in result.warnings] == [3]
    assert "70%, 30%" in result.warnings[0].message and "same share" in result.warnings[0].message


def test_true_false_every_spelling_and_its_two_feedbacks():
    for written, answer in (("T", True), ("TRUE", True), ("F", False), ("FALSE", False), ("true", True)):
        question = only(f"The sun is a star.{{{written}}}")
        assert question.kind == QuestionKind.TRUE_FALSE
        assert question.spec["answer"] is answer
    question = only("The sun is a star.{TRUE#It is, look up.#Yes!}")
    # Moodle: the first feedback is for the wrong answer, the second for the right one.
    assert question.spec == {"answer": True, "feedback_true": "Yes!", "feedback_false": "It is, look up."}
    question = only("The moon is a star.{F#It reflects light.#Right.}")
    assert question.spec == {"answer": False, "feedback_true": "It reflects light.", "feedback_false": "Right."}
    assert grade(question.kind, question.spec, {"value": True}).feedback == ["It reflects light."]


def test_short_answer_with_several_answers_and_weights():
    question = only("Who's buried in Grant's tomb?{=no one =nobody =%50%Grant#Half: his wife too.}")
    assert question.kind == QuestionKind.SHORT
    assert question.spec["answers"] == [
        {"text": "no one", "match": "case_insensitive", "fraction": 1.0, "feedback": ""},
        {"text": "nobody", "match": "case_insensitive", "fraction": 1.0, "feedback": ""},
        {"text": "Grant", "match": "case_insensitive", "fraction": 0.5, "feedback": "Half: his wife too."},
    ]
    assert grade(question.kind, question.spec, {"text": "No One"}).fraction == 1.0


def test_numeric_with_margin_range_and_several_answers():
    question = only("When was Grant born?{#1822:5}")
    assert question.kind == QuestionKind.NUMERIC
    assert question.spec["answers"] == [
        {"value": 1822.0, "tolerance": 5.0, "tolerance_kind": "absolute", "fraction": 1.0, "feedback": ""}
    ]
    question = only("A number from 1 to 5{#1..5}")
    assert question.spec["answers"][0] | {} == {
        "value": 3.0,
        "tolerance": 2.0,
        "tolerance_kind": "absolute",
        "fraction": 1.0,
        "feedback": "",
    }
    assert grade(question.kind, question.spec, {"value": "5"}).fraction == 1.0
    assert grade(question.kind, question.spec, {"value": "5.1"}).fraction == 0.0
    question = only("Pi to 3 decimals?{#\n=3.142:0.0005#Exactly\n=%50%3.14:0.005#Close enough\n}")
    assert [(a["value"], a["tolerance"], a["fraction"], a["feedback"]) for a in question.spec["answers"]] == [
        (3.142, 0.0005, 1.0, "Exactly"),
        (3.14, 0.005, 0.5, "Close enough"),
    ]
    assert grade(question.kind, question.spec, {"value": "3,141"}).fraction == 0.5
    assert only("Temperature?{#-40..-30}").spec["answers"][0]["value"] == -35.0


def test_numeric_catch_all_feedback_is_not_kept_and_says_so():
    result = parse_gift("Pi?{#3.14:0.01 ~#Look it up}")
    assert result.errors == [] and len(result.questions) == 1
    assert "(~#…) is not kept" in result.warnings[0].message


def test_matching_with_an_extra_answer():
    question = only("Match the capitals.{=Canada -> Ottawa =Italy -> Rome =Japan -> Tokyo = -> Paris}")
    assert question.kind == QuestionKind.MATCHING
    assert question.spec == {
        "pairs": [
            {"id": "a", "prompt": "Canada", "answer": "Ottawa"},
            {"id": "b", "prompt": "Italy", "answer": "Rome"},
            {"id": "c", "prompt": "Japan", "answer": "Tokyo"},
        ],
        "distractors": ["Paris"],
        "scoring": "partial",
    }


def test_missing_word_with_typed_answers_is_one_blank():
    question = only("The capital of France is {=Paris =paris} and always was.")
    assert question.kind == QuestionKind.BLANKS
    assert question.stem_html == "The capital of France is [[1]] and always was."
    assert question.spec == {
        "blanks": [
            {
                "id": "1",
                "answers": [
                    {"text": "Paris", "match": "case_insensitive", "fraction": 1.0},
                    {"text": "paris", "match": "case_insensitive", "fraction": 1.0},
                ],
            }
        ]
    }
    assert question.title == "The capital of France is ___ and always was."
    assert grade(question.kind, question.spec, {"blanks": {"1": "PARIS"}}).fraction == 1.0


def test_missing_word_with_choices_stays_a_choice_with_the_gap_shown():
    question = only("Grant is {~buried =entombed ~living} in Grant's tomb.")
    assert question.kind == QuestionKind.SINGLE
    assert question.stem_html == "Grant is _____ in Grant's tomb."
    assert option_texts(question, True) == ["entombed"]


def test_essay_with_general_feedback():
    question = only("Write a short biography of Dag Hammarskjöld.{####A good one names his Nobel prize.}")
    assert question.kind == QuestionKind.ESSAY
    assert question.spec == {"min_words": None, "max_words": None, "grader_info": ""}
    assert question.general_feedback_html == "A good one names his Nobel prize."
    assert only("Describe your day.{}").kind == QuestionKind.ESSAY


# --- text: titles, comments, escapes, formats, categories ------------------------------------------------


def test_comments_are_skipped_and_a_title_is_made_from_a_long_stem():
    stem = "Which of these rivers is the longest one that flows entirely within the borders of one single country?"
    question = only(f"// from last year's exam\n{stem}\n// a note inside\n{{=Yangtze ~Volga}}")
    assert question.line == 2
    assert question.title.endswith("…") and len(question.title) == 80
    assert question.stem_html == stem


def test_escaped_special_characters_are_text():
    question = only(r"::Sets\: basics::Is \{1\} \= \{1\}? a\~b \#1 C:\\temp{=yes\: of course#see \# 3 ~no}")
    assert question.title == "Sets: basics"
    assert question.stem_html == r"Is {1} = {1}? a~b #1 C:\temp"
    assert question.spec["options"][0] == {"id": "a", "text": "yes: of course", "correct": True, "feedback": "see # 3"}


def test_text_formats():
    html = only("[html]<p>Is <strong>this</strong> <script>alert(1)</script>bold?</p>{T}")
    assert html.stem_html == "<p>Is <strong>this</strong> bold?</p>"  # sanitised like lessons
    plain = only("[plain]Is 3 < 4 & <b>?{T}")
    assert plain.stem_html == "Is 3 &lt; 4 &amp; &lt;b&gt;?"
    markdown = only("[markdown]Is **this** bold?{T}")
    assert markdown.stem_html == "<p>Is <strong>this</strong> bold?</p>"
    moodle = only("First line\nsecond line{T}")
    assert moodle.stem_html == "First line<br>second line"
    newline = only(r"[plain]Line\nnext{T}")
    assert newline.stem_html == "Line<br>next"


def test_general_feedback_takes_the_stem_format():
    question = only("[markdown]Is it?{T####**Yes**, it is.}")
    assert question.general_feedback_html == "<p><strong>Yes</strong>, it is.</p>"


def test_html_option_text_keeps_its_words():
    question = only("Pick{=[html]<b>bold</b> one ~[plain]<i>not</i>}")
    assert option_texts(question, True) == ["bold one"]
    assert option_texts(question, False) == ["<i>not</i>"]


def test_categories_become_tags_of_the_questions_that_follow():
    result = parse_gift(
        "$CATEGORY: $course$/top/Geography/Europe\n\nQ1{T}\n\nQ2{F}\n\n"
        "$CATEGORY: $course$/top\n\nQ3{T}\n\n$CATEGORY: Algebra\nQ4{T}\n"
    )
    assert result.errors == []
    assert [question.tags for question in result.questions] == [
        ["europe", "geography"],
        ["europe", "geography"],
        [],
        ["algebra"],
    ]


def test_moodle_tag_comments_add_to_the_category_tags():
    text = (
        "$CATEGORY: Algebra\n\n"
        "// question: 7  name: Sum\n// [id:Q7] [tag:Week 1] [tag:hard\\]]\n::Sum::1+1?{#2}\n\n"
        "Next{T}"
    )
    result = parse_gift(text)
    assert [question.tags for question in result.questions] == [["algebra", "hard]", "week 1"], ["algebra"]]


def test_moodles_own_default_categories_are_no_tags():
    result = parse_gift("$CATEGORY: $course$/top/Default for Algebra 101/Week 1\n\nQ{T}")
    assert result.questions[0].tags == ["week 1"]


def test_a_category_name_too_long_for_a_tag_is_cut_with_a_warning():
    result = parse_gift("$CATEGORY: " + "x" * 70 + "\n\nQ{T}")
    assert result.questions[0].tags == ["x" * 60]
    assert result.warnings[0].line == 1


# --- errors: a line and a reason, and the next question still read ------------------------------------------


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("Just a statement.", 1, "No answers"),
        ("Open {=a ~b", 1, "not closed with }"),
        ("Closed =a ~b}", 1, "never opened"),
        ("::Title without end Q{T}", 1, "not closed with ::"),
        ("Q1 {=a ~b}\nQ2 {=c ~d}", 2, "put a blank line between two questions"),
        ("Q {=a {~b}", 1, "second {"),
        ("Q{=a =b ~c}", 1, "both marked = (right)"),
        ("Q{=a ~%50%b ~c}", 1, "no partial credit"),
        ("Q{~%50%a ~%40%b ~c}", 1, "add up to 90%, not 100%"),
        ("Q{~a ~b ~c}", 1, "No answer is right"),
        ("Q{=only}x", 1, None),  # a valid missing word: checked below
        ("Q{~%abc%a =b}", 1, "not a percentage"),
        ("Q{~%150%a ~%-50%b}", 1, "-100% to 100%"),
        ("Q{~a}", 1, "at least two answers"),
        ("Q{x =a ~b}", 1, "Text before the first answer"),
        ("Q{=a ~}", 1, "Answer 2 has no text"),
        ("Q{#abc}", 1, "“abc” is not a number"),
        ("Q{#5..1}", 1, "goes down"),
        ("Q{#5:-1}", 1, "margin of answer 1 is negative"),
        ("Q{#}", 1, "needs an answer after #"),
        ("Q{#=%0%5}", 1, "No answer earns credit"),
        ("Q{=Canada -> Ottawa =Italy}", 1, "Pair 2 has no ->"),
        ("Q{=Canada -> Ottawa = -> Rome}", 1, "at least two pairs"),
        ("Q{=Canada -> Ottawa =Italy -> }", 1, "nothing after ->"),
        ("{=a ~b}", 1, "has no text"),
        ("::" + "t" * 201 + "::Q{T}", 1, "longer than 200"),
    ],
)
def test_bad_question_gives_its_line_and_a_reason(text, line, words):
    if words is None:
        assert only(text).kind == QuestionKind.BLANKS
        return
    error = error_of(text)
    assert error.line == line
    assert words in error.message


def test_errors_point_at_the_line_of_the_problem_and_the_next_questions_are_read():
    text = "\n".join(
        [
            "// quiz 3",  # 1
            "Good one{T}",  # 2
            "",  # 3
            "::Bad::Which?{",  # 4
            "  =a",  # 5
            "  ~%oops%b",  # 6
            "}",  # 7
            "",  # 8
            "Unclosed {=x",  # 9
            "",  # 10
            "",  # 11
            "Also good{F}",  # 12
            "",
            "Numbers{#",  # 14
            "// a comment line keeps the count",  # 15
            "=1..2",  # 16
            "=%50%zz",  # 17
            "}",
            "",
            "Last good{=yes}",  # 20
        ]
    )
    result = parse_gift(text)
    assert [(error.line, error.message.split(":")[0][:30]) for error in result.errors] == [
        (6, "The weight of answer 2 is not "),
        (9, "The answers opened with { are "),
        (17, "“zz” is not a number"),
    ]
    assert [(question.line, question.title) for question in result.questions] == [
        (2, "Good one"),
        (12, "Also good"),
        (20, "Last good"),
    ]


def test_a_file_with_nothing_in_it_has_no_questions_and_no_errors():
    for text in ("", "\n\n", "// only a comment\n", "\ufeff"):
        result = parse_gift(text)
        assert (result.questions, result.errors) == ([], [])


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab ~=#{}:\\%->.1\n/$TF[]")), max_size=80))
def test_any_text_parses_without_raising(text):
    result = parse_gift(text)
    for error in result.errors:
        assert 1 <= error.line <= max(1, text.count("\n") + 1) and error.message


# --- writing and round trips -----------------------------------------------------------------------------

SPECIAL = r"a ~tilde, = equals, # hash, {braces}, colon: and back\slash"
ROUND_TRIP = [
    ParsedQuestion(1, QuestionKind.SINGLE, "Capital: France", "What is the capital of <strong>France</strong>?\nThink.",
                   {"options": [{"id": "a", "text": "Paris", "correct": True, "feedback": "Yes " + SPECIAL},
                                {"id": "b", "text": SPECIAL, "correct": False, "feedback": ""},
                                {"id": "c", "text": "%50% of nothing", "correct": False, "feedback": ""}]},
                   "<p>Paris &amp; more</p>", 2.5, ["europe", "geography"]),
    ParsedQuestion(1, QuestionKind.MULTIPLE, "Primes", "Which are primes?",
                   {"options": [{"id": "a", "text": "2", "correct": True, "feedback": ""},
                                {"id": "b", "text": "3", "correct": True, "feedback": "odd"},
                                {"id": "c", "text": "5", "correct": True, "feedback": ""},
                                {"id": "d", "text": "4", "correct": False, "feedback": "even"}],
                    "scoring": "partial"}),
    ParsedQuestion(1, QuestionKind.MULTIPLE, "All right only", "Pick the both",
                   {"options": [{"id": "a", "text": "x", "correct": True, "feedback": ""},
                                {"id": "b", "text": "y", "correct": True, "feedback": ""}],
                    "scoring": "all_or_nothing"}, tags=["europe", "geography"]),
    ParsedQuestion(1, QuestionKind.TRUE_FALSE, "Sun", "The sun is a star.",
                   {"answer": True, "feedback_true": "Yes", "feedback_false": SPECIAL}),
    ParsedQuestion(1, QuestionKind.TRUE_FALSE, "Moon", "The moon is a star.",
                   {"answer": False, "feedback_true": "", "feedback_false": "Right"}),
    ParsedQuestion(1, QuestionKind.TRUE_FALSE, "Plain", "Water is wet.",
                   {"answer": True, "feedback_true": "", "feedback_false": ""}, "It is.", tags=["science"]),
    ParsedQuestion(1, QuestionKind.SHORT, "Tomb", "Who is buried in Grant's tomb?",
                   {"answers": [{"text": "no one", "match": "case_insensitive", "fraction": 1.0, "feedback": ""},
                                {"text": "Gr(a|e)nt", "match": "regex", "fraction": 0.5, "feedback": "half"},
                                {"text": "%100", "match": "exact", "fraction": 1.0, "feedback": ""}]}),
    ParsedQuestion(1, QuestionKind.NUMERIC, "Pi", "Pi?",
                   {"answers": [{"value": 3.14159, "tolerance": 0.0005, "tolerance_kind": "absolute", "fraction": 1.0,
                                 "feedback": "exact"},
                                {"value": -3.0, "tolerance": 1e-07, "tolerance_kind": "absolute", "fraction": 0.25,
                                 "feedback": "sign: wrong"}]}),
    ParsedQuestion(1, QuestionKind.MATCHING, "Capitals", "Match them.",
                   {"pairs": [{"id": "a", "prompt": "Canada", "answer": "Ottawa"},
                              {"id": "b", "prompt": SPECIAL, "answer": "x -> y"}],
                    "distractors": ["Paris", "Rome"], "scoring": "all_or_nothing"}, default_points=3.0),
    ParsedQuestion(1, QuestionKind.BLANKS, "Gap", "<p>The capital is [[1]] &amp; more.</p>",
                   {"blanks": [{"id": "1", "answers": [
                       {"text": "Paris", "match": "exact", "fraction": 1.0},
                       {"text": "paris", "match": "case_insensitive", "fraction": 0.5}]}]}),
    ParsedQuestion(1, QuestionKind.BLANKS, "Gap at the end", "The capital of France is [[1]]",
                   {"blanks": [{"id": "1", "answers": [
                       {"text": "Paris", "match": "case_insensitive", "fraction": 1.0}]}]}),
    ParsedQuestion(1, QuestionKind.ESSAY, "Essay", "Write about [[your]] day.",
                   {"min_words": 50, "max_words": 300, "grader_info": "Look for:\n- a plan"}, "<p>Thanks</p>"),
    ParsedQuestion(1, QuestionKind.ESSAY, "Essay plain", "[Draft] Write.",
                   {"min_words": None, "max_words": None, "grader_info": ""}),
]  # fmt: skip


def comparable(question):
    return (
        question.kind,
        question.title,
        question.stem_html,
        question.spec,
        question.general_feedback_html,
        question.default_points,
        question.tags,
    )


def test_export_then_import_gives_the_same_questions_for_every_kind_gift_can_hold():
    text = export_gift(ROUND_TRIP)
    result = parse_gift(text)
    assert result.errors == [] and result.warnings == []
    assert [comparable(question) for question in result.questions] == [comparable(q) for q in ROUND_TRIP]


def test_an_imported_file_exports_and_imports_to_the_same_questions():
    moodle_file = (
        "$CATEGORY: $course$/top/Chemistry\n\n"
        "::Q1::[html]<p>Water is H<sub>2</sub>O</p>{T#No#Yes####<em>Good</em>}\n\n"
        "Pick{~%50%a#x ~%50%b ~%-50%c ~%-50%d}\n\n"
        "Number{#1..5}\n\n"
        "Gap: The {=sky =Sky#feedback is dropped} is blue.\n\n"
        "Essay{}\n"
    )
    first = parse_gift(moodle_file)
    assert first.errors == []
    again = parse_gift(export_gift(first.questions))
    assert again.errors == []
    assert [comparable(q) for q in again.questions] == [comparable(q) for q in first.questions]


class Row:
    def __init__(self, **fields):
        self.__dict__.update(fields)


def stored(question_id, kind, spec, stem="Stem?", title="T"):
    """A (question, version, tags) triple shaped like the models, as the export service passes it."""
    question = Row(id=question_id, kind=kind, title=title)
    version = Row(stem_html=stem, spec=spec, general_feedback_html="", default_points=1.0)
    return (question, version, ["b-tag", "a-tag"])


def test_export_of_stored_questions_names_what_gift_cannot_hold():
    ordering = stored(
        7, QuestionKind.ORDERING, {"items": [{"id": "x", "text": "1"}], "scoring": "partial"}, title="Order"
    )
    two_blanks = stored(
        8,
        QuestionKind.BLANKS,
        {"blanks": [{"id": "p", "answers": [{"text": "a", "match": "exact", "fraction": 1}]},
                    {"id": "q", "answers": [{"text": "b", "match": "exact", "fraction": 1}]}]},
        stem="[[p]] and [[q]]",
        title="Two gaps",
    )  # fmt: skip
    single = stored(
        9,
        QuestionKind.SINGLE,
        {"options": [{"id": "x7", "text": "yes", "correct": True}, {"id": "y2", "text": "no", "correct": False}]},
    )
    assert gift_skip_reason(ordering) == "ordering questions have no GIFT form"
    assert "this one has 2" in gift_skip_reason(two_blanks)
    assert gift_skip_reason(single) is None
    text = export_gift([ordering, two_blanks, single])
    assert "// skipped: Order: ordering questions have no GIFT form" in text
    assert "// skipped: Two gaps: GIFT holds one blank per question" in text
    assert "// question: 9  name: T" in text
    result = parse_gift(text)
    assert result.errors == []
    assert [(q.kind, q.tags) for q in result.questions] == [(QuestionKind.SINGLE, ["a-tag", "b-tag"])]
    assert result.questions[0].spec["options"][0]["text"] == "yes"


def test_a_relative_margin_is_written_as_the_same_absolute_one():
    relative = stored(
        3,
        QuestionKind.NUMERIC,
        {"answers": [{"value": 200.0, "tolerance": 0.05, "tolerance_kind": "relative", "fraction": 1.0}]},
    )
    question = parse_gift(export_gift([relative])).questions[0]
    assert question.spec["answers"][0]["tolerance"] == 10.0
    for said in ("190", "210", "189.9", "211"):
        expected = grade(QuestionKind.NUMERIC, relative[1].spec, {"value": said}).fraction
        assert grade(question.kind, question.spec, {"value": said}).fraction == expected


def test_a_blank_with_another_id_is_written_and_read_back_as_blank_1():
    gap = stored(
        4,
        QuestionKind.BLANKS,
        {"blanks": [{"id": "city", "answers": [{"text": "Paris", "match": "exact", "fraction": 1}]}]},
        stem="The capital is [[city]].",
    )
    question = parse_gift(export_gift([gap])).questions[0]
    assert question.stem_html == "The capital is [[1]]."
    assert question.spec["blanks"][0]["answers"][0]["text"] == "Paris"


def test_exported_question_reads_parsed_and_stored_questions_alike():
    parsed = ROUND_TRIP[0]
    assert ExportedQuestion.of(parsed).stem_html == parsed.stem_html
    exported = ExportedQuestion.of(stored(1, QuestionKind.ESSAY, {}))
    assert (exported.id, exported.tags) == (1, ["a-tag", "b-tag"])
