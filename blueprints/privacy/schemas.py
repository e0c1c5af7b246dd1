"""What the privacy API reads and answers (docs/operations.md, part privacy)."""

import marshmallow as ma
from flask import url_for

from app.api.types import Integer, UtcDateTime
from blueprints.privacy.archiving import MAX_MONTHS
from blueprints.privacy.models import ExportStatus

MONTHS = {"description": f"whole months, 1 to {MAX_MONTHS}; null: this half of the policy is off"}


class DataExportSchema(ma.Schema):
    id = ma.fields.Integer()
    user_id = ma.fields.Integer(metadata={"description": "the person the export is about"})
    status = ma.fields.String(metadata={"enum": list(ExportStatus.ALL)})
    rows_done = ma.fields.Integer(metadata={"description": "rows written so far (updated about twice a second)"})
    rows_total = ma.fields.Integer(allow_none=True, metadata={"description": "rows the export holds, once counted"})
    file_name = ma.fields.String(allow_none=True)
    file_size = ma.fields.Integer(allow_none=True, metadata={"description": "bytes"})
    error = ma.fields.String(allow_none=True)
    created_at = UtcDateTime()
    started_at = UtcDateTime(allow_none=True)
    finished_at = UtcDateTime(allow_none=True)
    expires_at = UtcDateTime(allow_none=True, metadata={"description": "the file is deleted then"})
    download_url = ma.fields.Method("_download_url", metadata={"description": "once done, until it expires"})

    def _download_url(self, export):
        if export.status != ExportStatus.DONE:
            return None
        return url_for("privacy.DataExportDownload", export_id=export.id)


class ErasureRequestSchema(ma.Schema):
    confirm_email = ma.fields.String(
        required=True, metadata={"description": "the person's sign-in address, typed again: erasure is irreversible"}
    )


class ErasureOutcomeSchema(ma.Schema):
    certificate_copies_deleted = ma.fields.Integer(
        metadata={"description": "stored PDFs of their certificates deleted (and signed credentials cleared)"}
    )
    certificate_archives_withdrawn = ma.fields.Integer(metadata={"description": "course ZIPs holding one, withdrawn"})
    log_entries_redacted = ma.fields.Integer(
        metadata={"description": "issuance log entries whose personal data was deleted (their commitment stays)"}
    )
    log_entries_keeping_name = ma.fields.Integer(
        metadata={
            "description": "issuance log entries written before names left the chain: the name is in the hashed "
            "payload and stays (rewriting it would break the heads verifiers hold)"
        }
    )
    reports_withdrawn = ma.fields.Integer(metadata={"description": "report files that may list them, withdrawn"})


class ErasureSchema(ma.Schema):
    user_id = ma.fields.Integer()
    pseudonym = ma.fields.String(metadata={"example": "Erased person #3"})
    erased_at = UtcDateTime()
    erased_now = ma.fields.Boolean(metadata={"description": "false: the person had been erased already"})
    outcome = ma.fields.Nested(ErasureOutcomeSchema, metadata={"description": "what the erasure did (as it was then)"})


class ArchivingPolicySchema(ma.Schema):
    """Both halves, each time (null: off): a PUT replaces the policy, and a lost body must not turn it off."""

    course_months = Integer(
        required=True, allow_none=True, minimum=1, maximum=MAX_MONTHS, metadata={**MONTHS, "example": 12}
    )
    people_months = Integer(
        required=True, allow_none=True, minimum=1, maximum=MAX_MONTHS, metadata={**MONTHS, "example": 24}
    )
    updated_at = UtcDateTime(dump_only=True, allow_none=True)


class ArchivingPreviewArgs(ma.Schema):
    course_months = Integer(strict=False, allow_none=True, load_default=None, minimum=1, maximum=MAX_MONTHS)
    people_months = Integer(strict=False, allow_none=True, load_default=None, minimum=1, maximum=MAX_MONTHS)


class ArchivingPreviewCourseSchema(ma.Schema):
    id = ma.fields.Integer()
    title = ma.fields.String()
    status = ma.fields.String()


class ArchivingPreviewPersonSchema(ma.Schema):
    id = ma.fields.Integer()
    name = ma.fields.String()
    email = ma.fields.String()


class ArchivingPreviewSchema(ma.Schema):
    course_months = ma.fields.Integer(allow_none=True)
    people_months = ma.fields.Integer(allow_none=True)
    course_count = ma.fields.Integer(metadata={"description": "courses the policy would archive now"})
    people_count = ma.fields.Integer(metadata={"description": "people it would deactivate now"})
    courses = ma.fields.List(ma.fields.Nested(ArchivingPreviewCourseSchema), metadata={"description": "the first 50"})
    people = ma.fields.List(ma.fields.Nested(ArchivingPreviewPersonSchema), metadata={"description": "the first 50"})


class ArchivingRunSchema(ma.Schema):
    id = ma.fields.Integer()
    trigger = ma.fields.String(metadata={"enum": ["schedule", "hand"]})
    policy = ma.fields.Dict()
    course_ids = ma.fields.Method("_course_ids")
    user_ids = ma.fields.List(ma.fields.Integer(), metadata={"description": "people deactivated"})
    ran_at = UtcDateTime()
    reversed_at = UtcDateTime(allow_none=True)
    restored = ma.fields.Dict(allow_none=True, metadata={"description": "what the reversal brought back"})

    def _course_ids(self, run):
        return [course_id for course_id, _status in run.courses or []]
