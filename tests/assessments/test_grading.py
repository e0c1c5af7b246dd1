"""Grading every question kind, and the learner's view that carries no key (pure functions, no app)."""

import json

import pytest

from blueprints.assessments.grading import correct_response, grade, public_view
from blueprints.assessments.models import QuestionKind

CHOICES = [
    {"id": "a", "text": "Paris", "correct": True, "feedback": "Yes, the capital."},
    {"id": "b", "text": "Lyon", "correct": False, "feedback": "Second city, not the capital."},
    {"id": "c", "text": "Nice", "correct": False},
]
MULTIPLE = {
    "options": [
        {"id": "a", "text": "2", "correct": True},
        {"id": "b", "text": "3", "correct": True},
        {"id": "c", "text": "4", "correct": False, "feedback": "4 = 2 x 2"},
        {"id": "d", "text": "9", "correct": False},
    ],
    "scoring": "partial",
}
SPECS = {
    QuestionKind.SINGLE: {"options": CHOICES},
    QuestionKind.MULTIPLE: MULTIPLE,
    QuestionKind.TRUE_FALSE: {"answer": False, "feedback_true": "The Earth is not flat.", "feedback_false": ""},
    QuestionKind.SHORT: {
        "answers": [
            {"text": "photosynthesis", "match": "case_insensitive", "fraction": 1.0},
            {"text": "photo.*", "match": "regex", "fraction": 0.5, "feedback": "Spell it out."},
        ]
    },
    QuestionKind.NUMERIC: {
        "answers": [
            {"value": 3.1416, "tolerance": 0.001, "tolerance_kind": "absolute", "fraction": 1.0},
            {"value": 3.0, "tolerance": 0.05, "tolerance_kind": "relative", "fraction": 0.5},
        ]
    },
    QuestionKind.ORDERING: {
        "items": [{"id": "w", "text": "Mercury"}, {"id": "x", "text": "Venus"}, {"id": "y", "text": "Earth"}],
        "scoring": "partial",
    },
    QuestionKind.MATCHING: {
        "pairs": [
            {"id": "p1", "prompt": "France", "answer": "Paris"},
            {"id": "p2", "prompt": "Spain", "answer": "Madrid"},
        ],
        "distractors": ["Lisbon"],
        "scoring": "partial",
    },
    QuestionKind.BLANKS: {
        "blanks": [
            {"id": "1", "answers": [{"text": "H2O", "match": "exact", "fraction": 1.0}]},
            {"id": "2", "answers": [{"text": "oxygen", "match": "case_insensitive", "fraction": 1.0}]},
        ]
    },
    QuestionKind.ESSAY: {"min_words": 10, "max_words": 200, "grader_info": "Look for the causes of the war."},
}


@pytest.mark.parametrize(
    ("kind", "response", "fraction"),
    [
        (QuestionKind.SINGLE, {"choice": "a"}, 1.0),
        (QuestionKind.SINGLE, {"choice": "b"}, 0.0),
        (QuestionKind.SINGLE, {"choice": "zzz"}, 0.0),
        (QuestionKind.MULTIPLE, {"choices": ["a", "b"]}, 1.0),
        (QuestionKind.MULTIPLE, {"choices": ["a"]}, 0.5),
        (QuestionKind.MULTIPLE, {"choices": ["a", "c"]}, 0.0),  # +1/2 - 1/2
        (QuestionKind.MULTIPLE, {"choices": ["a", "b", "c"]}, 0.5),
        (QuestionKind.MULTIPLE, {"choices": ["c", "d"]}, 0.0),  # floored at 0
        (QuestionKind.TRUE_FALSE, {"value": False}, 1.0),
        (QuestionKind.TRUE_FALSE, {"value": True}, 0.0),
        (QuestionKind.TRUE_FALSE, {"value": "false"}, 0.0),  # a string is not a boolean
        (QuestionKind.SHORT, {"text": "  PhotoSynthesis "}, 1.0),
        (QuestionKind.SHORT, {"text": "photons"}, 0.5),  # the regex must match the whole answer
        (QuestionKind.SHORT, {"text": "a photo"}, 0.0),
        (QuestionKind.NUMERIC, {"value": "3.1419"}, 1.0),
        (QuestionKind.NUMERIC, {"value": "3,142"}, 1.0),  # a decimal comma
        (QuestionKind.NUMERIC, {"value": "3.14"}, 0.5),  # within 5 % of 3
        (QuestionKind.NUMERIC, {"value": "2.80"}, 0.0),
        (QuestionKind.NUMERIC, {"value": "pi"}, 0.0),
        (QuestionKind.NUMERIC, {"value": "nan"}, 0.0),
        (QuestionKind.ORDERING, {"order": ["w", "x", "y"]}, 1.0),
        (QuestionKind.ORDERING, {"order": ["w", "y", "x"]}, pytest.approx(1 / 3)),
        (QuestionKind.MATCHING, {"matches": {"p1": "Paris", "p2": "Lisbon"}}, 0.5),
        (QuestionKind.MATCHING, {"matches": {"p1": "Paris", "p2": "Madrid"}}, 1.0),
        (QuestionKind.BLANKS, {"blanks": {"1": "H2O", "2": "OXYGEN"}}, 1.0),
        (QuestionKind.BLANKS, {"blanks": {"1": "h2o", "2": "oxygen"}}, 0.5),  # the first blank is exact
    ],
)
def test_each_kind_is_graded_as_a_teacher_would(kind, response, fraction):
    assert grade(kind, SPECS[kind], response).fraction == fraction


