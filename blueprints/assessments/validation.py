"""Whether a question's content is one the grader can use: every kind's `spec` (docs/assessments.md), its
title, stem and points, with every size bounded.

`check_question` never raises on what a form, an API body or an imported file gives it: it answers
`{field: [messages]}`, empty when the question is valid. Field names point into the spec the way the API
details do: `spec.options`, `spec.answers[1].text` (list positions count from 0).
"""

import json
import math
import re

import regex

from blueprints.assessments.grading import BLANK, normalise_text
from blueprints.assessments.models import QuestionKind

TITLE_MAX = 200
STEM_MAX = 60_000  # characters of HTML before sanitising; rich_text bounds the stored size again
TEXT_MAX = 1_000  # an option, an item, a prompt, an accepted answer
FEEDBACK_MAX = 2_000
GRADER_INFO_MAX = 5_000
REGEX_MAX = 300  # a longer pattern is more than an accepted answer needs, and slower to run
MAX_CHOICES = 50  # options, items, pairs, answers, blanks, distractors
MAX_WORDS = 100_000
MAX_POINTS = 1_000
SPEC_MAX_BYTES = 100_000
ID_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,20}$")  # what a blank placeholder `[[id]]` can name
MATCHES = ("exact", "case_insensitive", "regex")
SCORINGS = ("partial", "all_or_nothing")
TOLERANCE_KINDS = ("absolute", "relative")
NOT_JSON = "Only text, numbers, true/false, lists and objects (no NaN or infinity)."


class Problems:
    """Collects messages per field."""

    def __init__(self):
        self.by_field = {}

    def add(self, field, message):
        self.by_field.setdefault(field, []).append(message)


def is_number(value):
    """A finite JSON number (not true/false); an integer too large for a float is none."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:
        return False


def _text(problems, field, value, *, required=True, limit=TEXT_MAX, what="This"):
    if value is None and not required:
        return
    if not isinstance(value, str):
        problems.add(field, "Must be text.")
    elif required and not value.strip():
        problems.add(field, f"{what} cannot be empty.")
    elif len(value) > limit:
        problems.add(field, f"At most {limit} characters.")


def _list(problems, spec, key, *, minimum, noun):
    """The list `spec[key]` of dicts, or None after saying what is wrong with it."""
    values = spec.get(key)
    field = f"spec.{key}"
    if not isinstance(values, list):
        problems.add(field, f"Give a list of {noun}.")
        return None
    if len(values) < minimum:
        problems.add(field, f"Give at least {minimum} {noun}.")
        return None
    if len(values) > MAX_CHOICES:
        problems.add(field, f"At most {MAX_CHOICES} {noun}.")
        return None
    if not all(isinstance(value, dict) for value in values):
        problems.add(field, f"Each of the {noun} must be an object.")
        return None
    return values


def _ids(problems, key, entries):
    seen = set()
    for position, entry in enumerate(entries):
        field = f"spec.{key}[{position}].id"
        value = entry.get("id")
        if not isinstance(value, str) or not ID_PATTERN.match(value):
            problems.add(field, "An id is 1 to 20 letters, digits, `-` or `_`.")
        elif value in seen:
            problems.add(field, f"The id {value!r} is used twice.")
        else:
            seen.add(value)


def _scoring(problems, spec):
    if spec.get("scoring", "partial") not in SCORINGS:
        problems.add("spec.scoring", f"One of {', '.join(SCORINGS)}.")


def _fraction(problems, field, entry):
    """The entry's fraction (1 when absent), or None when it is not one."""
    fraction = entry.get("fraction", 1.0)
    if not is_number(fraction) or not 0 <= fraction <= 1:
        problems.add(field, "A fraction of the points between 0 and 1.")
        return None
    return fraction


def _feedback(problems, field, value):
    _text(problems, field, value, required=False, limit=FEEDBACK_MAX)


def _choices(problems, spec, kind):
    options = _list(problems, spec, "options", minimum=2, noun="options")
    if options is None:
        return
    _ids(problems, "options", options)
    for position, option in enumerate(options):
        _text(problems, f"spec.options[{position}].text", option.get("text"), what="An option")
        if not isinstance(option.get("correct", False), bool):
            problems.add(f"spec.options[{position}].correct", "true or false.")
        _feedback(problems, f"spec.options[{position}].feedback", option.get("feedback"))
    correct = sum(1 for option in options if option.get("correct") is True)
    if kind == QuestionKind.SINGLE and correct != 1:
        problems.add("spec.options", f"Mark exactly one option correct ({correct} are).")
    if kind == QuestionKind.MULTIPLE:
        if correct == 0:
            problems.add("spec.options", "Mark at least one option correct.")
        _scoring(problems, spec)


