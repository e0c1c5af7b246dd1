"""The notification pages: my list (the bell's), the bell's count and live stream, my settings, and the
organization's defaults for its org admins."""

import logging
from urllib.parse import urlsplit

from flask import Blueprint, Response, flash, redirect, render_template, request, stream_with_context, url_for
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.datastructures import MultiDict

from app.api.listing import parse_list_query
from app.errors import BadRequest
from app.extensions import db
from app.pages import is_htmx, render_page
from app.security.actor import current_actor
from app.security.headers import no_store
from app.security.principal import requires
from blueprints.notifications import inbox, live, preferences
from blueprints.notifications.layout import paragraphs
from blueprints.notifications.models import Channel
from blueprints.notifications.types import TYPES
from blueprints.notifications.words import local_time
from blueprints.organizations.settings import time_zones
from blueprints.users.models import User
from blueprints.users.queries import time_zone_of

log = logging.getLogger(__name__)
bp = Blueprint("notification_pages", __name__, url_prefix="/notifications")
PER_PAGE = "20"


def _me():
    return db.session.get(User, current_actor.id)


def _row_context():
    """What a notification's row needs: the types' labels, and the person's clock (their time zone, else the
    organization's: the one their settings page says dates are written in)."""
    zone = time_zone_of(current_actor.id)
    return {"types": TYPES, "zone": zone, "local": lambda moment: local_time(moment, zone)}


