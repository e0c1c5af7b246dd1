"""Reading the audit trail: one page of entries, one entry, and the whole (filtered) trail as a streamed export.

Org admins only (`audit.read`, checked by the routes); the trail is the organization's own database, so another
organization's entries cannot be reached. Nothing here changes an entry; exporting records that it happened.
The platform's trail (`app/audit/platform.py`, operators: `platform_audit.read`) is read with the same list
helper, filters and words.
"""

import csv
import io
import json
from datetime import UTC, datetime, time, timedelta

import sqlalchemy as sa

from app.api.listing import FilterBy, ListSpec, apply_list_query, parse_list_query, run_list_query
from app.audit.platform import PLATFORM_ACTIONS, PlatformAuditEvent
from app.csv_safety import safe_row
from app.errors import BadRequest, NotFound
from app.extensions import db
from app.tenancy.context import require_tenant
from blueprints.audit.actions import ACTIONS
from blueprints.audit.models import AuditEvent, AuditOutcome
from blueprints.audit.recording import record


def _contains(column):
    """A filter on `column` containing the text, any case; `%` and `_` are plain."""
    return FilterBy(column, lambda _op, text: column.icontains(text, autoescape=True))


# an entry's stored columns, in the export's order (the API's `fields` adds `action_text`)
EXPORT_COLUMNS = (
    "id",
    "occurred_at",
    "action",
    "outcome",
    "actor_kind",
    "actor_id",
    "actor_label",
    "target_type",
    "target_id",
    "target_label",
    "subject_user_id",
    "details",
    "ip",
    "user_agent",
    "request_id",
)


def trail_list(model, **more_filters):
    """The list helper's rules for a trail's table: the same filters and sorts for every trail."""
    return ListSpec(
        filters={
            "id": model.id,
            "action": model.action,
            "outcome": model.outcome,
            "actor_kind": model.actor_kind,
            "actor_id": model.actor_id,
            "actor_label": model.actor_label,
            "who": _contains(model.actor_label),  # the page's "who" box: part of an e-mail or name
            "target_type": model.target_type,
            "target_id": model.target_id,
            **more_filters,
            "occurred_at": model.occurred_at,
            "ip": model.ip,
            "request_id": model.request_id,
        },
        sorts={"occurred_at": model.occurred_at, "id": model.id},
        default_sort=("-occurred_at", "-id"),
        fields=frozenset({*(column.name for column in model.__table__.columns), "action_text"}),
        tiebreaker=model.id,
    )


AUDIT_LIST = trail_list(AuditEvent, subject_user_id=AuditEvent.subject_user_id)
# the platform's: an organization acted on is the target; `organization` is part of its slug
PLATFORM_AUDIT_LIST = trail_list(PlatformAuditEvent, organization=_contains(PlatformAuditEvent.target_label))
EXPORT_FORMATS = ("csv", "jsonl")
EXPORT_BATCH = 500  # rows fetched at a time (a server-side cursor on PostgreSQL): memory stays flat


def list_entries(query):
    """One page of entries, newest first unless `sort` says otherwise; one query and its count."""
    return run_list_query(db.session, sa.select(AuditEvent), query, AUDIT_LIST)


def _entry(model, entry_id, missing):
    entry = db.session.get(model, entry_id) if 0 < entry_id < 2**31 else None
    if entry is None:
        raise NotFound(missing)
    return entry


def get_entry(entry_id):
    return _entry(AuditEvent, entry_id, "No such audit entry in this organization.")


def list_platform_entries(query):
    """One page of the platform's entries (operators), newest first unless `sort` says otherwise."""
    return run_list_query(db.session, sa.select(PlatformAuditEvent), query, PLATFORM_AUDIT_LIST)


def get_platform_entry(entry_id):
    return _entry(PlatformAuditEvent, entry_id, "No such entry in the platform's audit trail.")


# --- export ----------------------------------------------------------------------------------------------


def _filters_used(args):
    """The export's filters as given (`filter[action]` -> value), kept in its own audit entry."""
    return {
        key: args.getlist(key) if len(args.getlist(key)) > 1 else args.get(key) for key in args if key[:7] == "filter["
    }


