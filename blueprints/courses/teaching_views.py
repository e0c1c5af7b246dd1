"""The teacher's pages: courses, the editor (outline, content, versions, publish) and the roster."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from werkzeug.datastructures import MultiDict

from app.api.listing import parse_list_query
from app.errors import BadRequest, DomainError, NotFound
from app.forms import apply_domain_error
from app.pages import render_page
from app.security.principal import current_principal, requires
from blueprints.branches.queries import branch_choices
from blueprints.branches.scope import scope_of
from blueprints.classes.services import CLASS_LIST, list_classes
from blueprints.courses import access, content, covers, media, services
from blueprints.courses.forms import CourseForm, EnrollForm, ItemForm, MediaForm, VersionForm
from blueprints.courses.models import ContentKind
from blueprints.learning import services as learning

bp = Blueprint("teaching_pages", __name__, url_prefix="/teach")


def _managed(course_id):
    return access.course_for(course_id, "manage")


def _managed_item(course_id, item_id):
    """A course you manage and one of its items; an item of another course is not found here."""
    return access.course_item_for(course_id, item_id, "manage")


@bp.route("", methods=["GET", "POST"])
@requires("courses.manage")
def index():
    """The courses you teach or manage, and a new one."""
    principal = current_principal()
    form = CourseForm()
    if form.validate_on_submit():
        try:
            created = services.create_course(
                {"title": form.title.data, "summary": form.summary.data or ""}, principal, scope_of(principal)
            )
            return redirect(url_for("teaching_pages.editor", course_id=created.id))
        except DomainError as error:
            apply_domain_error(form, error)
    overview = services.course_overview(principal, scope_of(principal))
    return render_template("courses/teach_index.html", overview=overview, form=form)


def _editor_context(course, item_form=None, course_form=None, cover_form=None):
    modules = services.outline(course)
    item_form = item_form or ItemForm(formdata=None)
    item_form.module_id.choices = [(0, "A new module")] + [(m["id"], m["title"]) for m in modules]
    return {
        "course": course,
        "modules": modules,
        "item_form": item_form,
        "course_form": course_form or CourseForm(formdata=None, obj=course, description=course.description_html),
        "cover_form": cover_form or MediaForm(formdata=None),
    }


@bp.route("/<int:course_id>", methods=["GET", "POST"])
@requires("courses.manage")
def editor(course_id):
    """Edit the course: its details and status, the outline's order, new items."""
    course = _managed(course_id)
    course_form = CourseForm(obj=course) if request.form.get("form") == "course" else None
    item_form = ItemForm() if request.form.get("form") == "item" else None
    status = 200
    try:
        if course_form and course_form.validate_on_submit():
            services.update_course(
                course,
                {
                    "title": course_form.title.data,
                    "summary": course_form.summary.data or "",
                    "description": course_form.description.data or "",
                    "status": course_form.status.data,
                    "self_enrollment": course_form.self_enrollment.data,
                },
                current_principal(),
                scope_of(current_principal()),
            )
            flash("Course saved.")
            return redirect(url_for("teaching_pages.editor", course_id=course.id))
        if item_form:
            _editor_context(course, item_form)  # fills the module choices before validation
            if item_form.validate_on_submit():
                data = {"kind": item_form.kind.data, "title": item_form.title.data, "body": item_form.body.data}
                if item_form.module_id.data:
                    data["module_id"] = item_form.module_id.data
                else:
                    data["module_title"] = item_form.module_title.data
                content.add_item(course, data, current_principal())
                flash("Item added.")
                return redirect(url_for("teaching_pages.editor", course_id=course.id))
    except DomainError as error:
        apply_domain_error(item_form or course_form, error)
    if request.method == "POST":
        status = 422
    return render_template("courses/editor.html", **_editor_context(course, item_form, course_form)), status


@bp.post("/<int:course_id>/cover")
@requires("courses.manage")
def set_cover(course_id):
    """Upload the course's cover image (re-encoded; its metadata dropped)."""
    course = _managed(course_id)
    form = MediaForm()
    if form.validate_on_submit():
        try:
            covers.set_cover(course, form.file.data.stream)
            flash("Cover saved.")
            return redirect(url_for("teaching_pages.editor", course_id=course.id))
        except DomainError as error:
            apply_domain_error(form, error)
    return render_template("courses/editor.html", **_editor_context(course, cover_form=form)), 422


@bp.post("/<int:course_id>/cover/delete")
@requires("courses.manage")
def remove_cover(course_id):
    covers.remove_cover(_managed(course_id))
    flash("Cover removed.")
    return redirect(url_for("teaching_pages.editor", course_id=course_id))


@bp.post("/<int:course_id>/move/<kind>/<int:object_id>/<direction>")
@requires("courses.manage")
def move(course_id, kind, object_id, direction):
    """Move a module or an item up or down; answers the outline to htmx."""
    course = _managed(course_id)
    if kind not in ("module", "item") or direction not in ("up", "down"):
        return redirect(url_for("teaching_pages.editor", course_id=course.id))
    content.move(course, kind, object_id, direction)
    return render_page("courses/editor.html", partial="courses/_outline_editor.html", **_editor_context(course))


