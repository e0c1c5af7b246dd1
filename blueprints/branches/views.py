"""Branch pages: the branches in sight with their people and classes; org admins create, edit, configure
and archive them, branch managers see theirs (the API lets them change none of it)."""

from flask import Blueprint, flash, redirect, render_template, url_for

from app.errors import DomainError, PermissionDenied
from app.forms import apply_domain_error
from app.security.actor import current_actor
from app.security.principal import requires
from blueprints.branches import services
from blueprints.branches.forms import ArchiveBranchForm, BranchForm, BranchSettingsForm

bp = Blueprint("branch_pages", __name__, url_prefix="/branches")


def _status(error):
    return 422 if error.status == 400 else error.status


@bp.route("", methods=["GET", "POST"])
@requires("branches.read")
def index():
    """The branches you may see with how many people and classes each has; org admins add one here."""
    form = BranchForm()
    status = 200
    if form.is_submitted():
        if not current_actor.can("branches.manage"):
            raise PermissionDenied("Only an org admin creates branches.")
        if form.validate_on_submit():
            try:
                branch = services.create_branch({"name": form.name.data, "code": form.code.data})
                flash(f"Branch {branch.name} created.")
                return redirect(url_for("branch_pages.detail", branch_id=branch.id))
            except DomainError as error:
                apply_domain_error(form, error)
                status = _status(error)
        else:
            status = 422
    overview = services.branch_overview(current_actor.scope)
    return render_template("branches/index.html", overview=overview, form=form), status


def _detail_page(branch, form=None, settings_form=None, archive_form=None, status=200):
    own = {key: value for key, value in (branch.settings or {}).items() if value not in (None, "")}
    if settings_form is None:
        settings_form = BranchSettingsForm(data=own)
    return render_template(
        "branches/detail.html",
        branch=branch,
        usage=services.branch_usage(branch.id),
        form=form or BranchForm(obj=branch),
        settings_form=settings_form,
        archive_form=archive_form or ArchiveBranchForm(),
        inherited=services.organization_settings(),
        effective=services.effective_settings(branch),
        own=own,
    ), status


def _branch(branch_id):
    return services.get_branch(branch_id, current_actor.scope)


@bp.get("/<int:branch_id>")
@requires("branches.read")
def detail(branch_id):
    """One branch: its people and classes, its name and code, the settings it overrides."""
    return _detail_page(_branch(branch_id))


@bp.post("/<int:branch_id>")
@requires("branches.manage")
def edit(branch_id):
    """Rename a branch or change its code."""
    branch = _branch(branch_id)
    form = BranchForm()
    if not form.validate_on_submit():
        return _detail_page(branch, form=form, status=422)
    try:
        services.update_branch(branch, {"name": form.name.data, "code": form.code.data})
    except DomainError as error:
        apply_domain_error(form, error)
        return _detail_page(_branch(branch_id), form=form, status=_status(error))
    flash("Saved.")
    return redirect(url_for("branch_pages.detail", branch_id=branch_id))


@bp.post("/<int:branch_id>/settings")
@requires("branches.manage")
def settings(branch_id):
    """Override some organization settings for this branch; an empty field follows the organization."""
    branch = _branch(branch_id)
    form = BranchSettingsForm()
    if not form.validate_on_submit():
        return _detail_page(branch, settings_form=form, status=422)
    changes = {key: (getattr(form, key).data or "").strip() or None for key in services.BRANCH_SETTING_KEYS}
    try:
        services.update_branch_settings(branch, changes)
    except DomainError as error:
        apply_domain_error(form, error)
        return _detail_page(branch, settings_form=form, status=_status(error))
    flash("Branch settings saved.")
    return redirect(url_for("branch_pages.detail", branch_id=branch_id))


@bp.post("/<int:branch_id>/archive")
@requires("branches.manage")
def archive(branch_id):
    """Archive a branch after a confirmation (an empty one is deleted); its people and classes stay."""
    branch = _branch(branch_id)
    form = ArchiveBranchForm()
    if not form.validate_on_submit():
        return _detail_page(branch, archive_form=form, status=422)
    name = branch.name
    _branch_gone, outcome = services.delete_branch(branch, force=True)
    flash(f"Branch {name} {'archived' if outcome == 'archived' else 'deleted (it was empty)'}.")
    return redirect(url_for("branch_pages.index"))
