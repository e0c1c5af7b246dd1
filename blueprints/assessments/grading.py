"""Grading a response against a question version's answer key, and the key-free view a learner gets.

Shapes of `spec` and `response` per kind: docs/assessments.md. Grading never raises on a learner's
response: a missing or malformed answer scores 0 (the save endpoints refuse malformed shapes earlier).
"""

import math
import random
import re
from dataclasses import dataclass, field

import regex

from blueprints.assessments.models import QuestionKind

REGEX_TIMEOUT_SECONDS = 0.05  # a teacher's pattern must not hang a worker on a learner's text
BLANK = re.compile(r"\[\[([A-Za-z0-9_-]{1,20})\]\]")


@dataclass
class Grade:
    fraction: float | None  # None: a person grades it (essays)
    feedback: list[str] = field(default_factory=list)


def normalise_text(text):
    """Trimmed, inner whitespace collapsed: how short answers and blanks compare."""
    return " ".join(str(text or "").split())


def text_matches(answer, given):
    wanted, given = normalise_text(answer.get("text", "")), normalise_text(given)
    match = answer.get("match", "exact")
    if match == "case_insensitive":
        return wanted.casefold() == given.casefold()
    if match == "regex":
        try:
            return regex.fullmatch(answer.get("text", ""), given, timeout=REGEX_TIMEOUT_SECONDS) is not None
        except (regex.error, TimeoutError):
            return False
    return wanted == given


def _best_text_answer(answers, given):
    best = None
    for answer in answers:
        if text_matches(answer, given) and (best is None or answer.get("fraction", 0) > best.get("fraction", 0)):
            best = answer
    return best


def parse_number(text):
    """The learner's spelling of a number: `3.5`, `3,5`, ` 1e3 `; None when it is not one."""
    if isinstance(text, bool):
        return None
    if isinstance(text, int | float):
        value = float(text)
    else:
        try:
            value = float(str(text).strip().replace(",", "."))
        except ValueError:
            return None
    return value if math.isfinite(value) else None


def numeric_matches(answer, value):
    target = float(answer["value"])
    tolerance = float(answer.get("tolerance", 0))
    if answer.get("tolerance_kind") == "relative":
        tolerance *= abs(target)
    return abs(value - target) <= tolerance + 1e-12


def _single(spec, response):
    chosen = response.get("choice")
    for option in spec["options"]:
        if option["id"] == chosen:
            return Grade(1.0 if option.get("correct") else 0.0, _said(option.get("feedback")))
    return Grade(0.0)


def _multiple(spec, response):
    chosen = set(response.get("choices") or [])
    options = spec["options"]
    correct = {option["id"] for option in options if option.get("correct")}
    wrong = {option["id"] for option in options} - correct
    feedback = [option["feedback"] for option in options if option["id"] in chosen and option.get("feedback")]
    if spec.get("scoring") == "all_or_nothing":
        return Grade(1.0 if chosen == correct else 0.0, feedback)
    earned = len(chosen & correct) / len(correct) if correct else 0.0
    lost = len(chosen & wrong) / len(wrong) if wrong else 0.0
    return Grade(max(0.0, earned - lost), feedback)


def _true_false(spec, response):
    value = response.get("value")
    if not isinstance(value, bool):
        return Grade(0.0)
    said = spec.get("feedback_true") if value else spec.get("feedback_false")
    return Grade(1.0 if value == bool(spec["answer"]) else 0.0, _said(said))


def _short(spec, response):
    best = _best_text_answer(spec["answers"], response.get("text", ""))
    if best is None:
        return Grade(0.0)
    return Grade(float(best.get("fraction", 1.0)), _said(best.get("feedback")))


def _numeric(spec, response):
    value = parse_number(response.get("value"))
    if value is None:
        return Grade(0.0)
    best = None
    for answer in spec["answers"]:
        if numeric_matches(answer, value) and (best is None or answer.get("fraction", 1.0) > best.get("fraction", 1.0)):
            best = answer
    if best is None:
        return Grade(0.0)
    return Grade(float(best.get("fraction", 1.0)), _said(best.get("feedback")))


def _ordering(spec, response):
    wanted = [item["id"] for item in spec["items"]]
    given = list(response.get("order") or [])
    right = sum(1 for position, item_id in enumerate(wanted) if position < len(given) and given[position] == item_id)
    if spec.get("scoring") == "all_or_nothing":
        return Grade(1.0 if given == wanted else 0.0)
    return Grade(right / len(wanted) if wanted else 0.0)


def _matching(spec, response):
    matches = response.get("matches") or {}
    pairs = spec["pairs"]
    right = sum(1 for pair in pairs if normalise_text(matches.get(pair["id"])) == normalise_text(pair["answer"]))
    if spec.get("scoring") == "all_or_nothing":
        return Grade(1.0 if right == len(pairs) else 0.0)
    return Grade(right / len(pairs) if pairs else 0.0)


def _blanks(spec, response):
    given = response.get("blanks") or {}
    blanks = spec["blanks"]
    fractions = []
    for blank in blanks:
        best = _best_text_answer(blank["answers"], given.get(blank["id"], ""))
        fractions.append(float(best.get("fraction", 1.0)) if best else 0.0)
    return Grade(sum(fractions) / len(fractions) if fractions else 0.0)


