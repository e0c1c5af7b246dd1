"""The bodies of the GIFT/Aiken import and export API (formats_api.py)."""

import marshmallow as ma
from flask_smorest.fields import Upload
from marshmallow import validate

from app.api.types import Boolean, Id
from blueprints.assessments.question_import import FORMATS

FORMAT_FIELD = {"validate": validate.OneOf(FORMATS), "metadata": {"description": "gift (Moodle) or aiken"}}


class QuestionImportSchema(ma.Schema):
    """The multipart body: a file or pasted text, the format, the destination bank and what to do."""

    file = Upload(metadata={"description": "A GIFT or Aiken text file (UTF-8). Or send `text`."})
    text = ma.fields.String(metadata={"description": "The questions as text, instead of a file."})
    format = ma.fields.String(required=True, **FORMAT_FIELD)
    course_id = Id(strict=False, metadata={"description": "The course's bank; leave out for the organization bank."})
    dry_run = Boolean(
        strict=False, load_default=True, metadata={"description": "Only report what would be imported (default)."}
    )
    only_valid = Boolean(
        strict=False,
        load_default=False,
        metadata={"description": "Import the valid questions of a file that has errors (else nothing is written)."},
    )


class QuestionExportArgsSchema(ma.Schema):
    format = ma.fields.String(required=True, **FORMAT_FIELD)
    course_id = Id(strict=False, metadata={"description": "The course's bank; leave out for the organization bank."})
    ids = ma.fields.List(Id(strict=False), metadata={"description": "Only these questions of the bank."})


class LineMessageSchema(ma.Schema):
    line = ma.fields.Integer(metadata={"description": "1-based line in the file"})
    message = ma.fields.String()


class ParsedQuestionSchema(ma.Schema):
    line = ma.fields.Integer()
    kind = ma.fields.String()
    title = ma.fields.String()
    stem_html = ma.fields.String()
    spec = ma.fields.Dict()
    general_feedback_html = ma.fields.String()
    default_points = ma.fields.Float()
    tags = ma.fields.List(ma.fields.String())


class ImportedQuestionSchema(ma.Schema):
    id = ma.fields.Integer()
    line = ma.fields.Integer()
    title = ma.fields.String()


class ImportReportSchema(ma.Schema):
    format = ma.fields.String()
    course_id = ma.fields.Integer(allow_none=True, metadata={"description": "null: the organization bank"})
    dry_run = ma.fields.Boolean()
    total = ma.fields.Integer(metadata={"description": "questions found in the file, valid or not"})
    valid = ma.fields.Function(lambda report: len(report.questions))
    invalid = ma.fields.Function(lambda report: len(report.errors))
    questions = ma.fields.List(ma.fields.Nested(ParsedQuestionSchema), metadata={"description": "the valid ones"})
    errors = ma.fields.List(ma.fields.Nested(LineMessageSchema))
    warnings = ma.fields.List(
        ma.fields.Nested(LineMessageSchema), metadata={"description": "what a valid question loses on the way"}
    )
    imported = ma.fields.Function(
        lambda report: [{"id": question_id, "line": q.line, "title": q.title} for question_id, q in report.imported],
        metadata={"description": "the questions written, with their new ids (empty on a dry run)"},
    )
