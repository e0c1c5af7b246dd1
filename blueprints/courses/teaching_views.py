"""The teacher's pages: courses, the editor (outline, content, versions, publish) and the roster."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from werkzeug.datastructures import MultiDict

from app.api.downloads import csv_download
from app.api.listing import parse_list_query
from app.errors import BadRequest, DomainError, NotFound, ValidationFailed
from app.forms import apply_domain_error
from app.pages import is_htmx, render_page
from app.security.actor import current_actor
from app.security.principal import requires
from blueprints.assessments.quizzes import quizzes_of_course
from blueprints.branches.queries import branch_choices
from blueprints.classes.services import CLASS_LIST, list_classes
from blueprints.courses import access, content, covers, media, services
from blueprints.courses.forms import (
    CourseForm,
    CourseSettingsForm,
    EnrollForm,
    ItemForm,
    MediaForm,
    RenameForm,
    VersionForm,
)
from blueprints.courses.models import ContentKind
from blueprints.learning import roster as learners
from blueprints.learning import services as learning

bp = Blueprint("teaching_pages", __name__, url_prefix="/teach")


@bp.route("", methods=["GET", "POST"])
@requires("courses.manage")
def index():
    """The courses you teach or manage, and a new one."""
    principal = current_actor.principal
    form = CourseForm()
    if form.validate_on_submit():
        try:
            created = services.create_course(
                {"title": form.title.data, "summary": form.summary.data or ""}, principal, current_actor.scope
            )
            return redirect(url_for("teaching_pages.editor", course_id=created.id))
        except DomainError as error:
            apply_domain_error(form, error)
    overview = services.course_overview(principal, current_actor.scope)
    return render_template("courses/teach_index.html", overview=overview, form=form)


def _settings_form(course, formdata=None):
    """The settings form with its choices; unposted, it shows the course's current settings."""
    principal = current_actor.principal
    choices = services.settings_choices(course, principal, current_actor.scope)
    current = {
        "due_days": course.due_days,
        "self_enrollment": course.self_enrollment,
        "prerequisite_ids": choices.prerequisite_ids,
        "branch_ids": choices.branch_ids,
    }
    form = CourseSettingsForm(formdata=formdata, data=current)
    form.prerequisite_ids.choices = choices.prerequisites
    form.branch_ids.choices = choices.branches
    form.branches_editable = choices.branches_editable
    return form


def _editor_context(course, item_form=None, course_form=None, cover_form=None, settings_form=None, outline_error=None):
    modules = services.outline(course)
    item_form = item_form or ItemForm(formdata=None)
    item_form.module_id.choices = [(0, "A new module")] + [(m["id"], m["title"]) for m in modules]
    return {
        "course": course,
        "modules": modules,
        "newest_versions": content.newest_version_numbers(course),
        "outline_error": outline_error or {},
        "item_form": item_form,
        "course_form": course_form or CourseForm(formdata=None, obj=course, description=course.description_html),
        "cover_form": cover_form or MediaForm(formdata=None),
        "settings_form": settings_form or _settings_form(course),
        "quizzes": quizzes_of_course(course.id),  # each links to its item analysis
    }


@bp.route("/<int:course_id>", methods=["GET", "POST"])
@requires("courses.manage")
def editor(course_id):
    """Edit the course: its details and status, the outline's order, new items."""
    course = access.course_for(course_id, "manage")
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
                },
                current_actor.principal,
                current_actor.scope,
            )
            flash("Course saved.")
            return redirect(url_for("teaching_pages.editor", course_id=course.id))
        if item_form:
            _editor_context(course, item_form)  # fills the module choices before validation
            if item_form.validate_on_submit():
                data = {"kind": item_form.kind.data, "title": item_form.title.data, "body": item_form.body.data}
                new_module = (item_form.module_title.data or "").strip()
                if new_module:  # a name typed for a new module wins over the module selected in the list
                    data["module_title"] = new_module
                elif item_form.module_id.data:
                    data["module_id"] = item_form.module_id.data
                else:
                    raise ValidationFailed(
                        "Choose a module or name a new one.",
                        {"module_title": ["Choose a module in the list, or type the name of a new module here."]},
                    )
                content.add_item(course, data, current_actor.principal)
                flash("Item added.")
                return redirect(url_for("teaching_pages.editor", course_id=course.id))
    except DomainError as error:
        apply_domain_error(item_form or course_form, error)
    if request.method == "POST":
        status = 422
    return render_template("courses/editor.html", **_editor_context(course, item_form, course_form)), status


