"""Reports pages: my reports (a progress bar while one is made, its download once done) and the form that asks
for one; a report's own page (the link scheduled mails carry); scheduled reports: list, create, edit, pause,
delete, with a searchable picker of their recipients."""

from flask import Blueprint, flash, redirect, request, url_for

from app.api.listing import parse_list_query
from app.errors import DomainError, NotFound
from app.extensions import db
from app.pages import organizations_only, render_page
from app.security.actor import current_actor
from app.security.principal import requires
from app.tenancy.models import utcnow
from blueprints.branches.queries import branch_choices
from blueprints.classes.services import CLASS_LIST, list_classes
from blueprints.courses.services import visible_courses
from blueprints.reports import generation, schedules
from blueprints.reports.kinds import KINDS, validate_params
from blueprints.reports.models import ReportStatus
from blueprints.reports.report_lists import may_see_everyones, reports_for
from blueprints.users.queries import names_of, user_ids_by_email

bp = Blueprint("report_pages", __name__, url_prefix="/reports")

FILTERS = ("branch_id", "class_id", "course_id")
CHOICE_LIMIT = 500


# Reports are an organization's: the platform's host has none
organizations_only(bp)


# --- the form's pieces ----------------------------------------------------------------------------------


def _kind_of(name):
    return KINDS.get(name) or next(iter(KINDS.values()))


def _filter_choices():
    """(id, name) of the branches, classes and courses the actor may filter on."""
    actor = current_actor
    classes = list_classes(parse_list_query({"per_page": "100"}, CLASS_LIST), actor.scope).items
    courses = db.session.scalars(
        visible_courses(actor.principal, actor.scope).order_by("title").limit(CHOICE_LIMIT)
    ).all()
    return {
        "branch_id": [(row.id, row.name) for row in branch_choices(actor.scope)],
        "class_id": [(c.id, c.name) for c in classes],
        "course_id": [(c.id, c.title) for c in courses],
    }


def _report_form_context(values, errors=None):
    kind = _kind_of(values.get("kind"))
    fmt = values.get("format") if values.get("format") in kind.formats else kind.formats[0]
    return {
        "kind_options": [(k.name, k.title) for k in KINDS.values()],
        "format_options": [(f, f.upper()) for f in kind.formats],
        "kind": kind,
        "values": values | {"kind": kind.name, "format": fmt},
        "errors": errors or {},
        "choices": _filter_choices(),
    }


def _id_or_text(raw):
    raw = (raw or "").strip()
    return int(raw) if raw.isdigit() and len(raw) < 10 else raw


def _params_from(form, kind, errors):
    """The report's parameters from the form's fields (a transcript's learner by e-mail)."""
    params = {name: _id_or_text(form.get(name)) for name in FILTERS if name in kind.takes and form.get(name)}
    if kind.periodic:
        params |= {name: form.get(name, "").strip() for name in ("date_from", "date_to") if form.get(name)}
    if "user_id" in kind.takes:
        email = (form.get("learner_email") or "").strip().lower()
        if email:
            user_id = user_ids_by_email([email]).get(email)
            if user_id is None or not _learner_in_reach(kind, user_id):  # one answer: nobody learns who exists
                errors["learner_email"] = ["Nobody you can report on has this e-mail."]
            else:
                params["user_id"] = user_id
    return params


def _learner_in_reach(kind, user_id):
    try:
        validate_params(kind, {"user_id": user_id}, current_actor)
    except NotFound:
        return False
    return True


def _field_errors(error, errors):
    """A service's field problems, under the form's field names (a learner is picked by e-mail)."""
    for field, messages in (error.details or {}).items():
        name = {"user_id": "learner_email", "params": "form"}.get(field.removeprefix("params."), field)
        errors.setdefault(name, []).extend(messages)
    if not error.details:
        errors.setdefault("form", []).append(error.message)
    return errors


# --- my reports -----------------------------------------------------------------------------------------


def _index_page(values, errors=None, status=200):
    everyone = request.args.get("all") == "1" and may_see_everyones(current_actor)
    reports, requesters = reports_for(current_actor, everyone)
    return render_page(
        "reports/index.html",
        reports=reports,
        requesters=requesters,
        everyone=everyone,
        can_see_everyones=may_see_everyones(current_actor),
        kinds_titles={k.name: k.title for k in KINDS.values()},
        now=utcnow(),
        percent_of=percent_done,
        again_url=again_url,
        **_report_form_context(values, errors),
    ), status


@bp.get("")
@requires("reports.manage")
def index():
    """My reports (an org admin's: everyone's, on request), each with its progress while it is made, and the
    form to ask for a new one."""
    return _index_page({"kind": request.args.get("kind", "")})


