"""`/api/v1/imports`: bulk-import people from CSV, for integrators."""

from flask import request
from flask.views import MethodView

from app.api.blueprint import ApiBlueprint
from app.api.downloads import csv_download
from app.api.listing import list_parameters, page_response, parse_list_query
from app.security.actor import current_actor
from app.security.principal import requires
from blueprints.imports import csvfile, schemas, services

blp = ApiBlueprint("imports", __name__, url_prefix="/api/v1/imports", description="Bulk imports of people (CSV).")
BEARER = [{"bearerAuth": []}]


@blp.route("")
class Imports(MethodView):
    @requires("imports.manage")
    @blp.doc(security=BEARER)
    @blp.response(200, schemas.ImportSchema(many=True))
    def get(self):
        """The latest imports you can see."""
        return services.list_imports(current_actor.scope, current_actor.principal)

    @requires("imports.manage")
    @blp.doc(security=BEARER)
    @blp.arguments(schemas.ImportUploadSchema, location="multipart")
    @blp.response(202, schemas.ImportSchema)
    def post(self, upload):
        """Upload a CSV for a dry run (default) or a commit; poll the import for its progress."""
        actor, scope = current_actor.principal, current_actor.scope
        file = upload["file"]
        return services.start_import(
            file.stream, file.filename, upload["mode"], upload["send_invitations"], actor, scope
        )


@blp.route("/<int:import_id>")
class ImportById(MethodView):
    @requires("imports.manage")
    @blp.doc(security=BEARER)
    @blp.response(200, schemas.ImportSchema)
    def get(self, import_id):
        """Status, progress (rows, rate, ETA) and the summary of one import."""
        return services.get_import(import_id, current_actor.scope, current_actor.principal)


@blp.route("/<int:import_id>/commit")
class ImportCommit(MethodView):
    @requires("imports.manage")
    @blp.doc(security=BEARER)
    @blp.response(202, schemas.ImportSchema)
    def post(self, import_id):
        """Commit the file of a dry run."""
        actor, scope = current_actor.principal, current_actor.scope
        return services.commit_dry_run(import_id, actor, scope)


@blp.route("/<int:import_id>/errors")
class ImportErrors(MethodView):
    @requires("imports.manage")
    @blp.doc(parameters=list_parameters(services.ERROR_LIST), security=BEARER)
    @blp.response(200, schemas.ImportErrorSchema(many=True))
    def get(self, import_id):
        """The invalid rows: row number, column and reason."""
        record = services.get_import(import_id, current_actor.scope, current_actor.principal)
        query = parse_list_query(request.args, services.ERROR_LIST)
        return page_response(services.list_errors(record, query), query)


@blp.route("/<int:import_id>/errors.csv")
class ImportErrorsCsv(MethodView):
    @requires("imports.manage")
    @blp.doc(security=BEARER)
    @blp.response(200, content_type="text/csv")
    def get(self, import_id):
        """The invalid rows as a CSV file."""
        record = services.get_import(import_id, current_actor.scope, current_actor.principal)
        return csv_download(services.errors_csv(record), f"import-{record.id}-errors.csv")


@blp.route("/sample.csv")
class ImportSample(MethodView):
    @requires("imports.manage")
    @blp.doc(security=BEARER)
    @blp.response(200, content_type="text/csv")
    def get(self):
        """A sample file with every column."""
        return csv_download(iter([csvfile.SAMPLE]), "people-sample.csv")
