"""Pages of a OneRoster integration's syncs: upload a zip (dry run or commit), the progress bar, the bad rows
(table and CSV), commit a dry run, history."""

from flask import Blueprint, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import RadioField, SelectChoice

from app.api.downloads import csv_download
from app.api.listing import parse_list_query
from app.errors import DomainError
from app.forms import apply_domain_error
from app.pages import organizations_only, render_page
from app.security.actor import current_actor
from app.security.principal import requires
from blueprints.integrations import roster_export, roster_sync

# `oneroster_id`, not `integration_id`: these pages are a OneRoster integration's only (the crawler fills route
# parameters by name, and the webhook pages' `integration_id` is a webhook integration)
bp = Blueprint("roster_pages", __name__, url_prefix="/integrations")
organizations_only(bp)


class SyncForm(FlaskForm):
    file = FileField(
        "OneRoster 1.2 CSV zip",
        validators=[FileRequired("Choose a zip file."), FileAllowed(["zip"], "A .zip file, please.")],
    )
    mode = RadioField(
        "What to do",
        choices=[
            SelectChoice("dry_run", "Check the zip only (dry run: nothing is written)"),
            SelectChoice("commit", "Sync the valid rows now"),
        ],
        default="dry_run",
    )


@bp.route("/<int:oneroster_id>/syncs", methods=["GET", "POST"])
@requires("integrations.manage")
def syncs(oneroster_id):
    """Upload a OneRoster zip for a dry run or a sync; the integration's latest syncs."""
    integration = roster_sync.get_integration(oneroster_id)
    form = SyncForm()
    status = 200
    if form.validate_on_submit():
        upload = form.file.data
        try:
            record = roster_sync.start_sync(
                integration, upload.stream, upload.filename, form.mode.data, current_actor.principal
            )
            return redirect(url_for("roster_pages.sync_status", oneroster_id=integration.id, sync_id=record.id))
        except DomainError as error:
            apply_domain_error(form, error)
            status = error.status
    elif form.is_submitted():
        status = 422
    recent = roster_sync.list_syncs(integration)
    return render_template("integrations/syncs.html", integration=integration, form=form, recent=recent), status


@bp.get("/<int:oneroster_id>/syncs/<int:sync_id>")
@requires("integrations.manage")
def sync_status(oneroster_id, sync_id):
    """One sync: a live progress bar, then its counts per file and the rows it refused."""
    integration = roster_sync.get_integration(oneroster_id)
    record = roster_sync.get_sync(integration, sync_id)
    query = parse_list_query(request.args, roster_sync.ERROR_LIST)
    errors = roster_sync.list_errors(record, query) if record.status in ("done", "failed") else None
    return render_page(
        "integrations/syncs_status.html",
        partial="integrations/syncs_progress.html",
        integration=integration,
        record=record,
        percent=roster_sync.progress_percent(record),
        bad_rows=roster_sync.bad_rows(record),
        errors=errors,
    )


@bp.post("/<int:oneroster_id>/syncs/<int:sync_id>/commit")
@requires("integrations.manage")
def commit(oneroster_id, sync_id):
    """Sync the zip a dry run checked."""
    integration = roster_sync.get_integration(oneroster_id)
    record = roster_sync.commit_dry_run(integration, sync_id, current_actor.principal)
    return redirect(url_for("roster_pages.sync_status", oneroster_id=integration.id, sync_id=record.id))


@bp.get("/<int:oneroster_id>/syncs/<int:sync_id>/errors.csv")
@requires("integrations.manage")
def errors_csv(oneroster_id, sync_id):
    """The rows the sync refused, with the reason, as CSV."""
    record = roster_sync.get_sync(roster_sync.get_integration(oneroster_id), sync_id)
    return csv_download(roster_sync.errors_csv(record), f"sync-{record.id}-errors.csv")


@bp.get("/roster-export.zip")
@requires("integrations.manage")
def export():
    """The organization's roster as a OneRoster 1.2 CSV zip."""
    return roster_export.download()