@bp.get("/form")
@requires("reports.manage")
def report_form():
    """The request form for the chosen kind: its formats and the filters it takes."""
    return render_page(
        "reports/form_page.html", partial="reports/_request_form.html", **_report_form_context(request.args.to_dict())
    )


@bp.post("")
@requires("reports.manage")
def create():
    """Ask for a report: it is made in the background; its page follows the progress."""
    form = request.form
    kind = KINDS.get(form.get("kind", ""))
    errors = {}
    if kind is None:
        errors["kind"] = ["Choose a kind of report."]
    else:
        params = _params_from(form, kind, errors)
        if not errors:
            try:
                generation.request_report(kind.name, form.get("format"), params, actor=current_actor)
            except DomainError as error:
                _field_errors(error, errors)
            else:
                flash(f"{kind.title} is on its way: its progress shows below.")
                return redirect(url_for("report_pages.index"), code=303)
    return _index_page(form.to_dict(), errors, status=422)


def again_url(report):
    """The request form filled in as this report was asked for (a withdrawn one is run again from there); not its
    learner: a report withdrawn because of an erasure may be about the person erased."""
    params = {name: value for name, value in (report.params or {}).items() if value is not None and name != "user_id"}
    return url_for("report_pages.report_form", kind=report.kind, format=report.format, **params)