def _essay(_spec, _response):
    return Grade(None)


GRADERS = {
    QuestionKind.SINGLE: _single,
    QuestionKind.MULTIPLE: _multiple,
    QuestionKind.TRUE_FALSE: _true_false,
    QuestionKind.SHORT: _short,
    QuestionKind.NUMERIC: _numeric,
    QuestionKind.ORDERING: _ordering,
    QuestionKind.MATCHING: _matching,
    QuestionKind.BLANKS: _blanks,
    QuestionKind.ESSAY: _essay,
}


def _said(text):
    return [text] if text else []


def is_answered(response):
    """Whether a saved response says anything (an empty one scores 0 without being graded)."""
    if not isinstance(response, dict):
        return False
    return any(value not in (None, "", [], {}) for value in response.values())


def grade(kind, spec, response):
    """Grade(fraction in [0, 1] or None for a person, feedback lines for what the learner chose)."""
    if kind == QuestionKind.ESSAY:
        return Grade(None)
    if not is_answered(response):
        return Grade(0.0)
    try:
        result = GRADERS[kind](spec, response)
    except (TypeError, AttributeError, KeyError, ValueError):
        return Grade(0.0)  # a shape the save endpoint should have refused: no credit, never a crash
    result.fraction = min(1.0, max(0.0, result.fraction))
    return result


def _shuffled(values, seed, salt):
    ordered = list(values)
    random.Random(f"{seed}:{salt}").shuffle(ordered)  # noqa: S311 - a fixed, replayable order, not a secret
    return ordered


def _choices_view(spec, seed, shuffle_options):
    options = [{"id": option["id"], "text": option["text"]} for option in spec["options"]]
    return {"options": _shuffled(options, seed, "options") if shuffle_options else options}


def _ordering_view(spec, seed, _shuffle_options):
    items = [{"id": item["id"], "text": item["text"]} for item in spec["items"]]
    shuffled = _shuffled(items, seed, "ordering")
    if len(items) > 1 and shuffled == items:  # a shuffle that gives the answer away is no question
        shuffled = shuffled[1:] + shuffled[:1]
    return {"items": shuffled}


def _matching_view(spec, seed, _shuffle_options):
    answers = sorted({pair["answer"] for pair in spec["pairs"]} | set(spec.get("distractors") or []))
    return {
        "prompts": [{"id": pair["id"], "text": pair["prompt"]} for pair in spec["pairs"]],
        "answers": _shuffled(answers, seed, "matching"),
    }


PUBLIC_VIEWS = {
    QuestionKind.SINGLE: _choices_view,
    QuestionKind.MULTIPLE: _choices_view,
    QuestionKind.TRUE_FALSE: lambda _spec, _seed, _shuffle: {
        "options": [{"id": "true", "text": "True"}, {"id": "false", "text": "False"}]
    },
    QuestionKind.ORDERING: _ordering_view,
    QuestionKind.MATCHING: _matching_view,
    QuestionKind.BLANKS: lambda spec, _seed, _shuffle: {"blanks": [{"id": blank["id"]} for blank in spec["blanks"]]},
    QuestionKind.ESSAY: lambda spec, _seed, _shuffle: {
        "min_words": spec.get("min_words"),
        "max_words": spec.get("max_words"),
    },
}


def public_view(kind, spec, seed, shuffle_options=True):
    """What a learner may see of a question before review: no key, no feedback. Shuffles are fixed by the
    attempt's seed, so a reload shows the same order. Short answer and numeric: a text box, nothing to show."""
    view = PUBLIC_VIEWS.get(kind)
    return view(spec, seed, shuffle_options) if view else {}


def _best(answers):
    return max(answers, key=lambda answer: answer.get("fraction", 1.0))


CORRECT_RESPONSES = {
    QuestionKind.SINGLE: lambda spec: {
        "choice": next(option["id"] for option in spec["options"] if option.get("correct"))
    },
    QuestionKind.MULTIPLE: lambda spec: {
        "choices": [option["id"] for option in spec["options"] if option.get("correct")]
    },
    QuestionKind.TRUE_FALSE: lambda spec: {"value": bool(spec["answer"])},
    QuestionKind.SHORT: lambda spec: {"text": _best(spec["answers"])["text"]},  # a regex shows its pattern
    QuestionKind.NUMERIC: lambda spec: {"value": str(_best(spec["answers"])["value"])},
    QuestionKind.ORDERING: lambda spec: {"order": [item["id"] for item in spec["items"]]},
    QuestionKind.MATCHING: lambda spec: {"matches": {pair["id"]: pair["answer"] for pair in spec["pairs"]}},
    QuestionKind.BLANKS: lambda spec: {
        "blanks": {blank["id"]: _best(blank["answers"])["text"] for blank in spec["blanks"]}
    },
}


def correct_response(kind, spec):
    """A response that earns full marks (shown in review when the rules allow; used by tests and the demo).
    None for an essay, which has no key."""
    make = CORRECT_RESPONSES.get(kind)
    return make(spec) if make else None
