"""Aiken, the one-right-answer format of Moodle and TalentLMS: read into single-choice questions, and written.

    What is the capital of France?
    A. London
    B) Paris
    ANSWER: B

The question's text comes first (Tessera also takes several lines, joined), then options labelled `A.` or
`A)` and a space, then `ANSWER: X`. Blank lines between questions are optional. There is no title, no
feedback and no comment: a title is made from the text.
"""

import html
import re

from blueprints.assessments.formats.parsed import (
    ExportedQuestion,
    ParsedQuestion,
    ParseError,
    ParseResult,
    html_to_text,
    title_from_stem,
)
from blueprints.assessments.models import QuestionKind

OPTION = re.compile(r"^([A-Z])[.)](?:[ \t]+(.*))?$")
ANSWER = re.compile(r"^ANSWER\s*:\s*(.*)$", re.IGNORECASE)
LABELS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


class _Draft:
    def __init__(self, line, text):
        self.line, self.stem_lines, self.options, self.problems = line, [text], [], []


def parse_aiken(text):
    """Every question of an Aiken file, and a line and reason for each one that cannot be read."""
    result = ParseResult()
    draft = None
    for number, raw in enumerate((text or "").lstrip("\ufeff").splitlines(), 1):
        line = raw.strip()
        if not line:
            continue
        option, answer = OPTION.match(line), ANSWER.match(line)
        if answer:
            if draft is None:
                result.errors.append(ParseError(number, "An ANSWER line with no question above it."))
                continue
            _finish(draft, answer.group(1).strip(), number, result)
            draft = None
        elif option and draft is not None:
            label, option_text = option.group(1), (option.group(2) or "").strip()
            if label in (known for _, known, _ in draft.options):
                draft.problems.append(ParseError(number, f"Option {label} appears twice."))
            if not option_text:
                draft.problems.append(ParseError(number, f"Option {label} has no text."))
            draft.options.append((number, label, option_text))
        elif option:
            result.errors.append(
                ParseError(number, f"Option {option.group(1)} comes before any question text: start with the question.")
            )
        elif draft is not None and draft.options:
            result.errors.append(ParseError(draft.line, "The question has no “ANSWER: X” line after its options."))
            draft = _Draft(number, line)
        elif draft is not None:
            draft.stem_lines.append(line)
        else:
            draft = _Draft(number, line)
    if draft is not None:
        result.errors.append(ParseError(draft.line, "The question has no “ANSWER: X” line after its options."))
    return result


def _finish(draft, answer, answer_line, result):
    if draft.problems:
        result.errors.append(draft.problems[0])
        return
    if len(draft.options) < 2:
        result.errors.append(
            ParseError(draft.line, "A question needs at least two options (A. …, B. …) before its ANSWER line.")
        )
        return
    labels = [label for _, label, _ in draft.options]
    answer = answer.upper()
    if answer not in labels:
        said = f"“{answer}”" if answer else "nothing"
        result.errors.append(
            ParseError(
                answer_line,
                f"ANSWER says {said}, but the options are {labels[0]} to {labels[-1]}: give one of their letters.",
            )
        )
        return
    stem_html = "<br>".join(html.escape(line, quote=False) for line in draft.stem_lines)
    options = [
        {"id": label.lower(), "text": text, "correct": label == answer, "feedback": ""}
        for _, label, text in draft.options
    ]
    result.questions.append(
        ParsedQuestion(
            line=draft.line,
            kind=QuestionKind.SINGLE,
            title=title_from_stem(stem_html),
            stem_html=stem_html,
            spec={"options": options},
        )
    )


def aiken_skip_reason(item):
    """Why a question cannot be written in Aiken, or None when it can."""
    question = ExportedQuestion.of(item)
    if question.kind != QuestionKind.SINGLE:
        return "Aiken holds only single-choice questions"
    options = question.spec.get("options") or []
    if len(options) > len(LABELS):
        return f"Aiken labels at most {len(LABELS)} options A to Z"
    lines = [_line(question.stem_html)] + [" ".join(str(option["text"]).split()) for option in options]
    if not lines[0]:
        return "its text is empty once written on one line"
    if OPTION.match(lines[0]) or ANSWER.match(lines[0]):
        return "its text starts like an Aiken option or ANSWER line"
    if any(not line for line in lines[1:]):
        return "an option is empty"
    return None


def export_aiken(questions_with_versions):
    """An Aiken file of the single-choice questions; the others are left out (see aiken_skip_reason)."""
    out = []
    for item in questions_with_versions:
        question = ExportedQuestion.of(item)
        if aiken_skip_reason(question):
            continue
        out.append(_line(question.stem_html))
        right = "A"
        for label, option in zip(LABELS, question.spec["options"], strict=False):
            out.append(f"{label}. {' '.join(str(option['text']).split())}")
            if option.get("correct"):
                right = label
        out += [f"ANSWER: {right}", ""]
    return "\n".join(out)


def _line(stem_html):
    return html_to_text(stem_html)
