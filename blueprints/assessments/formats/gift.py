"""GIFT, the text format of Moodle's question import: read into docs/assessments.md shapes, and written back.

The grammar is Moodle's (docs.moodle.org "GIFT format"): questions separated by blank lines, `//` comment
lines, `::title::`, a `[html]`/`[moodle]`/`[plain]`/`[markdown]` text format, answers in `{…}` with `=`
right / `~` wrong / `%50%` weights / `#feedback` / `####general feedback`, `\\` escapes of `~ = # { } :`,
and `$CATEGORY:` lines (their path's names become the following questions' tags).

Where Tessera and Moodle differ, the parser says so in the teacher's words instead of guessing:
- Single choice has one right answer and no partial credit; multiple choice gives every right answer the
  same share (docs/assessments.md), so unequal weights are kept as right/wrong with a warning.
- A missing word with typed answers (`The capital is {=Paris} today.`) is a `fill_blanks` question with
  one blank; a missing word with choices stays a choice question, the stem showing `_____` as Moodle does.
- What GIFT cannot say (points, all-or-nothing scoring, how a short answer is compared, an essay's word
  limits, a blank at the end of the text) is written on a `// tessera: {json}` comment line above the
  question. Moodle skips comments, so the file stays plain GIFT; Tessera reads it back, so an export
  round-trips.
"""

import html
import json
import math
import re
from dataclasses import dataclass

from markdown_it import MarkdownIt

from blueprints.assessments.formats.parsed import (
    TAG_MAX,
    TITLE_MAX,
    ExportedQuestion,
    ParsedQuestion,
    ParseError,
    ParseResult,
    html_to_text,
    normalise_tag,
    title_from_stem,
)
from blueprints.assessments.models import QuestionKind
from blueprints.courses.rich_text import sanitize_html

SPECIAL = "~=#{}:\\"  # what a backslash escapes, besides \n
# While parsing, an escaped character is a private-use code point, so no split can see it.
_HIDDEN = {char: chr(0xE000 + index) for index, char in enumerate(SPECIAL)}
_HIDDEN_NEWLINE = chr(0xE000 + len(SPECIAL))
_SHOWN = {hidden: char for char, hidden in _HIDDEN.items()} | {_HIDDEN_NEWLINE: "\n"}
TEXT_FORMATS = ("html", "moodle", "plain", "markdown")
FORMAT_PREFIX = re.compile(r"^\[(html|moodle|plain|markdown)\]")
WEIGHT = re.compile(r"^%(-?\d+(?:\.\d+)?)%")
HINT = "// tessera:"
CATEGORY = "$CATEGORY:"
MOODLE_DEFAULT_CATEGORY = "default for "
MOODLE_TAG = re.compile(r"\[tag:((?:\\\]|[^\]\x00-\x1f])+)\]")  # `// [tag:week 1]`, `\]` inside
MISSING_WORD = "_____"  # how Moodle shows the place of a missing word chosen among options
TRUE_WORDS, FALSE_WORDS = ("T", "TRUE"), ("F", "FALSE")
MATCH_MODES = ("exact", "case_insensitive", "regex")
SCORINGS = ("partial", "all_or_nothing")
WEIGHT_SLACK = 0.01  # percent: 33.33333 x 3 is 100

_markdown = MarkdownIt("commonmark")


class _Bad(Exception):
    def __init__(self, line, message):
        super().__init__(message)
        self.line, self.message = line, message


@dataclass
class _Block:
    line: int  # first line of the question's text
    lines: list[str]  # comment lines inside are empty strings, so offsets map to line numbers
    hints: list[tuple[int, str]]
    tags: list[str]  # Moodle's `// [tag:name]` comments


@dataclass
class _Answer:
    marker: str
    weight: float | None
    text: str
    feedback: str
    line: int


# --- reading ---------------------------------------------------------------------------------------------


