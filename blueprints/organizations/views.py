"""The org admin's settings page: name, branding, time zone, language, registration."""

from flask import Blueprint, flash, redirect, render_template, url_for
from werkzeug.datastructures import FileStorage

from app.errors import DomainError
from app.forms import apply_domain_error
from app.security.principal import requires
from app.tenancy.context import get_current_tenant
from blueprints.home.services import shaded_colors
from blueprints.organizations import settings as org_settings
from blueprints.organizations.forms import SettingsForm

bp = Blueprint("organization_pages", __name__)


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
