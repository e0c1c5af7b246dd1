import marshmallow as ma
from flask_smorest.fields import Upload
from marshmallow import validate

from app.api.types import Boolean, UtcDateTime
from blueprints.imports.services import progress_of


class ImportUploadSchema(ma.Schema):
    """The multipart body: the file and the options, as form parts."""

    file = Upload(
        required=True,
        metadata={"description": "CSV: email, first_name, last_name, role, branch, classes, external_id, password"},
    )
    mode = ma.fields.String(load_default="dry_run", validate=validate.OneOf(["dry_run", "commit"]))
    send_invitations = Boolean(strict=False, load_default=True)


class ProgressSchema(ma.Schema):
    percent = ma.fields.Integer()
    rate = ma.fields.Float(allow_none=True, metadata={"description": "rows per second"})
    eta_seconds = ma.fields.Integer(allow_none=True)


class ImportSchema(ma.Schema):
    id = ma.fields.Integer()
    filename = ma.fields.String()
    file_sha256 = ma.fields.String()
    mode = ma.fields.String()
    status = ma.fields.String(metadata={"enum": ["queued", "running", "done", "failed"]})
    send_invitations = ma.fields.Boolean()
    total_rows = ma.fields.Integer(allow_none=True)
    processed_rows = ma.fields.Integer()
    summary = ma.fields.Function(
        lambda r: {
            "to_create": r.created_count,
            "to_update": r.updated_count,
            "unchanged": r.unchanged_count,
            "invalid": r.invalid_count,
        }
    )
    progress = ma.fields.Function(lambda r: ProgressSchema().dump(progress_of(r)))
    error_message = ma.fields.String(allow_none=True)
    created_at = UtcDateTime()
    started_at = UtcDateTime(allow_none=True)
    finished_at = UtcDateTime(allow_none=True)


class ImportErrorSchema(ma.Schema):
    row_number = ma.fields.Integer()
    column = ma.fields.String()
    value = ma.fields.String()
    reason = ma.fields.String()
