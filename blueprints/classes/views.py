"""Class pages: the classes of your branches, and each class's roster."""

from flask import Blueprint, flash, redirect, render_template, request, url_for

from app.api.listing import parse_list_query
from app.errors import DomainError
from app.forms import apply_domain_error
from app.pages import render_page
from app.security.actor import current_actor
from app.security.principal import requires
from blueprints.branches.queries import branch_choices
from blueprints.classes import services
from blueprints.classes.forms import AddMembersForm, ClassForm

bp = Blueprint("class_pages", __name__, url_prefix="/classes")


@bp.route("", methods=["GET", "POST"])
@requires("classes.read")
def index():
    """The classes of your branches, and (for managers) a form for a new one."""
    scope = current_actor.scope
    form = ClassForm()
    form.branch_id.choices = [(b.id, b.name) for b in branch_choices(scope)]
    status = 200
    if request.method == "POST":
        if not current_actor.can("classes.manage"):
            return redirect(url_for("class_pages.index"))
        if form.validate_on_submit():
            try:
                created = services.create_class(
                    {
                        "branch_id": form.branch_id.data,
                        "name": form.name.data,
                        "term_start": form.term_start.data,
                        "term_end": form.term_end.data,
                    },
                    scope,
                )
                return redirect(url_for("class_pages.roster", class_id=created.id))
            except DomainError as error:
                apply_domain_error(form, error)
        status = 422
    page = services.list_classes(parse_list_query({"per_page": "100"}, services.CLASS_LIST), scope)
    names = dict(form.branch_id.choices)
    return render_template(
        "classes/index.html", classes=page.items, total=page.total, form=form, branch_names=names
    ), status


@bp.route("/<int:class_id>", methods=["GET", "POST"])
@requires("classes.read")
def roster(class_id):
    """A class's teachers and students; managers add people by e-mail."""
    scope = current_actor.scope
    school_class = services.get_class(class_id, scope)
    form = AddMembersForm()
    status = 200
    if request.method == "POST" and current_actor.can("classes.manage") and form.validate_on_submit():
        scope.require(school_class.branch_id)
        try:
            added, missing = services.add_members_by_email(
                school_class, (form.emails.data or "").splitlines(), form.role.data, scope, user_ids=form.user_ids.data
            )
            flash(f"{added} added as {form.role.data}s." if added else "Nobody added.")
            if missing:
                flash(f"Nobody you manage has these addresses: {', '.join(missing)}.")
            return redirect(url_for("class_pages.roster", class_id=class_id))
        except DomainError as error:
            apply_domain_error(form, error)
            status = 422
    elif request.method == "POST":
        status = 422
    return render_template(
        "classes/roster.html", school_class=school_class, members=services.list_members(school_class), form=form
    ), status


@bp.post("/<int:class_id>/members/<int:user_id>/remove")
@requires("classes.manage")
def remove(class_id, user_id):
    """Take someone out of the class; answers an empty row to htmx."""
    school_class = services.get_class(class_id, current_actor.scope, manage=True)
    services.remove_member(school_class, user_id)
    return render_page(
        "classes/roster.html",
        partial="classes/_removed.html",
        school_class=school_class,
        members=services.list_members(school_class),
        form=AddMembersForm(formdata=None),
    )