@bp.route("/<int:course_id>/items/<int:item_id>", methods=["GET", "POST"])
@requires("courses.manage")
def item(course_id, item_id):
    """Edit an item: every save is a new version; older ones can be compared and restored."""
    course, target = _managed_item(course_id, item_id)
    form = _version_form(target, formdata=request.form if request.method == "POST" else None)
    if form.validate_on_submit():
        try:
            content.new_version(
                target,
                form.body.data,
                form.change_note.data,
                current_principal(),
                publish=form.publish.data,
                title=form.title.data,
            )
            flash("Saved as a new version.")
            return redirect(url_for("teaching_pages.item", course_id=course.id, item_id=target.id))
        except DomainError as error:
            apply_domain_error(form, error)
    compare = None
    if request.args.get("from") or request.args.get("to"):
        compare = content.diff(target, *_compared_versions(request.args))
    return _item_page(course, target, form, compare=compare, status=422 if request.method == "POST" else 200)


def _compared_versions(args):
    """The two version numbers of `?from=&to=`: a 400 page for anything but two numbers (a number that is
    no version of the item is then a 404)."""
    wanted = {name: args.get(name, "") for name in ("from", "to")}
    malformed = [
        name for name, value in wanted.items() if not (value.isascii() and value.isdigit() and len(value) < 10)
    ]
    if malformed:
        raise BadRequest(
            "Compare two versions by their numbers, e.g. ?from=1&to=3.",
            {name: ["A version number."] for name in malformed},
        )
    return [int(value) for value in wanted.values()]


def _version_form(target, formdata=None):
    latest = content.latest_version(target)
    form = VersionForm(formdata=formdata, data={"title": target.title, "body": latest.body, "publish": True})
    if target.kind == ContentKind.TEXT:
        form.body.render_kw = {"data-rich-text": True, "rows": 12}
    else:
        form.body.description = "An https URL." if target.kind in (ContentKind.VIDEO, ContentKind.LINK) else ""
    return form


def _item_page(course, target, form=None, media_form=None, compare=None, status=200):
    """The item editor: its content form, its files, its versions (and a comparison of two)."""
    page = render_template(
        "courses/item_editor.html",
        course=course,
        item=target,
        form=form or _version_form(target),
        versions=content.versions(target),
        compare=compare,
        files=media.media_of([target.id]),
        takes_files=target.kind in media.ALLOWED,
        media_form=media_form or MediaForm(formdata=None),
    )
    return page, status


@bp.post("/<int:course_id>/items/<int:item_id>/media")
@requires("courses.manage")
def upload(course_id, item_id):
    """Attach a file to an item (checked by its real type)."""
    course, target = _managed_item(course_id, item_id)
    form = MediaForm()
    if form.validate_on_submit():
        try:
            saved = media.upload(target, form.file.data, current_principal())
            flash(f"{saved.filename} uploaded.")
            return redirect(url_for("teaching_pages.item", course_id=course.id, item_id=target.id))
        except DomainError as error:
            apply_domain_error(form, error)
    return _item_page(course, target, media_form=form, status=422)


@bp.post("/<int:course_id>/items/<int:item_id>/media/<int:media_id>/delete")
@requires("courses.manage")
def delete_media(course_id, item_id, media_id):
    """Remove a file from an item."""
    course, _ = _managed_item(course_id, item_id)
    file = media.get_media(media_id)
    if file.item_id != item_id:
        raise NotFound("No such file.")
    media.delete(file)
    flash(f"{file.filename} removed.")
    return redirect(url_for("teaching_pages.item", course_id=course.id, item_id=item_id))


@bp.post("/<int:course_id>/items/<int:item_id>/restore/<int:number>")
@requires("courses.manage")
def restore(course_id, item_id, number):
    """Bring an old version back as the newest, published one."""
    course, target = _managed_item(course_id, item_id)
    content.restore(target, number, current_principal())
    flash(f"Version {number} restored as a new version.")
    return redirect(url_for("teaching_pages.item", course_id=course.id, item_id=item_id))


@bp.route("/<int:course_id>/roster", methods=["GET", "POST"])
@requires("courses.manage")
def roster(course_id):
    """Who takes the course and how far they are; enroll a class or people by e-mail.

    A branch manager also gets here for the published courses open to their branches: they see and
    enroll the people of their branches only."""
    principal = current_principal()
    scope = scope_of(principal)
    course, branch_ids = services.course_roster(course_id, principal, scope)
    form = EnrollForm()
    classes = list_classes(parse_list_query({"per_page": "100"}, CLASS_LIST), scope).items
    names = {b.id: b.name for b in branch_choices(scope)}
    form.class_id.choices = [(0, "—")] + [(c.id, f"{c.name} ({names.get(c.branch_id, '')})") for c in classes]
    if form.validate_on_submit():
        try:
            created = learning.enroll_class(course, form.class_id.data, branch_ids) if form.class_id.data else 0
            user_ids, missing = services.user_ids_for_emails((form.emails.data or "").splitlines())
            if user_ids:
                created += learning.enroll_users(course, user_ids, branch_ids=branch_ids)
            flash(f"{created} enrolled." + (f" Nobody has these addresses: {', '.join(missing)}." if missing else ""))
            return redirect(url_for("teaching_pages.roster", course_id=course.id))
        except DomainError as error:
            apply_domain_error(form, error)
    args = MultiDict({"per_page": "100", "page": request.args.get("page", "1")})
    page = learning.course_progress(course, parse_list_query(args, learning.PROGRESS_LIST), branch_ids=branch_ids)
    status = 422 if form.errors or form.form_errors else 200
    return render_template(
        "courses/roster.html", course=course, page=page, form=form, can_edit=branch_ids is None
    ), status
