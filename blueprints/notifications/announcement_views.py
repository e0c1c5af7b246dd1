"""Announcements pages: mine (an org admin's: everyone's), a new one (the audience picked within my scope, sent now
or at a date and time in my time zone), one announcement's page (status, people told, cancel)."""

from datetime import UTC, datetime

from flask import Blueprint, flash, redirect, request, url_for

from app.api.listing import parse_list_query
from app.errors import Conflict, DomainError
from app.extensions import db
from app.pages import organizations_only, render_page
from app.security.actor import current_actor
from app.security.principal import requires
from blueprints.notifications import announcements
from blueprints.users.queries import contacts_of, time_zone_of

bp = Blueprint("announcement_pages", __name__, url_prefix="/announcements")

AUDIENCE_LABELS = {
    "organization": "Everyone in the organization",
    "branch": "A branch",
    "class": "A class (its students)",
    "course": "A course (its learners)",
    "people": "People I choose",
}
LOCAL_FORMAT = "%Y-%m-%dT%H:%M"


# Announcements are an organization's: the platform's host has none
organizations_only(bp)


def _local(moment, zone):
    """A naive UTC moment as the viewer's wall-clock time."""
    return moment.replace(tzinfo=UTC).astimezone(zone) if moment else None


@bp.get("")
@requires("notifications.announce")
def index():
    """My announcements (an org admin's: everyone's): status, when, to whom, how many people were told."""
    query = parse_list_query(request.args, announcements.ANNOUNCEMENT_LIST)
    page = announcements.list_announcements(query, current_actor)
    zone = time_zone_of(current_actor.id if current_actor.kind == "user" else None)
    return render_page(
        "notifications/announcements/index.html",
        page=page,
        audiences=announcements.audience_names(page.items),
        authors=contacts_of({a.author_id for a in page.items if a.author_id}),
        everyone=current_actor.scope.organization_wide,
        local=lambda moment: _local(moment, zone),
        zone=zone,
    )


def _form_values(form):
    """The page's fields as the service takes them, and the problems only the page can have (its date)."""
    audience = form.get("audience", "")
    if audience == "people":
        raw_ids = form.getlist("user_ids")
    elif audience in ("branch", "class", "course"):
        raw_ids = [form.get(f"{audience}_id", "")]
    else:
        raw_ids = []
    values = {
        "title": form.get("title", ""),
        "body": form.get("body", ""),
        "audience": audience,
        "audience_ids": [int(raw) for raw in raw_ids if raw.isdigit() and len(raw) < 11],
        "send_at": None,
    }
    errors = {}
    if audience not in announcements.AUDIENCES:
        errors["audience"] = ["Choose who is told."]
    if form.get("when") == "later":
        raw = form.get("send_at_local", "")
        try:
            local = datetime.strptime(raw, LOCAL_FORMAT)
        except ValueError:
            errors["send_at"] = ["Choose a date and a time."]
        else:
            zone = time_zone_of(current_actor.id)
            values["send_at"] = local.replace(tzinfo=zone).astimezone(UTC)
    return values, errors


def _form_page(values=None, errors=None, status=200):
    values = values or {"audience": "", "audience_ids": []}
    form = request.form if request.method == "POST" else {}
    chosen, _matches = announcements.people_choices(
        current_actor, chosen_ids=values["audience_ids"] if values.get("audience") == "people" else ()
    )
    zone = time_zone_of(current_actor.id)
    choices = announcements.audience_choices(current_actor)
    kinds = [kind for kind in announcements.AUDIENCES if kind == "people" or choices[kind]]
    return render_page(
        "notifications/announcements/new.html",
        values=values,
        form=form,
        errors=errors or {},
        choices=choices,
        kinds=kinds,
        labels=AUDIENCE_LABELS,
        chosen=chosen,
        zone=zone,
        now_local=datetime.now(zone).strftime(LOCAL_FORMAT),
        max_body=announcements.MAX_BODY,
    ), status


@bp.get("/new")
@requires("notifications.announce")
def new():
    """Write an announcement: title, message, who is told (within my scope), now or later."""
    announcements.reach_of(current_actor)
    return _form_page()


@bp.post("")
@requires("notifications.announce")
def create():
    """Send (or schedule) the announcement written on the form."""
    values, errors = _form_values(request.form)
    status = 422
    if not errors:
        try:
            announcement = announcements.create_announcement(values, current_actor)
        except DomainError as error:
            db.session.rollback()
            if error.status == 429:  # the hourly limit: said above the form, the form kept
                errors, status = {"form": [error.message]}, 429
            elif error.status in (403, 404, 422):  # each names its field (audience, audience_ids, ...)
                errors = dict(error.details) or {"form": [error.message]}
            else:
                raise
        else:
            zone = time_zone_of(current_actor.id)
            when = _local(announcement.send_at, zone)
            flash(
                f"“{announcement.title}” is being sent."
                if values["send_at"] is None
                else f"“{announcement.title}” is scheduled for {when:%Y-%m-%d %H:%M} ({zone.key})."
            )
            return redirect(url_for("announcement_pages.detail", announcement_id=announcement.id), code=303)
    return _form_page(values, errors, status=status)


@bp.get("/people")
@requires("notifications.announce")
def people_picker():
    """The people picker's results: the people ticked, then up to 10 others I reach matching the search."""
    text = request.args.get("picker_q", "")[:200]
    chosen, matches = announcements.people_choices(current_actor, text, request.args.getlist("user_ids"))
    return render_page("people/picker.html", partial="people/_picker.html", chosen=chosen, matches=matches, text=text)


@bp.get("/<int:announcement_id>")
@requires("notifications.announce")
def detail(announcement_id):
    """One announcement: its message, audience, status and how many people it told; cancel while scheduled."""
    announcement = announcements.get_announcement(announcement_id, current_actor)
    zone = time_zone_of(current_actor.id if current_actor.kind == "user" else None)
    author = contacts_of([announcement.author_id]).get(announcement.author_id) if announcement.author_id else None
    return render_page(
        "notifications/announcements/detail.html",
        partial="notifications/announcements/_status.html",
        announcement=announcement,
        audience=announcements.audience_names([announcement])[announcement.id],
        author=author,
        may_cancel=announcements.may_cancel(announcement, current_actor),
        polling=announcements.is_on_its_way(announcement),
        local=lambda moment: _local(moment, zone),
        zone=zone,
    )


@bp.post("/<int:announcement_id>/cancel")
@requires("notifications.announce")
def cancel(announcement_id):
    """Cancel a scheduled announcement: nobody will be told."""
    try:
        announcement = announcements.cancel_announcement(announcement_id, current_actor)
    except Conflict as error:  # sent meanwhile: say so on its page
        flash(error.message)
    else:
        flash(f"“{announcement.title}” is cancelled: nobody will be told.")
    return redirect(url_for("announcement_pages.detail", announcement_id=announcement.id), code=303)
