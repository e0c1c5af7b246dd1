"""The question editor's form: its fields turned into a question's content (`spec` as docs/assessments.md
has it), rows added and removed without JavaScript, and a sample response read from the preview's inputs.

Rows are numbered from 0 (`opt-0-text`, `ans-1-credit`, `blank-0-ans-1-text`, ...) like the validation's
field names (`spec.options[0].text`, `spec.blanks[0].answers[1].text`), so that each message lands next to its
input. Credits are typed in percent.

Saving a question unchanged on the page saves the same `spec` (no new version): a credit left as shown keeps
its exact stored fraction (a hidden field; 33.33333 % from a GIFT file is more than the page shows), and an
optional field the stored spec leaves out is not "changed" by the page sending its default (`kept_spec`).
"""

import copy
import re
import string
from dataclasses import dataclass, field

from markupsafe import Markup, escape

from blueprints.assessments.grading import BLANK, parse_number
from blueprints.assessments.models import QuestionKind
from blueprints.assessments.validation import MAX_CHOICES, is_number

# kind -> (the spec's list of rows, the form's prefix for them, the fewest rows the kind takes)
ROWS = {
    QuestionKind.SINGLE: ("options", "opt", 2),
    QuestionKind.MULTIPLE: ("options", "opt", 2),
    QuestionKind.SHORT: ("answers", "ans", 1),
    QuestionKind.NUMERIC: ("answers", "ans", 1),
    QuestionKind.ORDERING: ("items", "item", 2),
    QuestionKind.MATCHING: ("pairs", "pair", 2),
    QuestionKind.BLANKS: ("blanks", "blank", 1),
}
KIND_NAMES = {
    QuestionKind.SINGLE: "Single choice",
    QuestionKind.MULTIPLE: "Multiple choice",
    QuestionKind.TRUE_FALSE: "True or false",
    QuestionKind.SHORT: "Short answer",
    QuestionKind.NUMERIC: "Numeric",
    QuestionKind.ORDERING: "Ordering",
    QuestionKind.MATCHING: "Matching",
    QuestionKind.BLANKS: "Fill in the blanks",
    QuestionKind.ESSAY: "Essay",
}
MATCH_NAMES = {"exact": "Exactly", "case_insensitive": "Any case", "regex": "Regular expression"}
OP = re.compile(r"^(add|remove):(\d{1,2})?$")
ANSWER_OP = re.compile(r"^(add|remove)-answer:(\d{1,2})(?::(\d{1,2}))?$")  # a blank's accepted answers


@dataclass
class Draft:
    """What the editor shows and saves: a question's content as typed, maybe not valid yet."""

    kind: str
    title: str = ""
    tags: str = ""
    stem_html: str = ""
    general_feedback_html: str = ""
    default_points: object = 1.0  # a number, or the text typed when it is none
    change_note: str = ""
    spec: dict = field(default_factory=dict)
    image_alt: str = ""  # the image's text alternative

    def content(self):
        return {
            "stem_html": self.stem_html,
            "spec": self.spec,
            "general_feedback_html": self.general_feedback_html,
            "default_points": self.default_points,
            "image_alt": self.image_alt,
        }


def empty_spec(kind):
    """A new question's starting point: the rows a teacher fills in."""
    if kind in ROWS:
        key, _prefix, minimum = ROWS[kind]
        spec = {key: []}
        for _ in range(minimum + (1 if kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE) else 0)):
            spec[key].append(_new_row(kind, spec[key]))
        if kind == QuestionKind.BLANKS:
            spec[key][0]["id"] = "1"
        return spec
    if kind == QuestionKind.TRUE_FALSE:
        return {"answer": True}
    if kind == QuestionKind.ESSAY:
        return {"min_words": None, "max_words": None, "grader_info": ""}
    return {}


def draft_of(question_view):
    """The editor's draft of a stored question (its current version)."""
    version = question_view.version
    return Draft(
        kind=question_view.kind,
        title=question_view.title,
        tags=", ".join(question_view.tags),
        stem_html=version.stem_html,
        general_feedback_html=version.general_feedback_html,
        default_points=version.default_points,
        spec=version.spec,
        image_alt=version.image_alt,
    )