def parse_gift(text):
    """Every question of a GIFT file, and a line and reason for each one that cannot be read."""
    result = ParseResult()
    tags = []
    for item in _items(text or ""):
        if isinstance(item, tuple):  # ("category", line, path)
            tags = _category_tags(item[2], item[1], result)
            continue
        try:
            question = _question(item, result)
        except _Bad as bad:
            result.errors.append(ParseError(bad.line, bad.message))
            continue
        question.tags = sorted(set(tags) | set(item.tags))
        result.questions.append(question)
    return result


def _items(text):
    """The file cut into `$CATEGORY` lines and question blocks (a blank line ends a question)."""
    lines, start, hints, tags = [], None, [], []
    for number, raw in enumerate(text.lstrip("\ufeff").splitlines(), 1):
        stripped = raw.strip()
        if not stripped:
            if lines:
                yield _Block(start, lines, hints, tags)
            lines, start, hints, tags = [], None, [], []
            continue
        if stripped.startswith("//"):
            if stripped.startswith(HINT):
                hints.append((number, stripped[len(HINT) :]))
            tags += [normalise_tag(tag.replace("\\]", "]"))[:TAG_MAX] for tag in MOODLE_TAG.findall(stripped)]
            if lines:
                lines.append("")
            continue
        if not lines and stripped.startswith(CATEGORY):
            yield ("category", number, stripped[len(CATEGORY) :])
            continue
        if start is None:
            start = number
        lines.append(raw)
    if lines:
        yield _Block(start, lines, hints, tags)


def _category_tags(path, line, result):
    """`$course$/top/Geography/Europe` -> the tags `europe`, `geography` (contexts, `top` and Moodle's
    own "Default for …" categories dropped: nobody chose those names)."""
    names = [name.strip() for name in _show(_hide(path)).split("/")]
    names = [name for name in names if name and not (name.startswith("$") and name.endswith("$"))]
    if names and names[0].lower() == "top":
        names = names[1:]
    names = [name for name in names if not name.lower().startswith(MOODLE_DEFAULT_CATEGORY)]
    tags = set()
    for name in names:
        tag = normalise_tag(name)
        if len(tag) > TAG_MAX:
            result.warnings.append(
                ParseError(line, f"The category name “{name[:30]}…” is cut to {TAG_MAX} characters to be a tag.")
            )
            tag = tag[:TAG_MAX].rstrip()
        tags.add(tag)
    return sorted(tags)


def _hide(text):
    """Escaped characters out of the parser's sight; the text keeps its length in lines."""
    out, index = [], 0
    while index < len(text):
        char = text[index]
        if char == "\\" and index + 1 < len(text):
            following = text[index + 1]
            if following in _HIDDEN:
                out.append(_HIDDEN[following])
                index += 2
                continue
            if following == "n":
                out.append(_HIDDEN_NEWLINE)
                index += 2
                continue
        out.append(char)
        index += 1
    return "".join(out)


def _show(text):
    return "".join(_SHOWN.get(char, char) for char in text)


