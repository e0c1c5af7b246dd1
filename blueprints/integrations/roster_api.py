"""`/api/v1/integrations/{id}/sync...`: OneRoster syncs, and `/api/v1/roster/export` (docs/integrations.md)."""

import marshmallow as ma
from flask import request
from flask.views import MethodView
from flask_smorest.fields import Upload

from app.api.blueprint import ApiBlueprint
from app.api.downloads import csv_download
from app.api.listing import list_parameters, page_response, parse_list_query
from app.api.types import Boolean, UtcDateTime
from app.security.actor import current_actor
from app.security.principal import requires
from blueprints.integrations import roster_export, roster_sync

blp = ApiBlueprint(
    "roster", __name__, url_prefix="/api/v1", description="OneRoster 1.2 CSV: syncs into the organization, export."
)
BEARER = [{"bearerAuth": []}]


class SyncUploadSchema(ma.Schema):
    file = Upload(metadata={"description": "A OneRoster 1.2 CSV zip; none: fetched from the integration's source_url"})
    # a form field: "true" or "false", as the document's boolean is written in a form (not "0", "yes", "on")
    dry_run = Boolean(strict=False, load_default=True, truthy={"true", True}, falsy={"false", False})


class SyncSchema(ma.Schema):
    id = ma.fields.Integer()
    integration_id = ma.fields.Integer(allow_none=True)
    filename = ma.fields.String()
    file_sha256 = ma.fields.String()
    mode = ma.fields.String(metadata={"enum": ["dry_run", "commit"]})
    processing = ma.fields.String(allow_none=True)
    status = ma.fields.String(metadata={"enum": ["queued", "running", "done", "failed"]})
    total_rows = ma.fields.Integer(allow_none=True)
    processed_rows = ma.fields.Integer()
    percent = ma.fields.Function(roster_sync.progress_percent)
    counts = ma.fields.Dict(metadata={"description": "per file: created, updated, unchanged, deactivated, ..."})
    bad_rows = ma.fields.Function(roster_sync.bad_rows)
    error_message = ma.fields.String(allow_none=True)
    created_at = UtcDateTime()
    started_at = UtcDateTime(allow_none=True)
    finished_at = UtcDateTime(allow_none=True)


class SyncErrorSchema(ma.Schema):
    file = ma.fields.String()
    row_number = ma.fields.Integer()
    column = ma.fields.String()
    value = ma.fields.String()
    reason = ma.fields.String()


@blp.route("/integrations/<int:integration_id>/sync")
class Sync(MethodView):
    @requires("integrations.manage")
    @blp.doc(security=BEARER)
    @blp.arguments(SyncUploadSchema, location="multipart")
    @blp.response(202, SyncSchema)
    def post(self, upload, integration_id):
        """Sync a OneRoster zip: a dry run (default, nothing written) or a commit; poll the sync for progress."""
        integration = roster_sync.get_integration(integration_id)
        mode = roster_sync.DRY_RUN if upload["dry_run"] else roster_sync.COMMIT
        file, actor = upload.get("file"), current_actor.principal
        if file is not None:
            return roster_sync.start_sync(integration, file.stream, file.filename, mode, actor)
        return roster_sync.start_fetched_sync(integration, mode, actor)


@blp.route("/integrations/<int:integration_id>/syncs")
class Syncs(MethodView):
    @requires("integrations.manage")
    @blp.doc(security=BEARER)
    @blp.response(200, SyncSchema(many=True))
    def get(self, integration_id):
        """The integration's latest syncs."""
        return roster_sync.list_syncs(roster_sync.get_integration(integration_id))


@blp.route("/integrations/<int:integration_id>/syncs/<int:sync_id>")
class SyncById(MethodView):
    @requires("integrations.manage")
    @blp.doc(security=BEARER)
    @blp.response(200, SyncSchema)
    def get(self, integration_id, sync_id):
        """Status, progress and counts per file of one sync."""
        return roster_sync.get_sync(roster_sync.get_integration(integration_id), sync_id)


@blp.route("/integrations/<int:integration_id>/syncs/<int:sync_id>/errors")
class SyncErrors(MethodView):
    @requires("integrations.manage")
    @blp.doc(parameters=list_parameters(roster_sync.ERROR_LIST), security=BEARER)
    @blp.response(200, SyncErrorSchema(many=True))
    def get(self, integration_id, sync_id):
        """The bad rows: file, row, column, value and reason."""
        record = roster_sync.get_sync(roster_sync.get_integration(integration_id), sync_id)
        query = parse_list_query(request.args, roster_sync.ERROR_LIST)
        return page_response(roster_sync.list_errors(record, query), query)


@blp.route("/integrations/<int:integration_id>/syncs/<int:sync_id>/errors.csv")
class SyncErrorsCsv(MethodView):
    @requires("integrations.manage")
    @blp.doc(security=BEARER)
    @blp.response(200, content_type="text/csv")
    def get(self, integration_id, sync_id):
        """The bad rows as a CSV file."""
        record = roster_sync.get_sync(roster_sync.get_integration(integration_id), sync_id)
        return csv_download(roster_sync.errors_csv(record), f"sync-{record.id}-errors.csv")


@blp.route("/integrations/<int:integration_id>/syncs/<int:sync_id>/commit")
class SyncCommit(MethodView):
    @requires("integrations.manage")
    @blp.doc(security=BEARER)
    @blp.response(202, SyncSchema)
    def post(self, integration_id, sync_id):
        """Commit the zip of a finished dry run (its bad rows are skipped)."""
        integration = roster_sync.get_integration(integration_id)
        return roster_sync.commit_dry_run(integration, sync_id, current_actor.principal)


@blp.route("/roster/export")
class RosterExport(MethodView):
    @requires("integrations.manage")
    @blp.doc(security=BEARER)
    @blp.response(200, content_type="application/zip")
    def get(self):
        """The organization's branches, classes (with terms), people and memberships as a OneRoster 1.2 CSV zip."""
        return roster_export.download()
