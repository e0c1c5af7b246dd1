"""Bringing questions in from GIFT and Aiken files, and taking a bank out in them.

A dry run reads the whole file and reports what would be imported, and each question that would not be
with its line and the reason, writing nothing. An import refuses a file with any error unless the teacher
chose `only_valid`; then it writes the good questions, all of them or none. `$CATEGORY` names become tags.
An export writes a course's bank, the organization bank, or chosen questions, and names what it left out.
"""

import hashlib
import json
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask import current_app

from app.errors import DomainError, NotFound, ValidationFailed
from app.extensions import db
from app.jobs import redis_connection
from app.security.actor import current_actor
from app.tenancy.context import require_tenant
from blueprints.assessments import bank
from blueprints.assessments.formats import (
    ExportedQuestion,
    ParseError,
    aiken_skip_reason,
    export_aiken,
    export_gift,
    gift_skip_reason,
    parse_aiken,
    parse_gift,
)
from blueprints.assessments.models import Question, QuestionVersion
from blueprints.assessments.validation import check_question
from blueprints.courses import access

FORMATS = ("gift", "aiken")
PARSERS = {"gift": parse_gift, "aiken": parse_aiken}
EXPORTERS = {"gift": (export_gift, gift_skip_reason), "aiken": (export_aiken, aiken_skip_reason)}
DEFAULT_MAX_BYTES = 2 * 1024 * 1024  # a 2 MB GIFT file holds thousands of questions
DEFAULT_MAX_QUESTIONS = 1000  # imported in about 2 s on PostgreSQL (one transaction); split bigger banks
EXPORT_MAX_QUESTIONS = 10_000
HOLD_SECONDS = 3600  # how long a checked file waits for the teacher to confirm its import
FIELD_NAMES = {  # validation's fields in a teacher's words
    "title": "Title",
    "stem_html": "Question text",
    "default_points": "Points",
    "general_feedback_html": "General feedback",
    "kind": "Kind",
    "tags": "Category",
}


class FileTooLarge(DomainError):
    status, code = 413, "FILE_TOO_LARGE"


@dataclass
class ImportReport:
    """What a file holds for a destination bank: the questions that can be imported, and the others."""

    format: str
    course_id: int | None  # None: the organization bank
    questions: list = field(default_factory=list)  # ParsedQuestion, in file order
    errors: list = field(default_factory=list)  # ParseError, by line
    warnings: list = field(default_factory=list)
    imported: list = field(default_factory=list)  # (question id, ParsedQuestion) once written
    dry_run: bool = True

    @property
    def total(self):
        return len(self.questions) + len(self.errors)


def limits():
    config = current_app.config
    return (
        config.get("QUESTION_IMPORT_MAX_BYTES", DEFAULT_MAX_BYTES),
        config.get("QUESTION_IMPORT_MAX_QUESTIONS", DEFAULT_MAX_QUESTIONS),
    )


def size_text(count):
    """`2 MB`, `500 KB`, `900 bytes`: a limit as a teacher reads it."""
    if count >= 1024 * 1024:
        return f"{count / (1024 * 1024):.3g} MB"
    return f"{count / 1024:.3g} KB" if count >= 1024 else f"{count} bytes"


def _bad_file(message):
    return ValidationFailed(message, {"file": [message]}, code="INVALID_FILE")


def read_upload(stream):
    """The text of an uploaded file: UTF-8 (or UTF-16 with its byte order mark), within the size limit."""
    max_bytes, _ = limits()
    raw = stream.read(max_bytes + 1)
    if len(raw) > max_bytes:
        raise FileTooLarge(
            f"The file is larger than {size_text(max_bytes)}: split it into several files.",
            {"file": [f"At most {size_text(max_bytes)}."]},
        )
    if not raw.strip():
        raise _bad_file("The file is empty.")
    encoding = "utf-16" if raw.startswith((b"\xff\xfe", b"\xfe\xff")) else "utf-8-sig"
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError:
        raise _bad_file("The file is not UTF-8 text. Save it as plain text in UTF-8 and try again.") from None
    return check_text(text)


