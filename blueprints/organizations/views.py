"""The org admin's settings page (name, branding, time zone, language, registration) and, on the platform
domain, the operators' console of organizations."""

import click
from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from werkzeug.datastructures import FileStorage

from app.errors import DomainError, NotFound
from app.forms import apply_domain_error
from app.jobs import enqueue
from app.pages import render_page
from app.security.principal import requires
from app.tenancy.context import get_current_tenant
from app.tenancy.models import TenantStatus
from blueprints.home.services import shaded_colors
from blueprints.organizations import figures, services
from blueprints.organizations import settings as org_settings
from blueprints.organizations.forms import ArchiveForm, OrganizationForm, OrganizationStatusForm, SettingsForm

# Operators' pages live with the organizations feature: they are the platform side of the same concept and
# call the services the API and the CLI call (provision, suspend, archive); a separate package would own no
# model or rule of its own.
bp = Blueprint("organization_pages", __name__, cli_group="organizations")


@bp.route("/settings", methods=["GET", "POST"])
@requires("settings.manage")
def settings():
    """Brand and configure your organization; every page and the sign-in page follow."""
    tenant = get_current_tenant()
    current = org_settings.settings_of(tenant)
    form = SettingsForm(data=current)
    status = 200
    if form.validate_on_submit():
        changes = {
            key: getattr(form, key).data
            for key in ("display_name", "primary_color", "accent_color", "time_zone", "self_registration")
        }
        try:  # the logo is checked before anything is saved: a refused logo leaves the settings as they were
            # With a logo stored and no new file chosen, the field holds the stored logo's name, not a file.
            upload = form.logo.data if isinstance(form.logo.data, FileStorage) and form.logo.data.filename else None
            logo = org_settings.checked_logo(upload.read()) if upload else None
            org_settings.update_settings(tenant, changes)
            if logo:
                org_settings.store_logo(tenant, logo)
            flash("Settings saved.")
            return redirect(url_for("organization_pages.settings"))
        except DomainError as error:
            apply_domain_error(form, error)
            status = 422
    elif form.is_submitted():
        status = 422
    return render_template(
        "organizations/settings.html", form=form, current=current, shaded=shaded_colors(tenant)
    ), status


# --- the operators' console (platform domain only) -----------------------------------------------------


def _on_platform():
    if get_current_tenant() is not None:
        raise NotFound("Organizations are managed on the platform's own address.")


@bp.get("/organizations")
@requires("organizations.manage")
def console():
    """Every organization with its people, courses, storage and last activity; searchable and paged."""
    _on_platform()
    search, status = request.args.get("q", ""), request.args.get("status", "")
    page = services.console_page(search, status, request.args.get("page", 1, type=int))
    return render_page(
        "organizations/console.html",
        partial="organizations/_console_results.html",
        page=page,
        args=request.args,
        statuses=[TenantStatus.ACTIVE, TenantStatus.SUSPENDED, TenantStatus.ARCHIVED],
    )


@bp.post("/organizations/figures")
@requires("organizations.manage")
def refresh_figures():
    """Recount every organization's figures in the background (the list shows when they were counted)."""
    _on_platform()
    enqueue(None, figures.refresh_figures, retries=0, timeout=3600)
    flash("Counting every organization's figures in the background; reload this page in a minute.")
    return redirect(url_for("organization_pages.console"))


@bp.route("/organizations/new", methods=["GET", "POST"])
@requires("organizations.manage")
def new_organization():
    """Create an organization: its address, its name and its first admin, who is invited by e-mail."""
    _on_platform()
    form = OrganizationForm()
    base = current_app.config["LMS_BASE_DOMAIN"]
    form.slug.description = f"3 to 40 lowercase letters, digits or hyphens: acme answers at acme.{base}."
    status = 200
    if form.validate_on_submit():
        try:
            organization = services.create_organization_and_invite(
                form.slug.data, form.name.data, form.admin_email.data
            )
            flash(f"{organization.name} is ready; its first admin has an invitation on the way.")
            return redirect(url_for("organization_pages.organization", organization_id=organization.id))
        except DomainError as error:
            apply_domain_error(form, error)
            status = error.status
    elif form.is_submitted():
        status = 422
    return render_template("organizations/new.html", form=form), status


def _organization_page(organization_id, archive_form=None, status=200):
    organization, counted = services.console_organization(organization_id)
    archive_form = archive_form or ArchiveForm(formdata=None)
    archive_form.confirm_slug.description = f"Type {organization.slug} exactly."
    return render_template(
        "organizations/detail.html",
        organization=organization,
        figures=counted,
        url=services.organization_url(organization.slug),
        status_form=OrganizationStatusForm(),
        archive_form=archive_form,
    ), status


@bp.get("/organizations/<int:organization_id>")
@requires("organizations.manage")
def organization(organization_id):
    """One organization: its figures, suspend or reactivate, archive with a backup."""
    _on_platform()
    return _organization_page(organization_id)


@bp.post("/organizations/<int:organization_id>/status")
@requires("organizations.manage")
def organization_status(organization_id):
    """Suspend an organization (its people see a page saying so) or reactivate it."""
    _on_platform()
    form = OrganizationStatusForm()
    if not form.validate_on_submit():
        return _organization_page(organization_id, status=400)
    try:
        organization = services.set_organization_status(organization_id, form.status.data)
    except DomainError as error:
        flash(error.message)
        return redirect(url_for("organization_pages.organization", organization_id=organization_id))
    flash(f"{organization.name} is {'suspended' if organization.status == TenantStatus.SUSPENDED else 'active'}.")
    return redirect(url_for("organization_pages.organization", organization_id=organization_id))


@bp.post("/organizations/<int:organization_id>/archive")
@requires("organizations.manage")
def archive_organization(organization_id):
    """Back up an organization's database and archive it, once its address is typed to confirm."""
    _on_platform()
    form = ArchiveForm()
    if form.validate_on_submit():
        try:
            organization = services.archive_confirmed(organization_id, form.confirm_slug.data)
            flash(f"{organization.name} is archived; its backup is at {organization.backup_path}.")
            return redirect(url_for("organization_pages.organization", organization_id=organization_id))
        except DomainError as error:
            apply_domain_error(form, error)
            return _organization_page(organization_id, form, error.status)
    return _organization_page(organization_id, form, 422)


@bp.cli.command("refresh-figures")
def refresh_figures_command():
    """Recount every organization's people, courses, storage and last activity (run it from cron)."""
    read, failed = figures.refresh_figures()
    click.echo(f"{read} organizations counted" + (f"; could not read: {', '.join(failed)}" if failed else ""))
    if failed:
        raise SystemExit(1)
