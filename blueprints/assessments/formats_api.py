"""`/api/v1/questions/import` and `/export`: question banks in and out as GIFT or Aiken text."""

from flask import Response
from flask.views import MethodView

from app.api.blueprint import ApiBlueprint
from app.errors import ValidationFailed
from app.security.actor import current_actor
from app.security.principal import requires
from blueprints.assessments import question_import
from blueprints.assessments.formats_schemas import (
    ImportReportSchema,
    QuestionExportArgsSchema,
    QuestionImportSchema,
)

blp = ApiBlueprint(
    "question_formats",
    __name__,
    url_prefix="/api/v1/questions",
    description="Question banks in and out of GIFT (Moodle) and Aiken files.",
)
BEARER = [{"bearerAuth": []}]


@blp.route("/import")
class QuestionImport(MethodView):
    @requires("courses.manage")
    @blp.doc(security=BEARER)
    @blp.arguments(QuestionImportSchema, location="multipart")
    @blp.response(200, ImportReportSchema)
    @blp.alt_response(201, schema=ImportReportSchema, description="Imported")
    def post(self, upload):
        """Check a GIFT or Aiken file (dry run, the default), or import its questions into a bank."""
        text = _text_of(upload)
        course_id = upload.get("course_id")
        if upload["dry_run"]:
            return question_import.check_file(text, upload["format"], course_id, current_actor)
        report = question_import.import_file(
            text, upload["format"], course_id, only_valid=upload["only_valid"], actor=current_actor
        )
        return report, 201


def _text_of(upload):
    file, text = upload.get("file"), upload.get("text")
    if (file is None) == (text is None):
        message = "Send a file, or the questions as text (one of the two)."
        raise ValidationFailed(message, {"file": [message]})
    if file is not None:
        return question_import.read_upload(file.stream)
    return question_import.check_text(text)


@blp.route("/export")
class QuestionExport(MethodView):
    @requires("courses.manage")
    @blp.doc(security=BEARER)
    @blp.arguments(QuestionExportArgsSchema, location="query")
    @blp.response(200, content_type="text/plain")
    def get(self, args):
        """A course's bank or the organization bank (or some of its questions) as a GIFT or Aiken file.
        `X-Questions-Skipped` lists the ids the format cannot hold (GIFT also names them in a comment)."""
        export = question_import.export_questions(
            args["format"], course_id=args.get("course_id"), question_ids=args.get("ids"), actor=current_actor
        )
        return Response(
            export.text,
            mimetype="text/plain",
            headers={
                "Content-Disposition": f'attachment; filename="{export.filename}"',
                "Cache-Control": "no-store",
                "X-Questions-Exported": str(len(export.exported)),
                "X-Questions-Skipped": ", ".join(str(question_id) for question_id, _, _ in export.skipped),
            },
        )