def _question(block, result):
    text = _hide("\n".join(block.lines))

    def line_at(offset):
        return block.line + text.count("\n", 0, max(offset, 0))

    hints = _hints(block, result)
    title, body_start = "", 0
    if text.lstrip().startswith("::"):
        opening = text.index("::")
        closing = text.find("::", opening + 2)
        if closing < 0:
            raise _Bad(
                block.line, "The title starts with :: but is not closed with ::. Write ::Title:: before the text."
            )
        title = " ".join(_show(text[opening + 2 : closing]).split())
        if len(title) > TITLE_MAX:
            raise _Bad(block.line, f"The title is longer than {TITLE_MAX} characters.")
        body_start = closing + 2
    opening, closing = text.find("{", body_start), text.find("}", body_start)
    if opening < 0 and closing < 0:
        raise _Bad(
            block.line,
            "No answers: put them in braces after the question, e.g. {=right ~wrong}, or {} for an essay. "
            "(Text without a question, Moodle's “description”, is not imported.)",
        )
    if closing < 0:
        raise _Bad(
            line_at(opening),
            "The answers opened with { are not closed with }. "
            "A blank line ends a question, so keep its answers together.",
        )
    if opening < 0 or closing < opening:
        raise _Bad(
            line_at(closing), "A } closes answers that were never opened with {. Write \\} for a brace in the text."
        )
    second = text.find("{", opening + 1)
    if 0 <= second < closing:
        raise _Bad(line_at(second), "A second { inside the answers. Write \\{ for a brace in the text.")
    after = text[closing + 1 :]
    extra = min((at for at in (after.find("{"), after.find("}")) if at >= 0), default=-1)
    if extra >= 0:
        raise _Bad(
            line_at(closing + 1 + extra),
            "A question has one {…} of answers: put a blank line between two questions, "
            "or write \\{ \\} for braces in the text.",
        )
    before = text[body_start:opening]
    answers = text[opening + 1 : closing]
    answers_at = opening + 1
    general_feedback = ""
    split = answers.rfind("####")
    if split >= 0:
        general_feedback, answers = answers[split + 4 :], answers[:split]
    kind = _kind(answers, missing_word=bool(after.strip()) or hints.get("kind") == QuestionKind.BLANKS)
    place = "[[1]]" if kind == QuestionKind.BLANKS else MISSING_WORD
    stem_source = (before + place + after) if after.strip() or kind == QuestionKind.BLANKS else before
    stem_format, stem_text = _split_format(stem_source.strip(), "moodle")
    stem_html = _to_html(_show(stem_text), stem_format)
    if not html_to_text(stem_html).replace("[[1]]", "").replace(MISSING_WORD, "").strip():
        raise _Bad(block.line, "The question has no text: write it before the answers in { }.")
    gf_format, gf_text = _split_format(general_feedback.strip(), stem_format)
    kind, spec, warnings = _READERS[kind](answers, lambda offset: line_at(answers_at + offset))
    for message in warnings:
        result.warnings.append(ParseError(block.line, message))
    question = ParsedQuestion(
        line=block.line,
        kind=kind,
        title=title or title_from_stem(stem_html),
        stem_html=stem_html,
        spec=spec,
        general_feedback_html=_to_html(_show(gf_text), gf_format) if gf_text.strip() else "",
    )
    _apply_hints(question, hints, block.line, result)
    return question


def _kind(answers, missing_word):
    answers = answers.strip()
    if not answers:
        return QuestionKind.ESSAY
    if answers.startswith("#"):
        return QuestionKind.NUMERIC
    if "~" in answers:
        return QuestionKind.SINGLE  # or multiple: the weights decide (_choice)
    if "=" in answers and "->" in answers:
        return QuestionKind.MATCHING
    if answers.split("#", 1)[0].strip().upper() in TRUE_WORDS + FALSE_WORDS:
        return QuestionKind.TRUE_FALSE
    return QuestionKind.BLANKS if missing_word else QuestionKind.SHORT


def _split_format(text, default):
    found = FORMAT_PREFIX.match(text)
    if not found:
        return default, text
    return found.group(1), text[found.end() :]


def _to_html(text, text_format):
    if text_format == "plain":
        return html.escape(text.strip(), quote=False).replace("\n", "<br>")
    if text_format == "markdown":
        return sanitize_html(_markdown.render(text)).strip()
    if text_format == "moodle":
        text = text.strip().replace("\n", "<br>")
    return sanitize_html(text.strip()).strip()


def _plain(text):
    """An option's text or a feedback: Tessera keeps these as plain text (escaped on display)."""
    text_format, text = _split_format(text.strip(), "moodle")
    text = _show(text).strip()
    if text_format == "html":
        return html_to_text(text)
    if text_format == "markdown":
        return html_to_text(_markdown.render(text))
    return " ".join(text.split()) if "\n" in text else text


