"""Settings > Audit trail: the organization's entries, filtered and paged, each with its details; a CSV export of
what the filters show. Org admins (`audit.read`)."""

from datetime import date

from flask import Blueprint, request
from werkzeug.datastructures import MultiDict

from app.api.downloads import csv_download
from app.api.listing import parse_list_query
from app.pages import organizations_only, render_page
from app.security.actor import current_actor
from app.security.principal import requires
from blueprints.audit import trail
from blueprints.audit.actions import ACTIONS
from blueprints.audit.models import AuditOutcome
from blueprints.users.queries import time_zone_of

bp = Blueprint("audit_pages", __name__, url_prefix="/settings")
organizations_only(bp)
PERMISSION = "audit.read"
PER_PAGE = 25
FILTERS = ("action", "who", "outcome", "since", "until")


def _day(raw):
    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError:
        return None


def _list_args(args, zone):
    """(the list helper's parameters, the filters as chosen, problems): the page's plain fields as `filter[...]`;
    days are whole days in the viewer's time zone. A value that makes no sense is dropped and said, never a 500."""
    chosen = {name: (args.get(name) or "").strip()[:200] for name in FILTERS}
    query = MultiDict(
        {"per_page": str(PER_PAGE), "page": args.get("page", "1") if args.get("page", "1").isdigit() else "1"}
    )
    problems = []
    if chosen["action"] in ACTIONS:
        query["filter[action]"] = chosen["action"]
    elif chosen["action"]:
        problems.append("That action is not one the trail records; showing every action.")
        chosen["action"] = ""
    if chosen["outcome"] in AuditOutcome.ALL:
        query["filter[outcome]"] = chosen["outcome"]
    else:
        chosen["outcome"] = ""
    if chosen["who"]:
        query["filter[who]"] = chosen["who"]
    for name, op, end in (("since", "gte", False), ("until", "lt", True)):
        day = _day(chosen[name])
        if day is not None:
            query.add(f"filter[occurred_at][{op}]", trail.day_bounds_utc(day, zone, end=end).isoformat())
        elif chosen[name]:
            problems.append(f"“{chosen[name]}” is not a date (YYYY-MM-DD); it is left out.")
            chosen[name] = ""
    return query, chosen, problems


def _viewer_zone():
    principal = current_actor.principal
    return time_zone_of(principal.id if principal.kind == "user" else None)


@bp.get("/audit-trail")
@requires(PERMISSION)
def index():
    """Who did what in the organization, to what, when and from where: filter by action, person, outcome and
    dates; open a row for its details; export what the filters show."""
    zone = _viewer_zone()
    args, chosen, problems = _list_args(request.args, zone)
    query = parse_list_query(args, trail.AUDIT_LIST)
    page = trail.list_entries(query)
    export_args = {name: value for name, value in chosen.items() if value}
    return render_page(
        "audit/index.html",
        partial="audit/_entries.html",
        page=page,
        chosen=chosen,
        problems=problems,
        zone=zone,
        actions=ACTIONS,
        outcomes=trail.OUTCOME_TEXT,
        export_args=export_args,
        local_time=trail.local_time,
        what_happened=trail.what_happened,
    )


@bp.get("/audit-trail.csv")
@requires(PERMISSION)
def export():
    """The entries the page's filters show, every one of them, as a CSV file (recorded as an export)."""
    args, _chosen, _problems = _list_args(request.args, _viewer_zone())
    args.pop("page", None)
    args.pop("per_page", None)
    chunks, name = trail.export_entries(args, "csv")
    return csv_download(chunks, name)