@bp.post("/<int:course_id>/settings")
@requires("courses.manage")
def settings(course_id):
    """Save who may take the course and when: due days, prerequisites, self-enrollment, branches."""
    course = access.course_for(course_id, "manage")
    form = _settings_form(course, formdata=request.form)
    if form.validate_on_submit():
        data = {
            "due_days": form.due_days.data,
            "self_enrollment": form.self_enrollment.data,
            "prerequisite_ids": form.prerequisite_ids.data or [],
        }
        if form.branches_editable and request.form.get("branch_choice"):  # the ticks were shown: none = none
            data["branch_ids"] = form.branch_ids.data or []
        try:
            principal = current_actor.principal
            services.update_course(course, data, principal, current_actor.scope)
            flash("Settings saved.")
            return redirect(url_for("teaching_pages.editor", course_id=course.id) + "#settings")
        except DomainError as error:
            course = access.course_for(course_id, "manage")  # as it is stored: the refused change was rolled back
            apply_domain_error(form, error)
    return render_template("courses/editor.html", **_editor_context(course, settings_form=form)), 422


@bp.post("/<int:course_id>/cover")
@requires("courses.manage")
def set_cover(course_id):
    """Upload the course's cover image (re-encoded; its metadata dropped)."""
    course = access.course_for(course_id, "manage")
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
    covers.remove_cover(access.course_for(course_id, "manage"))
    flash("Cover removed.")
    return redirect(url_for("teaching_pages.editor", course_id=course_id))


@bp.post("/<int:course_id>/move/<kind>/<int:object_id>/<direction>")
@requires("courses.manage")
def move(course_id, kind, object_id, direction):
    """Move a module or an item up or down; answers the outline to htmx."""
    course = access.course_for(course_id, "manage")
    if kind not in ("module", "item") or direction not in ("up", "down"):
        return redirect(url_for("teaching_pages.editor", course_id=course.id))
    content.move(course, kind, object_id, direction)
    return render_page("courses/editor.html", partial="courses/_outline_editor.html", **_editor_context(course))


def _outline_answer(course, outline_error=None):
    """After an outline change: the outline fragment to htmx, the editor page otherwise (422 on an error)."""
    status = 422 if outline_error else 200
    if not outline_error and not is_htmx():
        return redirect(url_for("teaching_pages.editor", course_id=course.id))
    context = _editor_context(course, outline_error=outline_error)
    return render_page("courses/editor.html", partial="courses/_outline_editor.html", **context), status


def _outline_change(course, key, change):
    """Run an outline change; a refusal is shown next to the row it concerns."""
    try:
        change()
    except DomainError as error:
        messages = [m for field in (error.details or {}).values() for m in field] or [error.message]
        return _outline_answer(course, {key: " ".join(messages)})
    return _outline_answer(course)


@bp.post("/<int:course_id>/items/<int:item_id>/rename")
@requires("courses.manage")
def rename_item(course_id, item_id):
    """Rename an item in the outline (its content keeps its versions)."""
    course, target = access.course_item_for(course_id, item_id, "manage")
    form = RenameForm()
    title = form.title.data if form.validate_on_submit() else ""
    return _outline_change(course, f"item-{target.id}", lambda: content.change_item(target, title=title))


@bp.post("/<int:course_id>/items/<int:item_id>/module")
@requires("courses.manage")
def move_item_to_module(course_id, item_id):
    """Move an item to the end of another module."""
    course, target = access.course_item_for(course_id, item_id, "manage")
    module_id = request.form.get("module_id", "")
    if not (module_id.isascii() and module_id.isdigit() and len(module_id) < 10):
        return _outline_answer(course, {f"item-{target.id}": "Choose a module."})
    return _outline_change(course, f"item-{target.id}", lambda: content.change_item(target, module_id=int(module_id)))