def _list_context():
    unread_only = request.args.get("unread") == "1"
    args = MultiDict(request.args)
    args.setdefault("per_page", PER_PAGE)
    args.pop("sort", None)  # newest first, always
    query = parse_list_query(args, inbox.NOTIFICATION_LIST)
    page = inbox.list_mine(current_actor.id, query, unread_only)
    return {
        "page": page,
        "last_page": max(1, -(-page.total // page.per_page)),
        "unread_only": unread_only,
        "unread": inbox.unread_count(current_actor.id),
        "args": request.args,
    } | _row_context()


@bp.get("")
@requires("notifications.receive")
@no_store
def index():
    """What you were told about, newest first: open one, mark it read, delete it, or mark them all read."""
    return render_page("notifications/index.html", partial="notifications/_list.html", **_list_context())


def _back_to_list():
    """Where a form of the list returns: the page it was sent from (a path of the list), else the list."""
    target = request.form.get("next", "")
    if target.startswith("/notifications") and not urlsplit(target).netloc:
        return redirect(target, 303)
    return redirect(url_for("notification_pages.index"), 303)


@bp.post("/<int:notification_id>/read")
@requires("notifications.receive")
def mark(notification_id):
    """Mark one notification read (or unread again); the row is redrawn in place."""
    read = request.form.get("read", "1") != "0"
    notification = inbox.mark(notification_id, current_actor.id, read)
    if is_htmx():
        return render_template("notifications/_row.html", notification=notification, oob_bell=True, **_row_context())
    return _back_to_list()


@bp.post("/<int:notification_id>/delete")
@requires("notifications.receive")
def delete(notification_id):
    """Delete one notification from your list."""
    inbox.delete(notification_id, current_actor.id)
    if is_htmx():
        return render_template("notifications/_bell_oob.html")
    flash("Notification deleted.")
    return _back_to_list()


@bp.post("/read-all")
@requires("notifications.receive")
def read_all():
    """Mark all your notifications read."""
    marked = inbox.read_all(current_actor.id)
    flash(f"{marked} notification{'' if marked == 1 else 's'} marked read." if marked else "Nothing was unread.")
    return _back_to_list()


@bp.get("/<int:notification_id>/open")
@requires("notifications.receive")
@no_store
def open_one(notification_id):
    """Follow a notification to what it is about; it counts as read. One with nothing else to open (an
    announcement: the message is the news) is shown on its own page, else its words were only in the e-mail."""
    notification = inbox.mark(notification_id, current_actor.id, True)
    link = notification.link or ""
    if not link.startswith("/") or link.startswith("//"):  # nothing to open (or not a path of this site)
        return render_template(
            "notifications/one.html",
            notification=notification,
            paragraphs=paragraphs(notification.body),
            **_row_context(),
        )
    return redirect(link)


@bp.get("/unread")
@requires("notifications.receive")
@no_store
def unread():
    """The bell's count (the 60 s poll, and the page without live updates)."""
    return render_template("notifications/_bell_link.html", unread=inbox.unread_count(current_actor.id))


@bp.get("/stream")
@requires("notifications.receive")
def stream():
    """The bell's live updates: server-sent events `unread` with the bell's HTML; 204 when this server has no
    room for one more stream, or serves one request at a time per process (the page polls instead)."""
    user_id = current_actor.id
    if not request.environ.get("wsgi.multithread"):
        return Response(status=204)  # one request at a time per process (gunicorn's sync workers): never hold it

    def render_bell():
        html = render_template("notifications/_bell_link.html", unread=inbox.unread_count(user_id))
        db.session.rollback()  # the connection goes back to the pool between events
        return html

    events = live.events_for(user_id, render_bell)
    if events is None:
        return Response(status=204)
    return Response(
        stream_with_context(events),
        mimetype="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


# --- settings ------------------------------------------------------------------------------------------------


def _posted_settings(settings):
    """{type: {channel: cadence}} from the form's selects (`enrolled.email`), for the channels it may change."""
    changes = {}
    for entry in settings["types"]:
        for channel, state in entry["channels"].items():
            if state["locked"] or state["mandatory"]:
                continue
            value = request.form.get(f"{entry['type']}.{channel}")
            if value is not None:
                changes.setdefault(entry["type"], {})[channel] = None if value == "default" else value
    return changes


@bp.route("/settings", methods=["GET", "POST"])
@requires("notifications.receive")
@no_store
def settings():
    """Choose how you hear of each kind of notification, in the app and by e-mail, and your time zone."""
    me = _me()
    current = preferences.my_settings(me)
    errors, status = {}, 200
    if request.method == "POST":
        try:
            preferences.update_my_settings(me, _posted_settings(current), request.form.get("time_zone", ...))
            flash("Notification settings saved.")
            return redirect(url_for("notification_pages.settings"), 303)
        except BadRequest as error:
            errors, status = error.details, 422
    return render_template(
        "notifications/settings.html",
        settings=current,
        errors=errors,
        posted=request.form if errors else None,
        zones=sorted(time_zones()),
        channels=Channel.ALL,
        words=preferences.CADENCE_WORDS,
        channel_words=preferences.CHANNEL_WORDS,
    ), status


def _posted_defaults():
    changes = {}
    for key, kind in TYPES.items():
        if kind.mandatory:
            continue
        for channel in Channel.ALL:
            value = request.form.get(f"{key}.{channel}")
            if value is not None:
                locked = request.form.get(f"{key}.{channel}.locked") == "1"
                if value == kind.default_cadence(channel) and not locked:
                    value = None  # the built-in default, unlocked: no row of the organization's
                changes.setdefault(key, {})[channel] = {"cadence": value or None, "locked": locked}
    return changes


@bp.route("/settings/organization", methods=["GET", "POST"])
@requires("notifications.manage")
@no_store
def organization_settings():
    """Set how everyone in the organization hears of each kind by default, and lock what they may not change."""
    errors, status = {}, 200
    if request.method == "POST":
        try:
            preferences.update_organization_settings(_posted_defaults(), current_actor.id)
            flash("The organization's notification defaults are saved.")
            return redirect(url_for("notification_pages.organization_settings"), 303)
        except BadRequest as error:
            errors, status = error.details, 422
    return render_template(
        "notifications/organization_settings.html",
        settings=preferences.organization_settings(),
        errors=errors,
        channels=Channel.ALL,
        words=preferences.CADENCE_WORDS,
        channel_words=preferences.CHANNEL_WORDS,
    ), status


def bell_count():
    """The signed-in person's unread count for the header's bell (one COUNT), None when they have no bell."""
    principal = current_actor.principal
    if principal is None or principal.kind != "user" or not principal.can("notifications.receive"):
        return None
    try:
        return inbox.unread_count(principal.id)
    except SQLAlchemyError:  # the page (an error page, perhaps about this very database) is drawn without a bell
        db.session.rollback()
        log.warning("No bell: the unread count failed", exc_info=True)
        return None
