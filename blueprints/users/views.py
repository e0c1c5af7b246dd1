"""Pages for an org admin's and a branch manager's work on people: the list, a person, add and edit."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from werkzeug.datastructures import MultiDict

from app.api.downloads import csv_download
from app.api.listing import parse_list_query
from app.errors import BadRequest, DomainError
from app.forms import apply_domain_error
from app.pages import render_page
from app.security.actor import current_actor
from app.security.permissions import ORG_ADMIN
from app.security.principal import requires
from blueprints.branches.queries import branch_choices
from blueprints.users import management
from blueprints.users import memberships as people
from blueprints.users import services as users
from blueprints.users.export import export_people
from blueprints.users.forms import ROLE_CHOICES, PersonEditForm, PersonForm
from blueprints.users.listing import ANY_STATUS, CURRENT_STATUSES, USER_LIST, is_status_choice, with_status

bp = Blueprint("people_pages", __name__, url_prefix="/people")


PAGE_SIZE = 20


# The page's status choices: who may sign in or is invited to (the default), each status, everyone.
STATUS_CHOICES = (
    (CURRENT_STATUSES, "Active and invited"),
    ("active", "Active"),
    ("invited", "Invited"),
    ("inactive", "Deactivated"),
    ("archived", "Archived by policy"),
    (ANY_STATUS, "Everyone"),
)


def _list_args(args):
    """The page's plain parameters (q, role, status, branch, page) as list-helper parameters."""
    mapped = MultiDict({"page": args.get("page", "1"), "per_page": str(PAGE_SIZE), "sort": "last_name,first_name"})
    for name in ("q", "role", "branch"):
        if args.get(name):
            mapped[f"filter[{name}]"] = args[name]
    status = args.get("status") or CURRENT_STATUSES
    if not is_status_choice(status):
        raise BadRequest("Unknown status.", {"status": [f"Use one of {', '.join(v for v, _ in STATUS_CHOICES)}."]})
    return with_status(mapped, status)


@bp.get("")
@requires("users.read")
def index():
    """Everyone you may see (who may sign in or is invited, unless you ask for more), searchable as you type,
    filtered and paged."""
    scope = current_actor.scope
    try:
        query = parse_list_query(_list_args(request.args), USER_LIST)
    except DomainError:
        return redirect(url_for("people_pages.index"))
    page = users.list_users(query, scope)
    return render_page(
        "people/index.html",
        partial="people/_results.html",
        page=page,
        args=request.args,
        statuses=STATUS_CHOICES,
        status=request.args.get("status") or CURRENT_STATUSES,
        branches=branch_choices(scope),
        last_page=max(1, -(-page.total // PAGE_SIZE)),
    )


@bp.get("/export.csv")
@requires("users.read")
def export():
    """Everyone you may see (with the page's search and filters) as CSV in the import's columns."""
    try:
        query = parse_list_query(_list_args(request.args), USER_LIST)
    except DomainError:
        return redirect(url_for("people_pages.index"))
    return csv_download(export_people(query, current_actor.scope), "people.csv")


@bp.get("/picker")
@requires("users.read")
def picker():
    """A people picker's results: the people already ticked, then up to 10 others matching the search."""
    chosen, matches = people.pick_people(
        request.args.get("picker_q", "")[:200], request.args.getlist("user_ids"), current_actor.scope
    )
    return render_page(
        "people/picker.html",
        partial="people/_picker.html",
        chosen=chosen,
        matches=matches,
        text=request.args.get("picker_q", ""),
    )


@bp.get("/<int:user_id>")
@requires("users.read")
def detail(user_id):
    """One person: their details, branches and classes."""
    principal = current_actor.principal
    scope = current_actor.scope
    person = users.get_user(user_id, scope)
    can_manage = principal.can("users.manage") and not users.unmanageable_ids([person.id], scope)
    return render_template(
        "people/detail.html", person=person, memberships=people.memberships_of(person), can_manage=can_manage
    )


@bp.post("/<int:user_id>/active")
@requires("users.manage")
def set_active(user_id):
    """Deactivate or reactivate a person (their records stay either way)."""
    person = users.get_manageable_user(user_id, current_actor.scope)
    management.set_active(person, request.form.get("active") == "1")
    flash(f"{person.full_name} is {'active again' if person.is_active else 'deactivated'}.")
    return redirect(url_for("people_pages.detail", user_id=user_id))


def _role_choices(scope):
    """Only the roles this person may give: a branch manager never sees "org admin" offered."""
    return ROLE_CHOICES if scope.organization_wide else [c for c in ROLE_CHOICES if c.value != ORG_ADMIN]


@bp.route("/new", methods=["GET", "POST"])
@requires("users.manage")
def new():
    """Add one person; they get an invitation to choose a password."""
    scope = current_actor.scope
    form = PersonForm()
    form.role.choices = _role_choices(scope)
    choices = [(b.id, b.name) for b in branch_choices(scope)]
    form.branch_id.choices = choices if not scope.organization_wide else [(0, "No branch"), *choices]
    status = 200
    if form.validate_on_submit():
        data = {
            key: getattr(form, key).data
            for key in ("email", "first_name", "last_name", "role", "external_id", "send_invitation")
        }
        data["branch_ids"] = [form.branch_id.data] if form.branch_id.data else []
        try:
            person = management.add_person(data, scope)
            flash(f"{person.full_name} added." + (" An invitation is on its way." if data["send_invitation"] else ""))
            return redirect(url_for("people_pages.detail", user_id=person.id))
        except DomainError as error:
            apply_domain_error(form, error)
            status = error.status if error.status != 400 else 422
    elif form.is_submitted():
        status = 422
    return render_template("people/form.html", form=form, title="Add a person"), status


@bp.route("/<int:user_id>/edit", methods=["GET", "POST"])
@requires("users.manage")
def edit(user_id):
    """Change a person's names, role, external id, branches and (org admins) sign-in address."""
    scope = current_actor.scope
    person = users.get_manageable_user(user_id, scope)
    form = PersonEditForm(obj=person, branch_ids=people.branch_ids_of(person, scope))
    form.role.choices = _role_choices(scope)
    form.branch_ids.choices = [(b.id, b.name) for b in branch_choices(scope)]
    fields = ["first_name", "last_name", "role", "external_id"]
    if request.method == "GET" or "branches_on_form" in request.form:
        fields.append("branch_ids")  # a form without the branch boxes (an older page, a script) keeps them
    if scope.organization_wide and (request.method == "GET" or "email" in request.form):
        fields.append("email")
    else:  # only org admins move a sign-in address
        del form.email
    status = 200
    if form.validate_on_submit():
        data = {key: getattr(form, key).data for key in fields}
        try:
            management.edit_person(person, data, scope)
            flash("Saved.")
            return redirect(url_for("people_pages.detail", user_id=person.id))
        except DomainError as error:
            apply_domain_error(form, error)
            status = 422 if error.status == 400 else error.status
    elif form.is_submitted():
        status = 422
    return render_template("people/form.html", form=form, title=f"Edit {person.full_name}", person=person), status


@bp.post("/<int:user_id>/invitation")
@requires("users.manage")
def resend_invitation(user_id):
    """Send the invitation again to someone who never chose a password."""
    person = users.get_manageable_user(user_id, current_actor.scope)
    try:
        management.resend_invitation(person)
        flash(f"A new invitation is on its way to {person.email}; earlier links stop working.")
    except DomainError as error:
        flash(error.message)
    return redirect(url_for("people_pages.detail", user_id=user_id))