@bp.route("/<int:course_id>/items/<int:item_id>/delete", methods=["GET", "POST"])
@requires("courses.manage")
def delete_item(course_id, item_id):
    """Ask, then remove an item; the question says what learners lose."""
    course, target = access.course_item_for(course_id, item_id, "manage")
    if request.method == "POST":
        content.delete_item(target)
        flash(f"“{target.title}” removed.")
        return redirect(url_for("teaching_pages.editor", course_id=course.id))
    return render_template(
        "courses/confirm_delete.html",
        course=course,
        kind="item",
        what=f"the item “{target.title}”",
        items=[target],
        learners=content.progress_at_stake([target.id]),
        action=url_for("teaching_pages.delete_item", course_id=course.id, item_id=target.id),
    )


@bp.post("/<int:course_id>/modules/<int:module_id>/rename")
@requires("courses.manage")
def rename_module(course_id, module_id):
    """Rename a module."""
    course = access.course_for(course_id, "manage")
    module = content.get_module(course, module_id)
    form = RenameForm()
    title = form.title.data if form.validate_on_submit() else ""
    return _outline_change(course, f"module-{module.id}", lambda: content.rename_module(module, title))


@bp.route("/<int:course_id>/modules/<int:module_id>/delete", methods=["GET", "POST"])
@requires("courses.manage")
def delete_module(course_id, module_id):
    """Ask, then remove a module with its items; the question lists them and says what learners lose."""
    course = access.course_for(course_id, "manage")
    module = content.get_module(course, module_id)
    if request.method == "POST":
        content.delete_module(module)
        flash(f"Module “{module.title}” removed.")
        return redirect(url_for("teaching_pages.editor", course_id=course.id))
    items = content.items_of_module(module)
    return render_template(
        "courses/confirm_delete.html",
        course=course,
        kind="module",
        what=f"the module “{module.title}”",
        items=items,
        learners=content.progress_at_stake([i.id for i in items]),
        action=url_for("teaching_pages.delete_module", course_id=course.id, module_id=module.id),
    )


@bp.route("/<int:course_id>/items/<int:item_id>", methods=["GET", "POST"])
@requires("courses.manage")
def item(course_id, item_id):
    """Edit an item: every save is a new version; older ones can be compared and restored."""
    course, target = access.course_item_for(course_id, item_id, "manage")
    form = _version_form(target, formdata=request.form if request.method == "POST" else None)
    if form.validate_on_submit():
        try:
            content.new_version(
                target,
                form.body.data,
                form.change_note.data,
                current_actor.principal,
                publish=form.publish.data,
                title=form.title.data,
            )
            flash("Saved as a new version.")
            return redirect(url_for("teaching_pages.item", course_id=course.id, item_id=target.id))
        except DomainError as error:
            apply_domain_error(form, error)
    compare = None
    if request.args.get("from") or request.args.get("to"):
        first, second = _compared_versions(request.args)
        compare = {
            "from": first,
            "to": second,
            "words": content.compare(target, first, second),
            "source": content.diff(target, first, second),
        }
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
    course, target = access.course_item_for(course_id, item_id, "manage")
    form = MediaForm()
    if form.validate_on_submit():
        try:
            saved = media.upload(target, form.file.data, current_actor.principal)
            flash(f"{saved.filename} uploaded.")
            return redirect(url_for("teaching_pages.item", course_id=course.id, item_id=target.id))
        except DomainError as error:
            apply_domain_error(form, error)
    return _item_page(course, target, media_form=form, status=422)


@bp.post("/<int:course_id>/items/<int:item_id>/media/<int:media_id>/delete")
@requires("courses.manage")
def delete_media(course_id, item_id, media_id):
    """Remove a file from an item."""
    course, _ = access.course_item_for(course_id, item_id, "manage")
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
    course, target = access.course_item_for(course_id, item_id, "manage")
    content.restore(target, number, current_actor.principal)
    flash(f"Version {number} restored as a new version.")
    return redirect(url_for("teaching_pages.item", course_id=course.id, item_id=item_id))