def _answers(text, line_at, markers, first_may_be_bare):
    """`=a ~%50%b#well done` -> its answers; `first_may_be_bare`: `{#3:1}`, `{Paris}` need no `=`."""
    cuts = [index for index, char in enumerate(text) if char in markers]
    leading = text[: cuts[0]] if cuts else text
    pieces = []
    if leading.strip():
        if not first_may_be_bare:
            raise _Bad(line_at(0), "Text before the first answer: start every answer with = (right) or ~ (wrong).")
        pieces.append(("=", 0, leading))
    for position, cut in enumerate(cuts):
        end = cuts[position + 1] if position + 1 < len(cuts) else len(text)
        pieces.append((text[cut], cut, text[cut + 1 : end]))
    answers = []
    for number, (marker, offset, piece) in enumerate(pieces, 1):
        stripped = piece.strip()
        weight = None
        if stripped.startswith("%") and not (
            marker == "=" and markers == "~="
        ):  # Moodle: no weight after = in a choice
            found = WEIGHT.match(stripped)
            if not found:
                raise _Bad(line_at(offset), f"The weight of answer {number} is not a percentage like %50% or %-25%.")
            weight = float(found.group(1))
            if not -100 <= weight <= 100:
                raise _Bad(
                    line_at(offset), f"The weight of answer {number} is {weight:g}%: weights go from -100% to 100%."
                )
            stripped = stripped[found.end() :]
        answer_text, _, feedback = stripped.partition("#")
        answers.append(_Answer(marker, weight, answer_text, _plain(feedback), line_at(offset)))
    return answers


def _letter_ids(count):
    return [chr(ord("a") + index) if index < 26 else f"o{index + 1}" for index in range(count)]


def _choice(text, line_at):
    answers = _answers(text, line_at, "~=", first_may_be_bare=False)
    if len(answers) < 2:
        raise _Bad(line_at(0), "A choice question needs at least two answers.")
    for number, answer in enumerate(answers, 1):
        answer.text = _plain(answer.text)
        if not answer.text:
            raise _Bad(answer.line, f"Answer {number} has no text.")
    numbers = {id(answer): number for number, answer in enumerate(answers, 1)}
    marked = [answer for answer in answers if answer.marker == "="]
    weighted = [answer for answer in answers if answer.marker == "~" and (answer.weight or 0) > 0]
    warnings = []
    if marked:
        if len(marked) > 1:
            raise _Bad(
                marked[1].line,
                f"Answers {numbers[id(marked[0])]} and {numbers[id(marked[1])]} are both marked = (right). "
                "A single-choice question has one right answer; for several, weight each right answer "
                "so they add up to 100%, e.g. ~%50%A ~%50%B ~%-100%C.",
            )
        if weighted:
            partial = weighted[0]
            raise _Bad(
                partial.line,
                f"Answer {numbers[id(partial)]} gives {partial.weight:g}% next to the right answer marked =. "
                "Single choice here has one right answer and no partial credit: make it ~ (wrong), or "
                "weight every right answer so they add up to 100% for a multiple-choice question.",
            )
        kind, right = QuestionKind.SINGLE, {id(marked[0])}
    else:
        if not weighted:
            raise _Bad(
                line_at(0),
                "No answer is right: mark the right one with =, or weight the right ones (~%50%) to add up to 100%.",
            )
        total = sum(answer.weight for answer in weighted)
        if abs(total - 100) > WEIGHT_SLACK:
            raise _Bad(line_at(0), f"The right answers' weights add up to {total:g}%, not 100%.")
        kind, right = (QuestionKind.SINGLE if len(weighted) == 1 else QuestionKind.MULTIPLE), {id(a) for a in weighted}
        if len({answer.weight for answer in weighted}) > 1:
            warnings.append(
                f"The right answers have different weights ({', '.join(f'{a.weight:g}%' for a in weighted)}): "
                f"Tessera gives each of the {len(weighted)} the same share."
            )
    options = [
        {"id": option_id, "text": answer.text, "correct": id(answer) in right, "feedback": answer.feedback}
        for option_id, answer in zip(_letter_ids(len(answers)), answers, strict=True)
    ]
    spec = {"options": options}
    if kind == QuestionKind.MULTIPLE:
        spec["scoring"] = "partial"
    return kind, spec, warnings