def _free_id(taken, kind):
    if kind == QuestionKind.BLANKS:
        return str(next(n for n in range(1, 1000) if str(n) not in taken))
    if kind == QuestionKind.MATCHING:
        return next(f"p{n}" for n in range(1, 1000) if f"p{n}" not in taken)
    letters = list(string.ascii_lowercase) + [f"o{n}" for n in range(27, 1000)]
    return next(letter for letter in letters if letter not in taken)


def _new_row(kind, rows):
    taken = {row.get("id") for row in rows}
    if kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE):
        return {"id": _free_id(taken, kind), "text": "", "correct": False}
    if kind == QuestionKind.SHORT:
        return {"text": "", "match": "case_insensitive", "fraction": 1.0 if not rows else 0.0}
    if kind == QuestionKind.NUMERIC:
        return {"value": None, "tolerance": 0, "tolerance_kind": "absolute", "fraction": 1.0 if not rows else 0.0}
    if kind == QuestionKind.ORDERING:
        return {"id": _free_id(taken, kind), "text": ""}
    if kind == QuestionKind.MATCHING:
        return {"id": _free_id(taken, kind), "prompt": "", "answer": ""}
    return {"id": _free_id(taken, kind), "answers": [_new_blank_answer()]}


def _new_blank_answer():
    """Another spelling a blank accepts: full credit unless the teacher says otherwise."""
    return {"text": "", "match": "case_insensitive", "fraction": 1.0}


def _row_count(form, name="rows"):
    raw = form.get(name, "0")
    count = int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 4 else 0
    return min(count, MAX_CHOICES)


def percent_text(fraction):
    """A credit as the page shows it: the fraction in percent, at most four decimals, no trailing zeros."""
    if not is_number(fraction):
        return "" if fraction is None else str(fraction)  # what was typed, back with its message
    return f"{round(fraction * 100, 4):.4f}".rstrip("0").rstrip(".")


def _credit(form, name):
    """The fraction a row's credit (`<name>-credit`, in percent) says; the stored fraction (`<name>-fraction`)
    when the credit is as the page showed it; the text itself when it is no number (the check names it)."""
    raw = form.get(f"{name}-credit", "100").strip()
    kept = parse_number(form.get(f"{name}-fraction", ""))
    if kept is not None and percent_text(kept) == raw:
        return kept
    value = parse_number(raw)
    return raw if value is None else round(value / 100, 6)


def _text(form, name):
    return (form.get(name) or "").strip()


def _feedback(row, form, name):
    said = _text(form, name)
    if said:
        row["feedback"] = said
    return row


def _choice_rows(kind, form, count):
    rows = []
    for i in range(count):
        row = {"id": _text(form, f"opt-{i}-id"), "text": _text(form, f"opt-{i}-text")}
        if kind == QuestionKind.SINGLE:
            row["correct"] = form.get("correct") == str(i)
        else:
            row["correct"] = form.get(f"opt-{i}-correct") == "y"
        rows.append(_feedback(row, form, f"opt-{i}-feedback"))
    return rows


def _text_answer(form, name):
    return {
        "text": _text(form, f"{name}-text"),
        "match": form.get(f"{name}-match", "exact"),
        "fraction": _credit(form, name),
    }


def _short_rows(form, count):
    return [_feedback(_text_answer(form, f"ans-{i}"), form, f"ans-{i}-feedback") for i in range(count)]


def _numeric_rows(form, count):
    rows = []
    for i in range(count):
        tolerance = _text(form, f"ans-{i}-tolerance")
        row = {
            "value": parse_number(form.get(f"ans-{i}-value")),
            "tolerance": parse_number(tolerance) if tolerance else 0,
            "tolerance_kind": form.get(f"ans-{i}-tolerance_kind", "absolute"),
            "fraction": _credit(form, f"ans-{i}"),
        }
        if row["tolerance"] is None:
            row["tolerance"] = tolerance  # the check names it
        rows.append(_feedback(row, form, f"ans-{i}-feedback"))
    return rows


def _blank_rows(form, count):
    return [
        {
            "id": _text(form, f"blank-{i}-id"),
            "answers": [_text_answer(form, f"blank-{i}-ans-{j}") for j in range(_row_count(form, f"blank-{i}-rows"))],
        }
        for i in range(count)
    ]


def _whole_number(raw):
    raw = (raw or "").strip()
    if not raw:
        return None
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 9 else raw


def _scoring(spec, form):
    spec["scoring"] = form.get("scoring", "partial")
    return spec


