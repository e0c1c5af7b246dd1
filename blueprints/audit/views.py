"""Settings > Audit trail: the organization's entries, filtered and paged, each with its details; a CSV export of
what the filters show. Org admins (`audit.read`). On the platform's address, the platform's trail for operators
(`platform_audit.read`): the same page with an organization filter."""

from datetime import date
from zoneinfo import ZoneInfo

from flask import Blueprint, request
from werkzeug.datastructures import MultiDict

from app.api.downloads import csv_download
from app.api.listing import parse_list_query
from app.audit.platform import PLATFORM_ACTIONS
from app.errors import NotFound
from app.pages import organizations_only, render_page
from app.security.actor import current_actor
from app.security.principal import requires
from app.tenancy.context import get_current_tenant
from blueprints.audit import trail
from blueprints.audit.actions import ACTIONS
from blueprints.audit.models import AuditOutcome
from blueprints.users.queries import time_zone_of

bp = Blueprint("audit_pages", __name__, url_prefix="/settings")
organizations_only(bp)
platform_bp = Blueprint("platform_audit_pages", __name__)
PERMISSION = "audit.read"
PLATFORM_PERMISSION = "platform_audit.read"
PER_PAGE = 25
FILTERS = ("action", "who", "outcome", "since", "until")
PLATFORM_FILTERS = (*FILTERS, "organization")
UTC = ZoneInfo("UTC")  # operators have no time zone of their own


@platform_bp.before_request
def _platform_only():
    if get_current_tenant() is not None:
        raise NotFound("No such page.")


def _day(raw):
    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError:
        return None


def _list_args(args, zone, actions=ACTIONS, filters=FILTERS):
    """(the list helper's parameters, the filters as chosen, problems): the page's plain fields as `filter[...]`;
    days are whole days in the viewer's time zone. A value that makes no sense is dropped and said, never a 500."""
    chosen = {name: (args.get(name) or "").strip()[:200] for name in filters}
    query = MultiDict(
        {"per_page": str(PER_PAGE), "page": args.get("page", "1") if args.get("page", "1").isdigit() else "1"}
    )
    problems = []
    if chosen["action"] in actions:
        query["filter[action]"] = chosen["action"]
    elif chosen["action"]:
        problems.append("That action is not one the trail records; showing every action.")
        chosen["action"] = ""
    if chosen["outcome"] in AuditOutcome.ALL:
        query["filter[outcome]"] = chosen["outcome"]
    else:
        chosen["outcome"] = ""
    for name in ("who", "organization"):
        if chosen.get(name):
            query[f"filter[{name}]"] = chosen[name]
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


@platform_bp.get("/audit-trail")
@requires(PLATFORM_PERMISSION)
def platform_index():
    """What operators and the CLI did to organizations, and operators' sign-ins: filter by action, operator,
    organization, outcome and dates (UTC); open a row for its details."""
    args, chosen, problems = _list_args(request.args, UTC, PLATFORM_ACTIONS, PLATFORM_FILTERS)
    query = parse_list_query(args, trail.PLATFORM_AUDIT_LIST)
    return render_page(
        "audit/platform.html",
        partial="audit/_entries.html",
        page=trail.list_platform_entries(query),
        chosen=chosen,
        problems=problems,
        zone=UTC,
        actions=PLATFORM_ACTIONS,
        outcomes=trail.OUTCOME_TEXT,
        export_args={name: value for name, value in chosen.items() if value},
        local_time=trail.local_time,
        what_happened=trail.what_happened,
        list_endpoint="platform_audit_pages.platform_index",
        export_endpoint=None,
    )