def _matching(text, line_at):
    answers = _answers(text, line_at, "=", first_may_be_bare=False)
    pairs, distractors = [], []
    for number, answer in enumerate(answers, 1):
        # `#` is no feedback in a pair (Moodle keeps it as text): rebuild what _answers cut.
        whole = answer.text + ("#" + answer.feedback if answer.feedback else "")
        prompt, arrow, matched = whole.partition("->")
        if not arrow:
            raise _Bad(answer.line, f"Pair {number} has no ->: write =prompt -> answer (or = -> extra answer).")
        prompt, matched = _plain(prompt), _plain(matched)
        if not matched:
            raise _Bad(answer.line, f"Pair {number} has nothing after ->.")
        if prompt:
            pairs.append({"prompt": prompt, "answer": matched})
        else:
            distractors.append(matched)
    if len(pairs) < 2:
        raise _Bad(line_at(0), "A matching question needs at least two pairs =prompt -> answer.")
    pairs = [
        {"id": pair_id, "prompt": pair["prompt"], "answer": pair["answer"]}
        for pair_id, pair in zip(_letter_ids(len(pairs)), pairs, strict=True)
    ]
    return QuestionKind.MATCHING, {"pairs": pairs, "distractors": distractors, "scoring": "partial"}, []


def _true_false(text, line_at):
    value, wrong_feedback, right_feedback = ([*text.split("#", 2), "", ""])[:3]
    answer = value.strip().upper() in TRUE_WORDS
    wrong_feedback, right_feedback = _plain(wrong_feedback), _plain(right_feedback)
    return (
        QuestionKind.TRUE_FALSE,
        {
            "answer": answer,
            "feedback_true": right_feedback if answer else wrong_feedback,
            "feedback_false": wrong_feedback if answer else right_feedback,
        },
        [],
    )


def _typed_answers(text, line_at):
    answers = _answers(text, line_at, "=", first_may_be_bare=True)
    typed = []
    for number, answer in enumerate(answers, 1):
        answer.text = _plain(answer.text)
        if not answer.text:
            raise _Bad(answer.line, f"Answer {number} has no text.")
        weight = 100.0 if answer.weight is None else answer.weight
        if weight < 0:
            raise _Bad(answer.line, f"Answer {number} has a negative weight; a typed answer earns 0% to 100%.")
        typed.append(
            {"text": answer.text, "match": "case_insensitive", "fraction": weight / 100, "feedback": answer.feedback}
        )
    if not any(answer["fraction"] > 0 for answer in typed):
        raise _Bad(line_at(0), "No answer earns credit: give at least one a weight above 0%.")
    return typed


def _short(text, line_at):
    return QuestionKind.SHORT, {"answers": _typed_answers(text, line_at)}, []


def _blanks(text, line_at):
    answers = _typed_answers(text, line_at)
    warnings = []
    if any(answer.pop("feedback") for answer in answers):
        warnings.append(
            "Feedback on a blank's answers is not kept: Tessera shows feedback per question, not per blank."
        )
    return QuestionKind.BLANKS, {"blanks": [{"id": "1", "answers": answers}]}, warnings


def _number(text, line):
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise _Bad(line, f"“{text}” is not a number: write 3.14, 3.14:0.01 (with a margin) or 1..5 (a range).")
    return value