def _true_false_spec(form, _count):
    spec = {"answer": {"true": True, "false": False}.get(form.get("answer"))}
    for key in ("feedback_true", "feedback_false"):
        if _text(form, key):
            spec[key] = _text(form, key)
    return spec


def _matching_spec(form, count):
    pairs = [
        {
            "id": _text(form, f"pair-{i}-id"),
            "prompt": _text(form, f"pair-{i}-prompt"),
            "answer": _text(form, f"pair-{i}-answer"),
        }
        for i in range(count)
    ]
    distractors = [line.strip() for line in (form.get("distractors") or "").splitlines() if line.strip()]
    return _scoring({"pairs": pairs, "distractors": distractors}, form)


def _ordering_spec(form, count):
    items = [{"id": _text(form, f"item-{i}-id"), "text": _text(form, f"item-{i}-text")} for i in range(count)]
    return _scoring({"items": items}, form)


def _essay_spec(form, _count):
    return {
        "min_words": _whole_number(form.get("min_words")),
        "max_words": _whole_number(form.get("max_words")),
        "grader_info": _text(form, "grader_info"),
    }


SPEC_FROM_FORM = {
    QuestionKind.SINGLE: lambda form, count: {"options": _choice_rows(QuestionKind.SINGLE, form, count)},
    QuestionKind.MULTIPLE: lambda form, count: _scoring(
        {"options": _choice_rows(QuestionKind.MULTIPLE, form, count)}, form
    ),
    QuestionKind.TRUE_FALSE: _true_false_spec,
    QuestionKind.SHORT: lambda form, count: {"answers": _short_rows(form, count)},
    QuestionKind.NUMERIC: lambda form, count: {"answers": _numeric_rows(form, count)},
    QuestionKind.ORDERING: _ordering_spec,
    QuestionKind.MATCHING: _matching_spec,
    QuestionKind.BLANKS: lambda form, count: {"blanks": _blank_rows(form, count)},
    QuestionKind.ESSAY: _essay_spec,
}


def spec_from_form(kind, form):
    """The `spec` the editor's fields say (checked later by validation.check_question)."""
    return SPEC_FROM_FORM[kind](form, _row_count(form))


def draft_from_form(kind, form):
    typed = (form.get("default_points") or "").strip()
    points = parse_number(typed) if typed else 1.0  # blank: the usual one point
    return Draft(
        kind=kind,
        title=(form.get("title") or "").strip(),
        tags=form.get("tags") or "",
        stem_html=form.get("stem_html") or "",
        general_feedback_html=form.get("general_feedback_html") or "",
        default_points=typed if points is None else points,
        change_note=(form.get("change_note") or "").strip(),
        spec=spec_from_form(kind, form),
        image_alt=(form.get("image_alt") or "").strip(),
    )


def apply_row_op(draft, op):
    """`add:` a row, or `remove:<n>` row n (never below the kind's fewest); a blank's answers:
    `add-answer:<n>`, `remove-answer:<n>:<m>` (never below one). Returns whether it was one."""
    if draft.kind == QuestionKind.BLANKS and ANSWER_OP.match(op or ""):
        _apply_answer_op(draft, ANSWER_OP.match(op))
        return True
    match = OP.match(op or "")
    if not match or draft.kind not in ROWS:
        return False
    key, _prefix, minimum = ROWS[draft.kind]
    rows = draft.spec.setdefault(key, [])
    if match[1] == "add" and len(rows) < MAX_CHOICES:
        rows.append(_new_row(draft.kind, rows))
    elif match[1] == "remove" and match[2] is not None and len(rows) > minimum and int(match[2]) < len(rows):
        rows.pop(int(match[2]))
    return True


def _apply_answer_op(draft, match):
    blanks = draft.spec.get("blanks", [])
    if int(match[2]) >= len(blanks):
        return
    answers = blanks[int(match[2])]["answers"]
    if match[1] == "add" and match[3] is None and len(answers) < MAX_CHOICES:
        answers.append(_new_blank_answer())
    elif match[1] == "remove" and match[3] is not None and len(answers) > 1 and int(match[3]) < len(answers):
        answers.pop(int(match[3]))


