"""Pages for an org admin's privacy work: a person's data (export, erasure) and the archiving policy."""

from flask import Blueprint, flash, redirect, render_template, request, url_for

from app.errors import DomainError
from app.pages import organizations_only, render_page
from app.security.actor import current_actor
from app.security.principal import requires
from app.tenancy.models import utcnow
from blueprints.privacy import archiving, erasure, exports
from blueprints.privacy.models import ExportStatus
from blueprints.users.services import get_user

bp = Blueprint("privacy_pages", __name__)
organizations_only(bp)


def _person_page(person, status=200, erase_error=None, typed=""):
    export_list = exports.exports_of_person(person.id, current_actor)
    return render_page(
        "privacy/person.html",
        partial="privacy/_exports.html",
        person=person,
        exports=export_list,
        live=any(e.status in (ExportStatus.QUEUED, ExportStatus.RUNNING) for e in export_list),
        erased=erasure.erasure_of(person.id),
        erase_error=erase_error,
        typed=typed,
        is_self=current_actor.kind == "user" and current_actor.id == person.id,
        now_utc=utcnow(),
    ), status


@bp.get("/people/<int:user_id>/privacy")
@requires("privacy.manage")
def person(user_id):
    """A person's data: export everything about them as a ZIP, or erase them."""
    return _person_page(get_user(user_id, current_actor.scope))


@bp.post("/people/<int:user_id>/privacy/exports")
@requires("privacy.manage")
def export(user_id):
    """Ask for a ZIP of everything about this person; the page shows its progress."""
    try:
        exports.request_export(user_id, current_actor)
        flash("The export is being made; it appears below when ready.")
    except DomainError as error:
        if error.status == 404:
            raise
        flash(error.message)
    return redirect(url_for("privacy_pages.person", user_id=user_id))


@bp.get("/privacy/exports/<int:export_id>/download")
@requires("privacy.manage")
def download(export_id):
    """The export's ZIP, for the person who asked for it."""
    return exports.serve_export(export_id, current_actor)


@bp.post("/people/<int:user_id>/privacy/erasure")
@requires("privacy.manage")
def erase(user_id):
    """Erase the person once their e-mail address is typed again (irreversible)."""
    typed = request.form.get("confirm_email", "")[:254]
    try:
        done, _now = erasure.erase_person(user_id, typed, current_actor)
    except DomainError as error:
        if error.status == 404:
            raise
        return _person_page(get_user(user_id, current_actor.scope), 422, error.message, typed)
    flash(f"Erased: the person is now {done.pseudonym}.")
    return redirect(url_for("privacy_pages.person", user_id=user_id))


def _months_from(form):
    """The form's months (text) as the service takes them: a number, None for an empty box; errors by field."""
    values, errors = {}, {}
    for name in ("course_months", "people_months"):
        raw = (form.get(name) or "").strip()
        if not raw:
            values[name] = None
        elif raw.isdigit() and len(raw) <= 4:
            values[name] = int(raw)
        else:
            values[name], errors[name] = None, ["A whole number of months, or empty for off."]
    return values, errors


@bp.route("/settings/archiving", methods=["GET", "POST"])
@requires("privacy.manage")
def archiving_page():
    """The archiving policy: what it would change (a dry run), save it, run it now, reverse a run."""
    policy = archiving.current_policy()
    values = {"course_months": policy.course_months, "people_months": policy.people_months}
    errors, preview, status = {}, None, 200
    source = request.form if request.method == "POST" else request.args
    if request.method == "POST" or "preview" in request.args:
        values, errors = _months_from(source)
    if not errors and (request.method == "POST" or "preview" in request.args):
        try:
            if request.method == "POST" and source.get("action") == "save":
                archiving.save_policy(values, current_actor)
                flash("Archiving policy saved. The daily sweep applies it.")
                return redirect(url_for("privacy_pages.archiving_page"))
            preview = archiving.preview(values, current_actor)
        except DomainError as error:
            errors = error.details or {"_": [error.message]}
    if errors:
        status = 422 if request.method == "POST" else 200
    return render_template(
        "privacy/archiving.html",
        values=values,
        errors=errors,
        preview=preview,
        runs=archiving.list_runs(current_actor),
        policy=policy,
    ), status


@bp.post("/settings/archiving/runs")
@requires("privacy.manage")
def run_now():
    """Apply the saved policy now."""
    try:
        run = archiving.apply_policy(actor=current_actor)
        flash(f"Run #{run.id}: {run.course_count} courses archived, {run.people_count} people deactivated.")
    except DomainError as error:
        flash(error.message)
    return redirect(url_for("privacy_pages.archiving_page"))


@bp.post("/settings/archiving/runs/<int:run_id>/reversal")
@requires("privacy.manage")
def reverse(run_id):
    """Put back what a run changed."""
    try:
        run = archiving.reverse_run(run_id, current_actor)
        restored = run.restored or {}
        flash(
            f"Run #{run.id} reversed: {len(restored.get('course_ids', []))} courses and "
            f"{len(restored.get('user_ids', []))} people are back."
        )
    except DomainError as error:
        if error.status == 404:
            raise
        flash(error.message)
    return redirect(url_for("privacy_pages.archiving_page"))