def enrollment_summary(outcome):
    """ "3 enrolled (2 were already)." or "Already enrolled: 24 people, 0 new." """
    created, already = outcome["created"], outcome["already_enrolled"]
    people = f"{already} {'person' if already == 1 else 'people'}"
    if already and not created:
        return f"Already enrolled: {people}, 0 new."
    return f"{created} enrolled" + (f" ({people} already were)." if already else ".")


@bp.route("/<int:course_id>/roster", methods=["GET", "POST"])
@requires("courses.manage")
def roster(course_id):
    """Who takes the course and how far they are; enroll a class or people by e-mail.

    A branch manager also gets here for the published courses open to their branches: they see and
    enroll the people of their branches only."""
    scope = current_actor.scope
    course, branch_ids = access.roster_for(course_id)
    form = EnrollForm()
    classes = list_classes(parse_list_query({"per_page": "100"}, CLASS_LIST), scope).items
    names = {b.id: b.name for b in branch_choices(scope)}
    form.class_id.choices = [(0, "—")] + [(c.id, f"{c.name} ({names.get(c.branch_id, '')})") for c in classes]
    if form.validate_on_submit():
        try:
            outcome = learning.enroll(
                course,
                user_ids=form.user_ids.data or (),
                emails=(form.emails.data or "").splitlines(),
                class_id=form.class_id.data or None,
                branch_ids=branch_ids,
            )
            flash(enrollment_summary(outcome))
            for refused in outcome["not_enrolled"]:
                flash(f"Not enrolled: {refused['email']} ({refused['reason']}).")
            return redirect(url_for("teaching_pages.roster", course_id=course.id))
        except DomainError as error:
            apply_domain_error(form, error)
    page = learners.course_progress(course, _roster_query(request.args), branch_ids=branch_ids)
    status = 422 if form.errors or form.form_errors else 200
    context = {
        "course": course,
        "page": page,
        "form": form,
        "can_edit": branch_ids is None,
        "args": request.args,
        "last_page": max(1, -(-page.total // ROSTER_PAGE_SIZE)),
    }
    return render_page("courses/roster.html", partial="courses/_roster_results.html", **context), status


ROSTER_PAGE_SIZE = 20


def _roster_query(args, per_page=ROSTER_PAGE_SIZE):
    """The roster page's plain parameters (q, page) as a list query over the active enrollments."""
    mapped = MultiDict({"page": args.get("page", "1"), "per_page": str(per_page), "filter[status]": "active"})
    if args.get("q"):
        mapped["filter[q]"] = args["q"][:200]
    return parse_list_query(mapped, learners.PROGRESS_LIST)


@bp.get("/<int:course_id>/roster.csv")
@requires("courses.manage")
def roster_export(course_id):
    """The roster as CSV: every enrolled learner matching the search, with their progress."""
    course, branch_ids = access.roster_for(course_id)
    return csv_download(
        learners.roster_csv(course, _roster_query(request.args), branch_ids=branch_ids), f"{course.slug}-roster.csv"
    )


@bp.get("/<int:course_id>/roster/<int:user_id>")
@requires("courses.manage")
def learner(course_id, user_id):
    """One learner in this course: progress per item, time spent, last activity."""
    course, branch_ids = access.roster_for(course_id)
    detail = learners.learner_in_course(course, user_id, branch_ids=branch_ids)
    return render_template("courses/learner.html", course=course, **detail)


@bp.route("/<int:course_id>/roster/<int:user_id>/unenroll", methods=["GET", "POST"])
@requires("courses.manage")
def unenroll(course_id, user_id):
    """Ask, then take a learner out of the course (their progress is kept: enrolling again resumes it)."""
    course, branch_ids = access.roster_for(course_id)
    detail = learners.learner_in_course(course, user_id, branch_ids=branch_ids)
    if request.method == "POST":
        learning.unenroll(course, user_id, branch_ids=branch_ids)
        flash(f"{detail['person'].email} unenrolled.")
        return redirect(url_for("teaching_pages.roster", course_id=course.id))
    return render_template("courses/confirm_unenroll.html", course=course, **detail)