def _rows(query):
    columns = [getattr(AuditEvent, name) for name in EXPORT_COLUMNS]
    stmt = apply_list_query(sa.select(*columns), query, AUDIT_LIST).execution_options(yield_per=EXPORT_BATCH)
    # Columns, not entities: nothing piles up in the session's identity map while a million rows go by.
    return db.session.execute(stmt, bind_arguments={"mapper": sa.inspect(AuditEvent)})


def _text(value):
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, dict):
        return json.dumps(value, sort_keys=True, ensure_ascii=False)
    return str(value)


def _csv_chunks(query):
    yield "\ufeff"  # spreadsheets read the file as UTF-8
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(EXPORT_COLUMNS)
    for number, row in enumerate(_rows(query), start=1):
        writer.writerow(safe_row(_text(value) for value in row))
        if number % EXPORT_BATCH == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def _jsonl_chunks(query):
    lines = []
    for row in _rows(query):
        entry = dict(zip(EXPORT_COLUMNS, row, strict=True))
        entry["occurred_at"] = _text(entry["occurred_at"])
        lines.append(json.dumps(entry, ensure_ascii=False, default=str))
        if len(lines) == EXPORT_BATCH:
            yield "\n".join(lines) + "\n"
            lines = []
    if lines:
        yield "\n".join(lines) + "\n"


def export_entries(args, export_format):
    """(chunks, file name): the filtered trail, newest first unless `sort` says otherwise, streamed. The export is
    an entry of its own, committed before the first byte, with the filters it used."""
    if export_format not in EXPORT_FORMATS:
        raise BadRequest("`format` is csv or jsonl.", {"format": ["Must be csv or jsonl."]})
    query = parse_list_query(args, AUDIT_LIST)
    record(
        "audit.exported",
        target_type="audit_trail",
        target_label=require_tenant().slug,
        details={"format": export_format, "filters": _filters_used(args), "sort": args.get("sort") or ""},
        commit=True,
    )
    name = f"audit-trail-{datetime.now(UTC):%Y%m%d-%H%M}.{export_format}"
    return (_csv_chunks(query) if export_format == "csv" else _jsonl_chunks(query)), name


# --- the page's words ------------------------------------------------------------------------------------


def local_time(moment, zone):
    """`moment` (naive UTC, as stored) in `zone`."""
    return moment.replace(tzinfo=UTC).astimezone(zone)


def day_bounds_utc(day, zone, end=False):
    """The naive-UTC start of `day` in `zone` (with `end`: the start of the next day)."""
    start = datetime.combine(day + timedelta(days=1) if end else day, time.min, tzinfo=zone)
    return start.astimezone(UTC).replace(tzinfo=None)


def action_text(action):
    return ACTIONS.get(action) or PLATFORM_ACTIONS.get(action, action)


REFUSAL_REASONS = {
    "wrong_password": "wrong password",
    "unknown_account": "no such account",
    "inactive": "account deactivated",
    "locked_out": "too many attempts",
}


REFUSED = {
    "auth.sign_in_failed": ("Sign-in refused", REFUSAL_REASONS),
    "operator.sign_in_failed": ("Operator sign-in refused", REFUSAL_REASONS),
    "auth.refresh_refused": (
        "Token refresh refused",
        {
            "unknown_token": "unknown refresh token",
            "revoked": "refresh token revoked",
            "expired": "refresh token expired",
            "reused": "refresh token used twice, sign-in revoked",
            "inactive": "account deactivated",
        },
    ),
}


def what_happened(entry):
    """The entry's action in words, for the table; a refused sign-in or token refresh says why."""
    heading, reasons = REFUSED.get(entry.action, ("", {}))
    reason = (entry.details or {}).get("reason")
    if reason in reasons:
        return f"{heading}: {reasons[reason]}"
    return action_text(entry.action)


OUTCOME_TEXT = {AuditOutcome.SUCCESS: "Done", AuditOutcome.FAILURE: "Refused"}
