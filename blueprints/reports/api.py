"""Reports through the API (docs/analytics.md "Reports"):

POST /api/v1/reports                 ask for a report {kind, format, params}: 202, status queued (a job makes it)
GET  /api/v1/reports                 the reports I asked for (an org admin: `?all=1` for everyone's)
GET  /api/v1/reports/{id}            its status and progress (rows_done of rows_total), the download URL once done
GET  /api/v1/reports/{id}/download   the file (409 REPORT_NOT_READY before, 410 REPORT_EXPIRED after, 410
                                    REPORT_WITHDRAWN once an erasure withdrew it)
"""

import marshmallow as ma
from flask import request, url_for
from flask.views import MethodView

from app.api.blueprint import ApiBlueprint
from app.api.listing import list_parameters, page_response, parse_list_query
from app.api.types import UtcDateTime
from app.errors import BadRequest
from app.security.actor import current_actor
from app.security.principal import requires
from blueprints.reports import generation
from blueprints.reports.kinds import FORMATS, KINDS, PARAM_NAMES
from blueprints.reports.models import ReportStatus

blp = ApiBlueprint(
    "reports", __name__, url_prefix="/api/v1/reports", description="Reports: CSV, XLSX and PDF files made by a job."
)
BEARER = [{"bearerAuth": []}]
STATUSES = [
    ReportStatus.QUEUED,
    ReportStatus.RUNNING,
    ReportStatus.DONE,
    ReportStatus.FAILED,
    ReportStatus.EXPIRED,
    ReportStatus.WITHDRAWN,
]


class ReportParamsSchema(ma.Schema):
    class Meta:
        unknown = ma.INCLUDE  # checked by the kind (a 400 naming the field), not dropped silently

    date_from = ma.fields.Raw(metadata={"description": "YYYY-MM-DD (period reports; default: 30 days to date_to)"})
    date_to = ma.fields.Raw(metadata={"description": "YYYY-MM-DD, inclusive (period reports; default: today)"})
    branch_id = ma.fields.Raw(metadata={"description": "people who are members of this branch"})
    class_id = ma.fields.Raw(metadata={"description": "students of this class"})
    course_id = ma.fields.Raw(metadata={"description": "enrollments of this course"})
    user_id = ma.fields.Raw(metadata={"description": "the learner (learner_transcript: required)"})


class ReportRequestSchema(ma.Schema):
    kind = ma.fields.String(required=True, metadata={"enum": list(KINDS)})
    format = ma.fields.String(required=True, metadata={"enum": list(FORMATS)})
    params = ma.fields.Nested(
        ReportParamsSchema,
        load_default=dict,
        metadata={"description": f"Parameters of the kind: {', '.join(PARAM_NAMES)} (see docs/analytics.md)."},
    )


class ReportSchema(ma.Schema):
    id = ma.fields.Integer()
    kind = ma.fields.String(metadata={"enum": list(KINDS)})
    format = ma.fields.String(metadata={"enum": list(FORMATS)})
    params = ma.fields.Dict(metadata={"description": "the parameters as checked (the period made explicit)"})
    status = ma.fields.String(metadata={"enum": STATUSES})
    rows_done = ma.fields.Integer(metadata={"description": "rows written so far (updated about twice a second)"})
    rows_total = ma.fields.Integer(allow_none=True, metadata={"description": "rows the report holds (once counted)"})
    file_name = ma.fields.String(allow_none=True)
    file_size = ma.fields.Integer(allow_none=True, metadata={"description": "bytes"})
    error = ma.fields.String(allow_none=True, metadata={"description": "why it failed, in words"})
    withdrawn_reason = ma.fields.String(
        allow_none=True,
        metadata={"description": "withdrawn: why its file was deleted early (a person it may list was erased)"},
    )
    requested_by_id = ma.fields.Integer(allow_none=True, metadata={"description": "the person who asked for it"})
    requested_by_api_key_id = ma.fields.Integer(allow_none=True, metadata={"description": "or the API key"})
    schedule_id = ma.fields.Integer(allow_none=True, metadata={"description": "the schedule that made it"})
    created_at = UtcDateTime()
    started_at = UtcDateTime(allow_none=True)
    finished_at = UtcDateTime(allow_none=True)
    expires_at = UtcDateTime(allow_none=True, metadata={"description": "the file is deleted then"})
    download_url = ma.fields.Method("_download_url", metadata={"description": "once done, until it expires"})

    def _download_url(self, report):
        if report.status != ReportStatus.DONE:
            return None
        return url_for("reports.ReportDownload", report_id=report.id)


def _wants_everyone():
    raw = request.args.get("all")
    if raw not in (None, "0", "1"):
        raise BadRequest("`all` is 1 or 0.", {"all": ["Must be 1 or 0."]})
    return raw == "1"


@blp.route("")
class Reports(MethodView):
    @requires("reports.manage")
    @blp.doc(
        parameters=[
            *list_parameters(generation.REPORT_LIST),
            {"in": "query", "name": "all", "schema": {"type": "integer", "enum": [0, 1]}, "description": "org admins"},
        ],
        security=BEARER,
    )
    @blp.response(200, ReportSchema(many=True))
    def get(self):
        """The reports I asked for, newest first; an org admin may ask for every one (`all=1`)."""
        everyone = _wants_everyone()
        query = parse_list_query(request.args, generation.REPORT_LIST)
        return page_response(generation.list_reports(query, everyone, current_actor), query)

    @requires("reports.manage")
    @blp.doc(security=BEARER)
    @blp.arguments(ReportRequestSchema)
    @blp.response(202, ReportSchema)
    def post(self, data):
        """Ask for a report; a job makes it (poll `GET /reports/{id}`). Bad parameters: 400 naming the field; a
        branch, class, course or person out of your reach: 404."""
        report, _job = generation.request_report(data["kind"], data["format"], data["params"], current_actor)
        return report


@blp.route("/<int:report_id>")
class ReportById(MethodView):
    @requires("reports.manage")
    @blp.doc(security=BEARER)
    @blp.response(200, ReportSchema)
    def get(self, report_id):
        """A report's status and progress (its requester, the people it was mailed to, org admins)."""
        return generation.report_for(report_id, current_actor)


@blp.route("/<int:report_id>/download")
class ReportDownload(MethodView):
    @requires("reports.manage")
    @blp.doc(security=BEARER)
    @blp.response(
        200,
        content_type="application/octet-stream",
        description="text/csv, XLSX or application/pdf, as an attachment",
    )
    def get(self, report_id):
        """The report's file (409 `REPORT_NOT_READY` before it is done, 410 `REPORT_EXPIRED` once deleted, 410
        `REPORT_WITHDRAWN` once withdrawn because a person it may list was erased)."""
        return generation.serve_report(report_id, current_actor)