def check_text(text):
    """Pasted text: the same limits as a file; NUL (binary data) refused, since no database stores it."""
    max_bytes, _ = limits()
    if len(text) > max_bytes or len(text.encode("utf-8", "surrogatepass")) > max_bytes:
        raise FileTooLarge(
            f"The text is larger than {size_text(max_bytes)}: split it into several files.",
            {"text": [f"At most {size_text(max_bytes)}."]},
        )
    if "\0" in text:
        raise _bad_file("This is not a text file (it contains binary data).")
    if not text.strip():
        raise ValidationFailed("There is nothing to import.", {"text": ["Paste questions or choose a file."]})
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _destination(course_id, actor):
    """The bank the questions go to, checked for the actor: a course's (managers) or the organization's (staff)."""
    if course_id is None:
        if not bank.is_staff(actor):
            raise NotFound("No such question bank.")
        return None
    access.course_for(course_id, "manage", actor)
    return course_id


def check_file(text, file_format, course_id=None, actor=current_actor):
    """The dry run: what importing `text` into the course's bank (or the organization's) would do."""
    if file_format not in PARSERS:
        raise ValidationFailed("Unknown format.", {"format": [f"One of {', '.join(FORMATS)}."]})
    course_id = _destination(course_id, actor)
    _, max_questions = limits()
    parsed = PARSERS[file_format](text)
    if len(parsed.questions) + len(parsed.errors) > max_questions:
        raise FileTooLarge(
            f"The file holds more than {max_questions} questions: split it into several files.",
            {"file": [f"At most {max_questions} questions per file."]},
        )
    report = ImportReport(file_format, course_id, warnings=sorted(parsed.warnings, key=lambda w: w.line))
    errors = list(parsed.errors)
    for question in parsed.questions:
        problems = _problems_of(question)
        if problems:
            errors.append(ParseError(question.line, problems))
        else:
            report.questions.append(question)
    report.errors = sorted(errors, key=lambda error: error.line)
    return report


def _problems_of(question):
    """The bank's own checks on a parsed question, as one sentence; "" when it can be saved."""
    found = check_question(question.kind, question.title, question.stem_html, question.spec, question.default_points)
    try:
        bank.normalise_tags(question.tags)
    except ValidationFailed as error:
        found.update(error.details)
    return "; ".join(f"{FIELD_NAMES.get(name, 'Answers')}: {' '.join(messages)}" for name, messages in found.items())


def import_file(text, file_format, course_id=None, *, only_valid=False, actor=current_actor):
    """Write the file's questions into the bank, all or none. A file with errors is refused unless
    `only_valid`: then its good questions are written and the report still lists the bad ones."""
    report = check_file(text, file_format, course_id, actor)
    report.dry_run = False
    if report.errors and not only_valid:
        details = {"file": [f"Line {error.line}: {error.message}" for error in report.errors[:100]]}
        raise ValidationFailed(
            f"{len(report.errors)} question(s) in the file cannot be imported; nothing was imported. "
            "Fix them, or import only the valid ones.",
            details,
            code="IMPORT_HAS_ERRORS",
        )
    if not report.questions:
        raise ValidationFailed("The file has no question that can be imported.", {"file": ["No valid question."]})
    report.imported = _write(report, actor)
    return report


def _write(report, actor):
    """The questions written by the bank in one transaction, sanitised and checked by its own rules: a
    question that fails leaves the whole file unwritten. (One commit for the file: `bank.create_question`
    for each would commit each and check the course each time, 35 ms a question on a busy PostgreSQL.)"""
    note = f"Imported from {report.format.upper()}"
    drafts = [
        bank.QuestionDraft(
            kind=parsed.kind,
            title=parsed.title,
            stem_html=parsed.stem_html,
            spec=parsed.spec,
            tags=parsed.tags,
            general_feedback_html=parsed.general_feedback_html,
            default_points=parsed.default_points,
            change_note=f"{note} (line {parsed.line})",
        )
        for parsed in report.questions
    ]
    questions = bank.create_questions(report.course_id, drafts, actor=actor)
    # the ids from the identity map: the commit expired the rows, and reading `.id` would load each again
    return [
        (sa.inspect(question).identity[0], parsed) for question, parsed in zip(questions, report.questions, strict=True)
    ]