def _numeric(text, line_at):
    body = text.strip()
    skipped = len(text) - len(text.lstrip()) + 1
    body = body[1:]
    warnings = []
    other = body.find("~")
    if other >= 0:
        body = body[:other]
        warnings.append("The feedback for any other number (~#…) is not kept: Tessera shows none for a wrong number.")
    answers = _answers(body, lambda offset: line_at(skipped + offset), "=", first_may_be_bare=True)
    if not answers:
        raise _Bad(line_at(0), "A numeric question needs an answer after #, e.g. {#3.14:0.01} or {#1..5}.")
    numbers = []
    for number, answer in enumerate(answers, 1):
        written = _show(answer.text).strip()
        if not written:
            raise _Bad(answer.line, f"Answer {number} has no number.")
        low, dots, high = written.partition("..")
        if dots:
            low, high = _number(low.strip(), answer.line), _number(high.strip(), answer.line)
            if low > high:
                raise _Bad(answer.line, f"The range {written} goes down: write the smaller number first.")
            value, tolerance = (low + high) / 2, (high - low) / 2
        else:
            value_text, colon, tolerance_text = written.partition(":")
            value = _number(value_text.strip(), answer.line)
            tolerance = _number(tolerance_text.strip(), answer.line) if colon else 0.0
            if tolerance < 0:
                raise _Bad(answer.line, f"The margin of answer {number} is negative.")
        weight = 100.0 if answer.weight is None else answer.weight
        if weight < 0:
            raise _Bad(answer.line, f"Answer {number} has a negative weight; a number earns 0% to 100%.")
        numbers.append(
            {
                "value": value,
                "tolerance": tolerance,
                "tolerance_kind": "absolute",
                "fraction": weight / 100,
                "feedback": answer.feedback,
            }
        )
    if not any(answer["fraction"] > 0 for answer in numbers):
        raise _Bad(line_at(0), "No answer earns credit: give at least one a weight above 0%.")
    return QuestionKind.NUMERIC, {"answers": numbers}, warnings


def _essay(text, line_at):
    return QuestionKind.ESSAY, {"min_words": None, "max_words": None, "grader_info": ""}, []


_READERS = {  # by what the answers look like; a choice's weights then decide single or multiple
    QuestionKind.SINGLE: _choice,
    QuestionKind.MATCHING: _matching,
    QuestionKind.TRUE_FALSE: _true_false,
    QuestionKind.SHORT: _short,
    QuestionKind.BLANKS: _blanks,
    QuestionKind.NUMERIC: _numeric,
    QuestionKind.ESSAY: _essay,
}


def _hints(block, result):
    hints = {}
    for line, raw in block.hints:
        try:
            found = json.loads(raw)
        except ValueError:
            found = None
        if not isinstance(found, dict):
            result.warnings.append(ParseError(line, "A “// tessera:” note that is not a JSON object was ignored."))
            continue
        hints.update(found)
    return hints


def _apply_hints(question, hints, line, result):
    """What GIFT cannot say, from a Tessera export's `// tessera:` line; anything odd there is ignored."""
    points = hints.get("points")
    if points is not None:
        if isinstance(points, int | float) and not isinstance(points, bool) and math.isfinite(points) and points > 0:
            question.default_points = float(points)
        else:
            result.warnings.append(
                ParseError(line, "The points in the “// tessera:” note are not a positive number: 1 is used.")
            )
    scoring = hints.get("scoring")
    if scoring in SCORINGS and question.kind in (QuestionKind.MULTIPLE, QuestionKind.MATCHING):
        question.spec["scoring"] = scoring
    matches = hints.get("match")
    typed = (
        question.spec["answers"]
        if question.kind == QuestionKind.SHORT
        else question.spec["blanks"][0]["answers"]
        if question.kind == QuestionKind.BLANKS
        else None
    )
    if (
        typed is not None
        and isinstance(matches, list)
        and len(matches) == len(typed)
        and all(m in MATCH_MODES for m in matches)
    ):
        for answer, match in zip(typed, matches, strict=True):
            answer["match"] = match
    if question.kind == QuestionKind.ESSAY:
        for key in ("min_words", "max_words"):
            value = hints.get(key)
            if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
                question.spec[key] = value
        if isinstance(hints.get("grader_info"), str):
            question.spec["grader_info"] = hints["grader_info"]


# --- writing ---------------------------------------------------------------------------------------------


