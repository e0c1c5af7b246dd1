"""Pages for importing people from a CSV file: upload, dry run, progress, commit and the rows it could not take."""

from flask import Blueprint, redirect, render_template, request, url_for

from app.api.downloads import csv_download
from app.api.listing import parse_list_query
from app.errors import DomainError
from app.forms import apply_domain_error
from app.pages import render_page
from app.security.actor import current_actor
from app.security.principal import requires
from blueprints.imports import csvfile
from blueprints.imports import services as imports
from blueprints.imports.forms import ImportForm

bp = Blueprint("import_pages", __name__, url_prefix="/people/import")


@bp.route("", methods=["GET", "POST"])
@requires("imports.manage")
def import_people():
    """Upload a CSV of people: check it first (dry run), then import it."""
    form = ImportForm()
    actor, scope = current_actor.principal, current_actor.scope
    status = 200
    if form.validate_on_submit():
        upload = form.file.data
        try:
            record = imports.start_import(
                upload.stream, upload.filename, form.mode.data, form.send_invitations.data, actor, scope
            )
            return redirect(url_for("import_pages.import_status", import_id=record.id))
        except DomainError as error:
            apply_domain_error(form, error)
            status = error.status
    elif form.is_submitted():
        status = 422
    return render_template("people/import.html", form=form, recent=imports.list_imports(scope, actor)), status


@bp.get("/sample.csv")
@requires("imports.manage")
def sample():
    """A sample file with every column the import reads."""
    return csv_download(iter([csvfile.SAMPLE]), "people-sample.csv")


@bp.get("/<int:import_id>")
@requires("imports.manage")
def import_status(import_id):
    """One import: a live progress bar, then its summary and the rows it could not take."""
    record = imports.get_import(import_id, current_actor.scope, current_actor.principal)
    query = parse_list_query(request.args, imports.ERROR_LIST)
    errors = imports.list_errors(record, query) if record.status in ("done", "failed") else None
    return render_page(
        "people/import_status.html",
        partial="people/_import_progress.html",
        record=record,
        progress=imports.progress_of(record),
        errors=errors,
    )


@bp.post("/<int:import_id>/commit")
@requires("imports.manage")
def commit(import_id):
    """Import the file a dry run checked."""
    actor, scope = current_actor.principal, current_actor.scope
    record = imports.commit_dry_run(import_id, actor, scope)
    return redirect(url_for("import_pages.import_status", import_id=record.id))


@bp.get("/<int:import_id>/errors.csv")
@requires("imports.manage")
def errors_csv(import_id):
    """The rows the import could not take, with the reason, as CSV."""
    record = imports.get_import(import_id, current_actor.scope, current_actor.principal)
    return csv_download(imports.errors_csv(record), f"import-{record.id}-errors.csv")