def test_all_or_nothing_scoring_gives_no_partial_credit():
    spec = dict(MULTIPLE, scoring="all_or_nothing")
    assert grade(QuestionKind.MULTIPLE, spec, {"choices": ["a"]}).fraction == 0.0
    assert grade(QuestionKind.MULTIPLE, spec, {"choices": ["b", "a"]}).fraction == 1.0
    ordering = dict(SPECS[QuestionKind.ORDERING], scoring="all_or_nothing")
    assert grade(QuestionKind.ORDERING, ordering, {"order": ["w", "y", "x"]}).fraction == 0.0


def test_essays_wait_for_a_person_and_empty_or_malformed_answers_score_zero():
    assert grade(QuestionKind.ESSAY, SPECS[QuestionKind.ESSAY], {"text": "A long answer"}).fraction is None
    for kind in QuestionKind.ALL:
        if kind == QuestionKind.ESSAY:
            continue
        assert grade(kind, SPECS[kind], {}).fraction == 0.0
        assert grade(kind, SPECS[kind], None).fraction == 0.0
    assert grade(QuestionKind.MULTIPLE, MULTIPLE, {"choices": 7}).fraction == 0.0  # not a list: no crash


def test_the_feedback_of_what_was_chosen_comes_back():
    assert grade(QuestionKind.SINGLE, SPECS[QuestionKind.SINGLE], {"choice": "b"}).feedback == [
        "Second city, not the capital."
    ]
    assert grade(QuestionKind.SHORT, SPECS[QuestionKind.SHORT], {"text": "photons"}).feedback == ["Spell it out."]


def test_a_runaway_regex_gives_no_credit_instead_of_hanging():
    spec = {"answers": [{"text": "(a|aa)+$", "match": "regex", "fraction": 1.0}]}
    assert grade(QuestionKind.SHORT, spec, {"text": "a" * 5000 + "b"}).fraction == 0.0


@pytest.mark.parametrize("kind", [kind for kind in QuestionKind.ALL if kind != QuestionKind.ESSAY])
def test_the_key_earns_full_marks(kind):
    assert grade(kind, SPECS[kind], correct_response(kind, SPECS[kind])).fraction == 1.0


@pytest.mark.parametrize("kind", QuestionKind.ALL)
def test_the_learners_view_carries_no_key_and_no_feedback(kind):
    view = json.dumps(public_view(kind, SPECS[kind], seed=42))
    for secret in ('"correct"', '"fraction"', '"feedback', '"answer"', "grader_info", "causes of the war"):
        assert secret not in view
    if kind == QuestionKind.MATCHING:  # the answers are offered, but not which prompt they belong to
        assert '"p1"' in view and "Paris" in view
        assert public_view(kind, SPECS[kind], seed=42)["prompts"][0] == {"id": "p1", "text": "France"}


def test_shuffles_are_fixed_by_the_seed_and_never_give_the_order_away():
    options = [{"id": str(n), "text": f"Option {n}", "correct": n == 0} for n in range(8)]
    first = public_view(QuestionKind.SINGLE, {"options": options}, seed=7)
    assert first == public_view(QuestionKind.SINGLE, {"options": options}, seed=7)
    assert first != public_view(QuestionKind.SINGLE, {"options": options}, seed=8)
    unshuffled = public_view(QuestionKind.SINGLE, {"options": options}, seed=7, shuffle_options=False)
    assert [option["id"] for option in unshuffled["options"]] == [str(n) for n in range(8)]
    two = {"items": [{"id": "a", "text": "1"}, {"id": "b", "text": "2"}]}
    for seed in range(20):
        assert [item["id"] for item in public_view(QuestionKind.ORDERING, two, seed)["items"]] == ["b", "a"]