def gift_skip_reason(item):
    """Why a question cannot be written in GIFT, or None when it can."""
    question = ExportedQuestion.of(item)
    if question.kind == QuestionKind.ORDERING:
        return "ordering questions have no GIFT form"
    if question.kind == QuestionKind.BLANKS:
        blanks = question.spec.get("blanks") or []
        if len(blanks) != 1:
            return f"GIFT holds one blank per question; this one has {len(blanks)}"
        if question.stem_html.count(f"[[{blanks[0]['id']}]]") != 1:
            return "its text does not show its blank exactly once"
    if question.kind == QuestionKind.MATCHING and any(
        "->" in pair["prompt"] for pair in question.spec.get("pairs", [])
    ):
        return "a matching prompt contains “->”, which GIFT reads as the arrow"
    if question.kind not in QuestionKind.ALL:
        return f"the kind “{question.kind}” is unknown"
    return None


def export_gift(questions_with_versions):
    """A GIFT file of the questions; those GIFT cannot hold are named in a comment at the top."""
    questions = [ExportedQuestion.of(item) for item in questions_with_versions]
    out = ["// Questions exported from Tessera in GIFT (Moodle's format)."]
    for question in questions:
        reason = gift_skip_reason(question)
        if reason:
            out.append(f"// skipped: {_one_line(question.title)}: {reason}")
    out.append("")
    tags = []
    for question in questions:
        if gift_skip_reason(question):
            continue
        if question.tags != tags:
            tags = list(question.tags)
            out += [f"{CATEGORY} {'/'.join(_escape(tag) for tag in tags) if tags else '$course$/top'}", ""]
        if question.id is not None:
            out.append(f"// question: {question.id}  name: {_one_line(question.title)}")
        hints = _hints_of(question)
        if hints:
            out.append(f"{HINT} {json.dumps(hints, ensure_ascii=False, sort_keys=True)}")
        out.append(f"::{_escape(question.title)}::" + _WRITERS[question.kind](question))
        out.append("")
    return "\n".join(out)


def _one_line(text):
    return " ".join(str(text).split())


def _escape(text):
    text = str(text).replace("\r", "")
    for char in SPECIAL[::-1]:  # the backslash first
        text = text.replace(char, "\\" + char)
    return text.replace("\n", "\\n")


def _rich(fragment):
    """A stored HTML fragment: as is when it reads the same in Moodle's default format, else `[html]`."""
    fragment = (fragment or "").strip()
    if re.search(r"[<>&\n]", fragment) or fragment.startswith("["):
        return "[html]" + _escape(fragment)
    return _escape(fragment)


def _text(text):
    text = str(text).strip()
    return ("[plain]" if text.startswith("[") else "") + _escape(text)


def _weight(fraction):
    return f"%{round(fraction * 100, 5):g}%"


def _general_feedback(question):
    return f"\t####{_rich(question.general_feedback_html)}\n" if question.general_feedback_html.strip() else ""


def _feedback(answer):
    feedback = str(answer.get("feedback") or "").strip()
    return "#" + _text(feedback) if feedback else ""


def _write_single(question):
    lines = []
    for option in question.spec["options"]:
        marker = "=" if option.get("correct") else "~" + ("%0%" if str(option["text"]).startswith("%") else "")
        lines.append(f"\t{marker}{_text(option['text'])}{_feedback(option)}\n")
    return _rich(question.stem_html) + "{\n" + "".join(lines) + _general_feedback(question) + "}"


def _write_multiple(question):
    options = question.spec["options"]
    right = sum(1 for option in options if option.get("correct"))
    wrong = len(options) - right
    lines = []
    for option in options:
        weight = _weight(1 / right) if option.get("correct") else _weight(-1 / wrong)
        lines.append(f"\t~{weight}{_text(option['text'])}{_feedback(option)}\n")
    return _rich(question.stem_html) + "{\n" + "".join(lines) + _general_feedback(question) + "}"


def _write_true_false(question):
    spec = question.spec
    answer = bool(spec.get("answer"))
    right = str(spec.get("feedback_true" if answer else "feedback_false") or "").strip()
    wrong = str(spec.get("feedback_false" if answer else "feedback_true") or "").strip()
    said = "TRUE" if answer else "FALSE"
    if wrong or right:
        said += "#" + _text(wrong)
    if right:
        said += "#" + _text(right)
    return _rich(question.stem_html) + "{" + said + _general_feedback(question).strip("\t\n") + "}"