# What a stored spec may leave out and the page always sends (docs/assessments.md: the grader's defaults).
ROW_DEFAULTS = {
    QuestionKind.SINGLE: {"correct": False},
    QuestionKind.MULTIPLE: {"correct": False},
    QuestionKind.SHORT: {"match": "exact", "fraction": 1.0},
    QuestionKind.NUMERIC: {"tolerance": 0, "tolerance_kind": "absolute", "fraction": 1.0},
    QuestionKind.BLANKS: {"match": "exact", "fraction": 1.0},
}
SPEC_DEFAULTS = {
    QuestionKind.MULTIPLE: {"scoring": "partial"},
    QuestionKind.ORDERING: {"scoring": "partial"},
    QuestionKind.MATCHING: {"scoring": "partial", "distractors": []},
    QuestionKind.ESSAY: {"min_words": None, "max_words": None, "grader_info": ""},
}
FEEDBACK_KEYS = ("feedback", "feedback_true", "feedback_false")


def _without_empty_feedback(entry):
    return {key: value for key, value in entry.items() if key not in FEEDBACK_KEYS or value}


def _with_defaults(kind, spec):
    """A spec as the grader reads it: defaults filled in, empty feedback left out (for comparing only)."""
    if not isinstance(spec, dict):
        return spec
    filled = _without_empty_feedback(SPEC_DEFAULTS.get(kind, {}) | copy.deepcopy(spec))
    key = ROWS.get(kind, (None,))[0]
    rows = filled.get(key) if isinstance(filled.get(key), list) else []
    if kind == QuestionKind.BLANKS:
        rows = [
            answer
            for blank in rows
            if isinstance(blank, dict) and isinstance(blank.get("answers"), list)
            for answer in blank["answers"]
        ]
    for row in rows:
        if isinstance(row, dict):
            for name, value in ROW_DEFAULTS.get(kind, {}).items():
                row.setdefault(name, value)
            if not row.get("feedback"):
                row.pop("feedback", None)
    return filled


def kept_spec(kind, stored, typed):
    """The stored spec when the page's says the same (it sends defaults the stored one may leave out), else
    the page's: saving a question unchanged adds no version."""
    return stored if _with_defaults(kind, stored) == _with_defaults(kind, typed) else typed


def _true_false_response(form, _view):
    value = {"true": True, "false": False}.get(form.get("r-value"))
    return {} if value is None else {"value": value}


def _ordering_response(form, view):
    items = [item["id"] for item in view.get("items", [])]
    places = {item: parse_number(form.get(f"r-place-{item}")) for item in items}
    return {"order": sorted(items, key=lambda item: (places[item] is None, places[item] or 0, items.index(item)))}


RESPONSE_FROM_FORM = {
    QuestionKind.SINGLE: lambda form, _view: {"choice": form.get("r-choice")} if form.get("r-choice") else {},
    QuestionKind.MULTIPLE: lambda form, _view: {"choices": form.getlist("r-choices")},
    QuestionKind.TRUE_FALSE: _true_false_response,
    QuestionKind.SHORT: lambda form, _view: {"text": form.get("r-text", "")[:10_000]},
    QuestionKind.ESSAY: lambda form, _view: {"text": form.get("r-text", "")[:10_000]},
    QuestionKind.NUMERIC: lambda form, _view: {"value": form.get("r-value", "")[:100]},
    QuestionKind.ORDERING: _ordering_response,
    QuestionKind.MATCHING: lambda form, view: {
        "matches": {p["id"]: form.get(f"r-match-{p['id']}", "") for p in view.get("prompts", [])}
    },
    QuestionKind.BLANKS: lambda form, view: {
        "blanks": {b["id"]: form.get(f"r-blank-{b['id']}", "")[:1000] for b in view.get("blanks", [])}
    },
}


def response_from_form(kind, form, view):
    """The sample answer typed into the preview (the learner's inputs), as a response; None when none was."""
    if form.get("try") != "y" or kind not in RESPONSE_FROM_FORM:
        return None
    return RESPONSE_FROM_FORM[kind](form, view)


def stem_with_blanks(stem_html, response=None):
    """A sanitised stem with each `[[id]]` as a text input (the learner's view of fill in the blanks)."""
    given = (response or {}).get("blanks") or {}

    def blank(match):
        blank_id = match[1]
        value = escape(given.get(blank_id, ""))
        return (
            f'<input type="text" class="blank-input" name="r-blank-{blank_id}" value="{value}" '
            f'aria-label="Blank {blank_id}" autocomplete="off">'
        )

    return Markup(BLANK.sub(blank, str(stem_html)))  # noqa: S704 - sanitised on save; the inputs are ours, escaped