def _true_false(problems, spec):
    if not isinstance(spec.get("answer"), bool):
        problems.add("spec.answer", "Say whether the statement is true or false.")
    for key in ("feedback_true", "feedback_false"):
        _feedback(problems, f"spec.{key}", spec.get(key))


def _text_answers(problems, key, answers, *, feedback=True):
    """Accepted text answers (short answer, a blank): match kinds, regexes that compile, a full-credit one."""
    full_credit = False
    for position, answer in enumerate(answers):
        field = f"{key}[{position}]"
        match = answer.get("match", "exact")
        if match not in MATCHES:
            problems.add(f"{field}.match", f"One of {', '.join(MATCHES)}.")
        text = answer.get("text")
        if match == "regex":
            _text(problems, f"{field}.text", text, limit=REGEX_MAX, what="A pattern")
            if isinstance(text, str) and text.strip() and len(text) <= REGEX_MAX:
                try:
                    regex.compile(text)
                except (regex.error, RecursionError, OverflowError, ValueError) as error:
                    problems.add(f"{field}.text", f"Not a valid regular expression: {error}.")
        else:
            _text(problems, f"{field}.text", text, what="An answer")
        fraction = _fraction(problems, f"{field}.fraction", answer)
        full_credit = full_credit or fraction == 1
        if feedback:
            _feedback(problems, f"{field}.feedback", answer.get("feedback"))
    if answers and not full_credit:
        problems.add(key, "At least one answer must earn full credit (fraction 1).")


def _short(problems, spec):
    answers = _list(problems, spec, "answers", minimum=1, noun="accepted answers")
    if answers is not None:
        _text_answers(problems, "spec.answers", answers)


def _numeric(problems, spec):
    answers = _list(problems, spec, "answers", minimum=1, noun="accepted answers")
    if answers is None:
        return
    full_credit = False
    for position, answer in enumerate(answers):
        field = f"spec.answers[{position}]"
        if not is_number(answer.get("value")):
            problems.add(f"{field}.value", "A number.")
        tolerance = answer.get("tolerance", 0)
        if not is_number(tolerance) or tolerance < 0:
            problems.add(f"{field}.tolerance", "A number, 0 or more.")
        if answer.get("tolerance_kind", "absolute") not in TOLERANCE_KINDS:
            problems.add(f"{field}.tolerance_kind", f"One of {', '.join(TOLERANCE_KINDS)}.")
        full_credit = full_credit or _fraction(problems, f"{field}.fraction", answer) == 1
        _feedback(problems, f"{field}.feedback", answer.get("feedback"))
    if not full_credit:
        problems.add("spec.answers", "At least one answer must earn full credit (fraction 1).")


def _ordering(problems, spec):
    items = _list(problems, spec, "items", minimum=2, noun="items")
    if items is None:
        return
    _ids(problems, "items", items)
    for position, item in enumerate(items):
        _text(problems, f"spec.items[{position}].text", item.get("text"), what="An item")
    _scoring(problems, spec)


def _matching(problems, spec):
    pairs = _list(problems, spec, "pairs", minimum=2, noun="pairs")
    if pairs is None:
        return
    _ids(problems, "pairs", pairs)
    answers = set()
    for position, pair in enumerate(pairs):
        _text(problems, f"spec.pairs[{position}].prompt", pair.get("prompt"), what="A prompt")
        _text(problems, f"spec.pairs[{position}].answer", pair.get("answer"), what="An answer")
        answer = normalise_text(pair.get("answer")) if isinstance(pair.get("answer"), str) else None
        if answer and answer in answers:
            problems.add(f"spec.pairs[{position}].answer", "Each prompt needs its own answer; this one is used twice.")
        answers.add(answer)
    distractors = spec.get("distractors", [])
    if not isinstance(distractors, list) or len(distractors) > MAX_CHOICES:
        problems.add("spec.distractors", f"A list of at most {MAX_CHOICES} wrong answers.")
        return
    for position, distractor in enumerate(distractors):
        _text(problems, f"spec.distractors[{position}]", distractor, what="A wrong answer")
        if isinstance(distractor, str) and normalise_text(distractor) in answers:
            problems.add(f"spec.distractors[{position}]", "This is the right answer of a prompt.")
    _scoring(problems, spec)