def percent_done(report):
    """How far the report is, 0 to 100 (100 once done)."""
    if report.status in (ReportStatus.DONE, ReportStatus.EXPIRED, ReportStatus.WITHDRAWN):
        return 100
    total = report.rows_total or 0
    return min(99, report.rows_done * 100 // total) if total else 0


def _report_context(report_id):
    report = generation.report_for(report_id, current_actor)
    percent = percent_done(report)
    expired = report.status == ReportStatus.EXPIRED or (report.expires_at is not None and report.expires_at <= utcnow())
    return {
        "report": report,
        "kind": KINDS.get(report.kind),
        "percent": percent,
        "expired": expired,
        "requester": names_of([report.requested_by_id]).get(report.requested_by_id) if report.requested_by_id else None,
        "again_url": again_url,
    }


@bp.get("/<int:report_id>")
@requires("self.read")
def detail(report_id):
    """One report: its state and progress (updated while it is made), then its download until it expires.
    For its requester, the people a schedule mailed it to, and org admins. `?as=row`: its row of my reports."""
    context = _report_context(report_id)
    if request.args.get("as") == "row":
        context |= {
            "requesters": {context["report"].requested_by_id: context["requester"]},
            "everyone": request.args.get("all") == "1",
            "kinds_titles": {k.name: k.title for k in KINDS.values()},
            "now": utcnow(),
            "percent_of": percent_done,
        }
        return render_page("reports/detail.html", partial="reports/_report_row.html", **context)
    return render_page("reports/detail.html", partial="reports/_progress.html", **context)


@bp.get("/<int:report_id>/download")
@requires("self.read")
def download(report_id):
    """The report's file."""
    return generation.serve_report(report_id, current_actor)


# --- schedules ------------------------------------------------------------------------------------------


def _schedule_values(form):
    """A schedule's fields from the page's form, as the service takes them (it says what is wrong)."""
    kind = KINDS.get(form.get("kind", ""))
    errors = {}
    params = _params_from(form, kind, errors) if kind else {}
    params = {key: value for key, value in params.items() if key not in ("date_from", "date_to")}
    if form.get("period_days"):
        params["period_days"] = _id_or_text(form.get("period_days"))
    values = {
        "name": form.get("name", ""),
        "kind": form.get("kind", ""),
        "format": form.get("format", ""),
        "cadence": form.get("cadence", ""),
        "weekday": _id_or_text(form.get("weekday")) if form.get("weekday") else None,
        "month_day": _id_or_text(form.get("month_day")) if form.get("month_day") else None,
        "hour": _id_or_text(form.get("hour", "6")),
        "params": params,
        "recipient_ids": [_id_or_text(raw) for raw in form.getlist("user_ids")],
    }
    return values, errors


def _schedule_form_context(values, errors=None, schedule=None):
    kind = _kind_of(values.get("kind"))
    fmt = values.get("format") if values.get("format") in kind.formats else kind.formats[0]
    params = values.get("params") or {}
    learner = names_of([params["user_id"]]).get(params["user_id"]) if params.get("user_id") else None
    chosen, _matches = schedules.recipient_choices(
        schedule.owner_id if schedule else current_actor.id,
        current_actor.scope,
        chosen_ids=[str(i) for i in values.get("recipient_ids") or []],
    )
    return {
        "kind_options": [(k.name, k.title) for k in KINDS.values()],
        "format_options": [(f, f.upper()) for f in kind.formats],
        "kind": kind,
        "values": values | {"kind": kind.name, "format": fmt},
        "params": params,
        "learner_email": learner.rsplit("(", 1)[-1].rstrip(")") if learner else "",
        "errors": errors or {},
        "choices": _filter_choices(),
        "chosen": chosen,
        "schedule": schedule,
        "weekday_options": list(enumerate(schedules.WEEKDAYS)),
        "default_period": schedules.DEFAULT_PERIOD_DAYS,
    }


def _schedules_page(values=None, errors=None, status=200):
    everyone = request.args.get("all") == "1" and may_see_everyones(current_actor)
    listed = schedules.schedules_for(current_actor, everyone=everyone)
    owners = names_of({s.owner_id for s in listed})
    context = _schedule_form_context(values or {"cadence": "weekly", "weekday": 0, "hour": 6}, errors)
    return render_page(
        "reports/schedules.html",
        schedules=listed,
        owners=owners,
        everyone=everyone,
        can_see_everyones=may_see_everyones(current_actor),
        in_words=schedules.cadence_in_words,
        kinds_titles={k.name: k.title for k in KINDS.values()},
        **context,
    ), status


@bp.get("/schedules")
@requires("reports.manage")
def schedule_list():
    """My scheduled reports (an org admin's: everyone's, on request) and the form for a new one."""
    return _schedules_page()


@bp.get("/schedules/form")
@requires("reports.manage")
def schedule_form():
    """The schedule form's report part for the chosen kind and cadence (formats, filters, weekday or day)."""
    values, _errors = _schedule_values(request.args)
    return render_page(
        "reports/form_page.html", partial="reports/_schedule_fields.html", **_schedule_form_context(values)
    )


@bp.post("/schedules")
@requires("reports.manage")
def schedule_create():
    """Schedule a report owned by me."""
    values, errors = _schedule_values(request.form)
    if not errors:
        try:
            schedule = schedules.create_schedule(values, current_actor)
        except DomainError as error:
            _field_errors(error, errors)
        else:
            flash(f"“{schedule.name}” is scheduled: next run {schedule.next_run_at:%Y-%m-%d %H:%M} UTC.")
            return redirect(url_for("report_pages.schedule_list"), code=303)
    return _schedules_page(values, errors, status=422)


@bp.get("/schedules/<int:schedule_id>")
@requires("reports.manage")
def schedule_edit(schedule_id):
    """Change a schedule (its owner, or an org admin)."""
    schedule = schedules.get_schedule(schedule_id, current_actor)
    values = {field: getattr(schedule, field) for field in schedules.FIELDS}
    return render_page("reports/schedule_edit.html", **_schedule_form_context(values, schedule=schedule))


@bp.post("/schedules/<int:schedule_id>")
@requires("reports.manage")
def schedule_update(schedule_id):
    """Save a schedule's changes; its next run is worked out again."""
    schedule = schedules.get_schedule(schedule_id, current_actor)
    values, errors = _schedule_values(request.form)
    if not errors:
        try:
            schedules.update_schedule(schedule.id, values, current_actor)
        except DomainError as error:
            db.session.rollback()
            _field_errors(error, errors)
        else:
            flash(f"“{schedule.name}” is saved.")
            return redirect(url_for("report_pages.schedule_list"), code=303)
    return render_page("reports/schedule_edit.html", **_schedule_form_context(values, errors, schedule=schedule)), 422


@bp.post("/schedules/<int:schedule_id>/pause")
@requires("reports.manage")
def schedule_pause(schedule_id):
    """Pause a schedule, or resume it (its next run from now)."""
    schedule = schedules.set_paused(schedule_id, request.form.get("paused") == "1", current_actor)
    flash(f"“{schedule.name}” is {'paused' if not schedule.active else 'running again'}.")
    return redirect(url_for("report_pages.schedule_list"), code=303)


@bp.post("/schedules/<int:schedule_id>/delete")
@requires("reports.manage")
def schedule_delete(schedule_id):
    """Delete a schedule (the reports it made stay until they expire)."""
    schedule = schedules.get_schedule(schedule_id, current_actor)
    name = schedule.name
    schedules.delete_schedule(schedule_id, current_actor)
    flash(f"“{name}” is deleted.")
    return redirect(url_for("report_pages.schedule_list"), code=303)


@bp.get("/schedules/recipients")
@requires("reports.manage")
def recipient_picker():
    """The recipients picker's results: the people ticked, then up to 10 others matching the search."""
    chosen, matches = schedules.recipient_choices(
        current_actor.id,
        current_actor.scope,
        request.args.get("picker_q", "")[:200],
        request.args.getlist("user_ids"),
    )
    return render_page(
        "people/picker.html",
        partial="people/_picker.html",
        chosen=chosen,
        matches=matches,
        text=request.args.get("picker_q", ""),
    )