def hold_checked(text, file_format, course_id, actor=current_actor):
    """Keep a checked file on the server until its import is confirmed (a page carries only the token):
    the import then writes exactly what the teacher saw checked, in that format, into that bank."""
    held = json.dumps({"text": text, "format": file_format, "course_id": course_id})
    token = hashlib.sha256(held.encode()).hexdigest()[:32]
    redis_connection().set(_held_key(token, course_id, actor), held, ex=HOLD_SECONDS)
    return token


def take_checked(token, course_id, actor=current_actor):
    """(text, format) held under `token` for this person and bank, once: a second confirmation finds nothing."""
    with redis_connection().pipeline() as take:
        take.get(_held_key(token, course_id, actor))
        take.delete(_held_key(token, course_id, actor))
        held, _ = take.execute()
    if held is None:
        message = "This check has expired or was imported already: check the file again."
        raise ValidationFailed(message, {"token": [message]}, code="CHECK_EXPIRED")
    held = json.loads(held)
    return held["text"], held["format"]


def _held_key(token, course_id, actor):
    """Per organization, person and bank: a token confirms nothing for anyone else or into another bank."""
    principal = actor.principal
    bank_name = "organization" if course_id is None else f"course-{course_id}"
    return f"question-import:{require_tenant().slug}:{principal.kind}:{principal.id}:{bank_name}:{token}"


# --- export ----------------------------------------------------------------------------------------------


@dataclass
class Export:
    format: str
    text: str
    exported: list  # question ids
    skipped: list  # (question id, title, reason)

    @property
    def filename(self):
        return f"questions.{'gift.txt' if self.format == 'gift' else 'aiken.txt'}"


def export_questions(file_format, *, course_id=None, question_ids=None, actor=current_actor):
    """A file of a course's bank or the organization bank (`course_id` None), all of it or the chosen
    `question_ids` in it, not archived, oldest first; with the ones the format cannot hold named."""
    if file_format not in EXPORTERS:
        raise ValidationFailed("Unknown format.", {"format": [f"One of {', '.join(FORMATS)}."]})
    course_id = _destination(course_id, actor)
    stmt = sa.select(Question).where(
        Question.course_id.is_(None) if course_id is None else Question.course_id == course_id,
        Question.archived_at.is_(None),
    )
    if question_ids is not None:
        stmt = stmt.where(Question.id.in_(list(question_ids)[: EXPORT_MAX_QUESTIONS + 1]))
    questions = db.session.scalars(stmt.order_by(Question.id).limit(EXPORT_MAX_QUESTIONS + 1)).all()
    if len(questions) > EXPORT_MAX_QUESTIONS:
        raise FileTooLarge(
            f"More than {EXPORT_MAX_QUESTIONS} questions: export them in parts (choose questions).",
            {"question_ids": [f"At most {EXPORT_MAX_QUESTIONS}."]},
        )
    items = _exportable(questions)
    write, skip_reason = EXPORTERS[file_format]
    exported, skipped = [], []
    for item in items:
        reason = skip_reason(item)
        if reason:
            skipped.append((item.id, item.title, reason))
        else:
            exported.append(item.id)
    return Export(file_format, write(items), exported, skipped)


def _exportable(questions):
    if not questions:
        return []
    versions = {
        version.question_id: version
        for version in db.session.scalars(
            sa.select(QuestionVersion).where(
                sa.tuple_(QuestionVersion.question_id, QuestionVersion.number).in_(
                    [(question.id, question.current_version) for question in questions]
                )
            )
        )
    }
    tags = bank.tags_of([question.id for question in questions])
    return [ExportedQuestion.of((question, versions[question.id], tags.get(question.id, []))) for question in questions]