def _blanks(problems, spec, stem_html):
    blanks = _list(problems, spec, "blanks", minimum=1, noun="blanks")
    if blanks is None:
        return
    _ids(problems, "blanks", blanks)
    for position, blank in enumerate(blanks):
        key = f"spec.blanks[{position}].answers"
        answers = blank.get("answers")
        if not isinstance(answers, list) or not answers or len(answers) > MAX_CHOICES:
            problems.add(key, f"Give 1 to {MAX_CHOICES} accepted answers.")
        elif not all(isinstance(answer, dict) for answer in answers):
            problems.add(key, "Each accepted answer must be an object.")
        else:
            _text_answers(problems, key, answers, feedback=False)
    if not isinstance(stem_html, str):
        return
    placeholders = BLANK.findall(stem_html)
    ids = [blank.get("id") for blank in blanks]
    for blank_id in sorted({p for p in placeholders if placeholders.count(p) > 1}):
        problems.add("stem_html", f"The blank [[{blank_id}]] appears more than once.")
    for blank_id in placeholders:
        if blank_id not in ids:
            problems.add("stem_html", f"[[{blank_id}]] is in the text but is no blank below.")
    for position, blank_id in enumerate(ids):
        if isinstance(blank_id, str) and blank_id not in placeholders:
            problems.add(f"spec.blanks[{position}].id", f"Put [[{blank_id}]] in the question text where it goes.")


def _essay(problems, spec):
    bounds = {}
    for key in ("min_words", "max_words"):
        value = spec.get(key)
        if value is None:
            continue
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_WORDS:
            problems.add(f"spec.{key}", f"A whole number from 0 to {MAX_WORDS}, or none.")
        else:
            bounds[key] = value
    if "min_words" in bounds and "max_words" in bounds and bounds["min_words"] > bounds["max_words"]:
        problems.add("spec.max_words", "At least the minimum.")
    _text(problems, "spec.grader_info", spec.get("grader_info"), required=False, limit=GRADER_INFO_MAX)


def _spec_size(spec, allow_nan=True):
    """Bytes of the spec as JSON; None when it holds what JSON cannot (or, unless allowed, NaN/infinity)."""
    try:
        return len(json.dumps(spec, allow_nan=allow_nan).encode())
    except (TypeError, ValueError, RecursionError):
        return None


def check_question(kind, title, stem_html, spec, default_points):
    """`{field: [messages]}` for what is wrong with this question; empty when it can be saved."""
    problems = Problems()
    if kind not in QuestionKind.ALL:
        problems.add("kind", f"One of {', '.join(QuestionKind.ALL)}.")
    _text(problems, "title", title, limit=TITLE_MAX, what="A title")
    _text(problems, "stem_html", stem_html, limit=STEM_MAX, what="The question text")
    if not is_number(default_points) or not 0 < default_points <= MAX_POINTS:
        problems.add("default_points", f"A number above 0, at most {MAX_POINTS}.")
    if not isinstance(spec, dict):
        problems.add("spec", "An object with the answer key.")
        return problems.by_field
    size = _spec_size(spec)
    if size is None:
        problems.add("spec", NOT_JSON)
        return problems.by_field
    if size > SPEC_MAX_BYTES:
        problems.add("spec", f"At most {SPEC_MAX_BYTES // 1000} KB.")
        return problems.by_field
    if kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE):
        _choices(problems, spec, kind)
    elif kind == QuestionKind.BLANKS:
        _blanks(problems, spec, stem_html)
    elif kind in SPEC_CHECKS:
        SPEC_CHECKS[kind](problems, spec)
    if not problems.by_field and _spec_size(spec, allow_nan=False) is None:  # a NaN where no check looked
        problems.add("spec", NOT_JSON)
    return problems.by_field


SPEC_CHECKS = {
    QuestionKind.TRUE_FALSE: _true_false,
    QuestionKind.SHORT: _short,
    QuestionKind.NUMERIC: _numeric,
    QuestionKind.ORDERING: _ordering,
    QuestionKind.MATCHING: _matching,
    QuestionKind.ESSAY: _essay,
}
