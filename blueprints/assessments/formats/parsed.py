"""What a parser returns and what an exporter reads: the shapes of docs/assessments.md, nothing stored."""

import html
import re
from dataclasses import dataclass, field

import nh3

from blueprints.assessments.grading import BLANK

TITLE_MAX = 200
TITLE_FROM_STEM = 80  # characters of the stem's text that name a question that has no title
TAG_MAX = 60


@dataclass
class ParsedQuestion:
    line: int  # where the question starts in the file (1-based)
    kind: str
    title: str
    stem_html: str
    spec: dict
    general_feedback_html: str = ""
    default_points: float = 1.0
    tags: list[str] = field(default_factory=list)


@dataclass
class ParseError:
    line: int
    message: str  # says what is wrong and how to write it, in a teacher's words


@dataclass
class ParseResult:
    questions: list[ParsedQuestion] = field(default_factory=list)
    errors: list[ParseError] = field(default_factory=list)
    # Kept questions whose file said something Tessera cannot hold (the dry run shows them).
    warnings: list[ParseError] = field(default_factory=list)


@dataclass
class ExportedQuestion:
    """A question as the exporters read it: a stored question's current version, or a parsed one."""

    kind: str
    title: str
    stem_html: str
    spec: dict
    general_feedback_html: str = ""
    default_points: float = 1.0
    tags: list[str] = field(default_factory=list)
    id: int | None = None

    @classmethod
    def of(cls, item):
        """`item`: an ExportedQuestion, a ParsedQuestion, or a `(question, version[, tags])` tuple."""
        if isinstance(item, ExportedQuestion):
            return item
        if isinstance(item, ParsedQuestion):
            return cls(
                item.kind,
                item.title,
                item.stem_html,
                item.spec,
                item.general_feedback_html,
                item.default_points,
                list(item.tags),
            )
        question, version, *rest = item
        return cls(
            question.kind,
            question.title,
            version.stem_html or "",
            version.spec,
            version.general_feedback_html or "",
            version.default_points,
            sorted(rest[0]) if rest else [],
            question.id,
        )


def html_to_text(fragment):
    """The words of an HTML fragment on one line: what a title or an Aiken line can carry."""
    text = re.sub(r"<br\s*/?>|</p>|</div>|</li>", " ", fragment or "")
    return " ".join(html.unescape(nh3.clean(text, tags=set())).split())


def title_from_stem(stem_html):
    text = BLANK.sub("___", html_to_text(stem_html))
    if len(text) <= TITLE_FROM_STEM:
        return text or "Untitled question"
    return text[: TITLE_FROM_STEM - 1].rstrip() + "…"


def normalise_tag(name):
    return " ".join(name.split()).lower()
