"""`/api/v1/audit-events`: the organization's audit trail, read-only (org admins and their keys, `audit.read`).

GET  /api/v1/audit-events                          a page of entries, newest first; filters and sorts as every list
GET  /api/v1/audit-events/{id}                     one entry
GET  /api/v1/audit-events/export?format=csv|jsonl  every entry the filters match, streamed; recorded as
                                                   `audit.exported`

GET  /api/v1/platform/audit-events                 the platform's trail (operators, platform domain): the same
GET  /api/v1/platform/audit-events/{id}            list parameters, plus `filter[organization]` (part of a slug)

No route writes: PUT, PATCH and DELETE answer 405, and the mapper refuses a change even from code.
"""

import marshmallow as ma
from flask import Response, request, stream_with_context
from flask.views import MethodView
from marshmallow import validate

from app.api.blueprint import ApiBlueprint
from app.api.downloads import csv_download
from app.api.listing import list_parameters, page_response, parse_list_query
from app.api.types import UtcDateTime
from app.security.principal import requires
from blueprints.audit import trail

blp = ApiBlueprint(
    "audit",
    __name__,
    url_prefix="/api/v1/audit-events",
    description="The audit trail: who did what, to what, from where (read-only).",
)
platform_blp = ApiBlueprint(
    "platform_audit",
    __name__,
    url_prefix="/api/v1/platform/audit-events",
    description="The platform's audit trail: operators' sign-ins and what operators and the CLI did to "
    "organizations (read-only, platform operators on the platform's address).",
)
BEARER = [{"bearerAuth": []}, {"apiKeyAuth": []}]
OPERATOR_BEARER = [{"bearerAuth": []}]
PERMISSION = "audit.read"
PLATFORM_PERMISSION = "platform_audit.read"


class PlatformAuditEventSchema(ma.Schema):
    id = ma.fields.Integer()
    occurred_at = UtcDateTime()
    action = ma.fields.String(metadata={"description": "one of the catalog's actions (blueprints/audit/actions.py)"})
    action_text = ma.fields.Function(lambda entry: trail.action_text(entry.action))
    outcome = ma.fields.String(metadata={"description": "success or failure"})
    actor_kind = ma.fields.String(
        metadata={
            "description": "user, api_key, operator, system (a job, the CLI: its command as the label) or anonymous"
        }
    )
    actor_id = ma.fields.Integer(allow_none=True)
    actor_label = ma.fields.String(metadata={"description": "the actor's e-mail or key name at the time"})
    target_type = ma.fields.String(allow_none=True)
    target_id = ma.fields.String(allow_none=True)
    target_label = ma.fields.String()
    details = ma.fields.Dict(metadata={"description": "what changed (before/after), counts; never secrets"})
    ip = ma.fields.String(allow_none=True)
    user_agent = ma.fields.String(allow_none=True)
    request_id = ma.fields.String(allow_none=True)


class AuditEventSchema(PlatformAuditEventSchema):
    """An entry of an organization's trail: the platform's shape and the person it is about."""

    subject_user_id = ma.fields.Integer(allow_none=True, metadata={"description": "the person the entry is about"})


class ExportArgs(ma.Schema):
    class Meta:
        unknown = ma.INCLUDE  # the list filters (`filter[...]`, `sort`) are read by the list helper

    format = ma.fields.String(load_default="csv", validate=validate.OneOf(trail.EXPORT_FORMATS))


@blp.route("")
class AuditEvents(MethodView):
    @requires(PERMISSION)
    @blp.doc(parameters=list_parameters(trail.AUDIT_LIST), security=BEARER)
    @blp.response(200, AuditEventSchema(many=True))
    def get(self):
        """The audit trail, newest first; filter on action, outcome, actor, target, subject, time, ip."""
        query = parse_list_query(request.args, trail.AUDIT_LIST)
        return page_response(trail.list_entries(query), query)


@blp.route("/<int:entry_id>")
class AuditEventById(MethodView):
    @requires(PERMISSION)
    @blp.doc(security=BEARER)
    @blp.response(200, AuditEventSchema)
    def get(self, entry_id):
        """One audit entry."""
        return trail.get_entry(entry_id)


@blp.route("/export")
class AuditExport(MethodView):
    @requires(PERMISSION)
    @blp.doc(parameters=list_parameters(trail.AUDIT_LIST), security=BEARER)
    @blp.arguments(ExportArgs, location="query")
    @blp.response(200, content_type="text/csv", description="CSV (cells neutralised) or JSON Lines, as an attachment")
    def get(self, args):
        """Every entry the filters match, streamed as CSV or JSON Lines; the export itself is recorded."""
        chunks, name = trail.export_entries(request.args, args["format"])
        if args["format"] == "csv":
            return csv_download(chunks, name)
        return Response(
            stream_with_context(chunks),
            mimetype="application/x-ndjson",
            headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"},
        )


@platform_blp.route("")
class PlatformAuditEvents(MethodView):
    @requires(PLATFORM_PERMISSION)
    @platform_blp.doc(parameters=list_parameters(trail.PLATFORM_AUDIT_LIST), security=OPERATOR_BEARER)
    @platform_blp.response(200, PlatformAuditEventSchema(many=True))
    def get(self):
        """The platform's trail, newest first: operators' sign-ins, what operators and the CLI did to organizations."""
        query = parse_list_query(request.args, trail.PLATFORM_AUDIT_LIST)
        return page_response(trail.list_platform_entries(query), query)


@platform_blp.route("/<int:entry_id>")
class PlatformAuditEventById(MethodView):
    @requires(PLATFORM_PERMISSION)
    @platform_blp.doc(security=OPERATOR_BEARER)
    @platform_blp.response(200, PlatformAuditEventSchema)
    def get(self, entry_id):
        """One entry of the platform's trail."""
        return trail.get_platform_entry(entry_id)