def _typed(answers, with_feedback=True):
    lines = []
    for answer in answers:
        weight = (
            ""
            if answer.get("fraction", 1.0) == 1.0 and not str(answer["text"]).startswith("%")
            else _weight(answer.get("fraction", 1.0))
        )
        lines.append(f"\t={weight}{_text(answer['text'])}{_feedback(answer) if with_feedback else ''}\n")
    return "".join(lines)


def _write_short(question):
    return _rich(question.stem_html) + "{\n" + _typed(question.spec["answers"]) + _general_feedback(question) + "}"


def _number_text(value):
    return repr(float(value))


def _write_numeric(question):
    lines = []
    for answer in question.spec["answers"]:
        tolerance = float(answer.get("tolerance", 0))
        if answer.get("tolerance_kind") == "relative":
            tolerance *= abs(float(answer["value"]))  # the same numbers are right: GIFT margins are absolute
        number = f"{_number_text(answer['value'])}:{_number_text(tolerance)}"
        lines.append(f"\t={_weight(answer.get('fraction', 1.0))}{number}{_feedback(answer)}\n")
    return _rich(question.stem_html) + "{#\n" + "".join(lines) + _general_feedback(question) + "}"


def _write_matching(question):
    lines = [f"\t={_text(pair['prompt'])} -> {_text(pair['answer'])}\n" for pair in question.spec["pairs"]]
    lines += [f"\t= -> {_text(distractor)}\n" for distractor in question.spec.get("distractors") or []]
    return _rich(question.stem_html) + "{\n" + "".join(lines) + _general_feedback(question) + "}"


def _write_blanks(question):
    blank = question.spec["blanks"][0]
    before, after = question.stem_html.split(f"[[{blank['id']}]]")
    answers = "{\n" + _typed(blank["answers"], with_feedback=False) + _general_feedback(question) + "}"
    if not re.search(r"[<>&\n]", before + after) and not before.lstrip().startswith("["):
        return _escape(before) + answers + _escape(after)
    return "[html]" + _escape(before) + answers + _escape(after)


def _write_essay(question):
    return _rich(question.stem_html) + "{" + _general_feedback(question).strip("\t\n") + "}"


_WRITERS = {
    QuestionKind.SINGLE: _write_single,
    QuestionKind.MULTIPLE: _write_multiple,
    QuestionKind.TRUE_FALSE: _write_true_false,
    QuestionKind.SHORT: _write_short,
    QuestionKind.NUMERIC: _write_numeric,
    QuestionKind.MATCHING: _write_matching,
    QuestionKind.BLANKS: _write_blanks,
    QuestionKind.ESSAY: _write_essay,
}


def _hints_of(question):
    hints = {}
    if question.default_points != 1.0:
        hints["points"] = question.default_points
    spec = question.spec
    if question.kind in (QuestionKind.MULTIPLE, QuestionKind.MATCHING) and spec.get("scoring") == "all_or_nothing":
        hints["scoring"] = "all_or_nothing"
    typed = spec.get("answers") if question.kind == QuestionKind.SHORT else None
    if question.kind == QuestionKind.BLANKS:
        typed = spec["blanks"][0]["answers"]
        blank = f"[[{spec['blanks'][0]['id']}]]"
        if not question.stem_html.split(blank)[1].strip():
            hints["kind"] = QuestionKind.BLANKS  # a blank at the very end reads as a short answer otherwise
    if typed and any(answer.get("match", "exact") != "case_insensitive" for answer in typed):
        hints["match"] = [answer.get("match", "exact") for answer in typed]
    if question.kind == QuestionKind.ESSAY:
        for key in ("min_words", "max_words"):
            if spec.get(key) is not None:
                hints[key] = spec[key]
        if spec.get("grader_info"):
            hints["grader_info"] = spec["grader_info"]
    return hints
