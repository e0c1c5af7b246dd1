"""Reports made by an RQ job: asked for (`request_report`), generated (`generate_report`), downloaded
(`report_for_download`) and deleted once expired (`expire_reports`).

The job streams the kind's rows from the database into the writer, writes its progress about twice a second
on the report's row (through a connection of its own: a commit in the streaming session would end its
server-side cursor), stores the file in the media storage and keeps it `REPORT_KEEP_DAYS` days.
The audience is the requester's on the day the job runs: a person since moved out of a branch, a revoked key,
a deactivated account get no rows they no longer reach.
"""

import logging
import tempfile
import time
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from app.api.listing import ListSpec, run_list_query
from app.errors import BadRequest, Conflict, DomainError, NotFound, PermissionDenied, TooManyRequests
from app.events import emit_after_commit
from app.extensions import db
from app.jobs import enqueue
from app.security.actor import Actor, current_actor
from app.security.actor_ids import NOBODY, actor_ids
from app.security.permissions import ORG_ADMIN, denial_message
from app.security.principal import Principal
from app.storage import expire_stored_files, media_storage
from app.tenancy.context import require_tenant
from app.tenancy.models import utcnow
from blueprints.api_keys.models import ApiKey
from blueprints.audit.recording import record
from blueprints.reports.audience import report_audience_of
from blueprints.reports.kinds import check_format, describe_params, kind_named, validate_params
from blueprints.reports.models import Report, ReportStatus
from blueprints.reports.withdrawal import WITHDRAWN_DOWNLOAD
from blueprints.reports.writers import CONTENT_TYPES, WRITERS
from blueprints.users.services import principal_for_user

log = logging.getLogger(__name__)

PERMISSION = "reports.manage"  # asking for a report, and still when its job runs (a schedule's owner may be demoted)
PROGRESS_SECONDS = 0.5  # how often the job writes rows_done (the page's progress bar polls)
DEFAULT_KEEP_DAYS = 7
JOB_TIMEOUT = 3600
# Reports one requester may have waiting (queued or running) at once: each is a job and, once done, a file kept
# for days, so without a bound one person could fill the jobs queue and the disk. Only the recent ones count: a
# report whose job was lost (a flushed Redis) stays queued, and must not lock its requester out for good.
MAX_WAITING_REPORTS = 10
WAITING_WINDOW = timedelta(seconds=2 * JOB_TIMEOUT)


class ReportExpired(DomainError):
    status, code = 410, "REPORT_EXPIRED"


class ReportWithdrawn(DomainError):
    status, code = 410, "REPORT_WITHDRAWN"


class ReportFailed(Exception):
    """The report cannot be made, for a reason its requester can read (recorded on the row, not retried)."""


def keep_days():
    return current_app.config.get("REPORT_KEEP_DAYS", DEFAULT_KEEP_DAYS)


def request_report(kind, format, params, actor=current_actor, schedule=None, recipients=()):
    """Ask for a report of `kind` in `format`, with `params` checked for the actor's reach (400, 404); returns
    (the Report row, status queued, and the RQ job making it, queued once the row is committed)."""
    if not actor.is_authenticated or not actor.can(PERMISSION):
        raise PermissionDenied(denial_message(PERMISSION), {"permission": [PERMISSION]})
    report_kind = kind_named(kind)
    check_format(report_kind, format)
    checked = validate_params(report_kind, params, actor)
    requester = actor_ids(actor.principal if actor.is_authenticated else None)
    if schedule is None:  # a schedule's runs are bounded by its cadence
        _check_waiting_reports(requester)
    report = Report(
        kind=report_kind.name,
        format=format,
        params=checked.as_json(),
        status=ReportStatus.QUEUED,
        rows_done=0,
        requested_by_id=requester.user_id,
        requested_by_api_key_id=requester.api_key_id,
        schedule_id=schedule.id if schedule is not None else None,
        recipient_ids=sorted({int(person) for person in recipients}),
    )
    db.session.add(report)
    db.session.commit()
    job = enqueue(require_tenant(), generate_report, report.id, retries=1, timeout=JOB_TIMEOUT)
    return report, job


def _check_waiting_reports(requester):
    """429 when the requester has MAX_WAITING_REPORTS reports of their own asking still being made."""
    if requester == NOBODY:
        return
    mine = (
        Report.requested_by_id == requester.user_id
        if requester.user_id is not None
        else Report.requested_by_api_key_id == requester.api_key_id
    )
    waiting = db.session.scalar(
        sa.select(sa.func.count(Report.id)).where(
            mine,
            Report.schedule_id.is_(None),
            Report.status.in_((ReportStatus.QUEUED, ReportStatus.RUNNING)),
            Report.created_at > utcnow() - WAITING_WINDOW,
        )
    )
    if waiting >= MAX_WAITING_REPORTS:
        raise TooManyRequests(
            f"You have {waiting} reports being made; ask for another once one of them is done.",
            {"kind": [f"At most {MAX_WAITING_REPORTS} reports at a time."]},
        )


def requester_actor(report):
    """The actor the report is made for, as they stand now (None: the account or key is gone or inactive)."""
    if report.requested_by_id is not None:
        principal = principal_for_user(report.requested_by_id)
    elif report.requested_by_api_key_id is not None:
        key = db.session.get(ApiKey, report.requested_by_api_key_id)
        principal = (
            None
            if key is None or key.revoked_at is not None
            else Principal("api_key", key.id, f"api-key:{key.name}", tuple(key.roles), require_tenant().id)
        )
    else:
        principal = None
    return Actor(principal) if principal is not None else None


def stored_params(report):
    """The params as stored on the row, as `validate_params` takes them."""
    return dict(report.params or {})


class ProgressWriter:
    """Writes `rows_done` on the report's row at most every PROGRESS_SECONDS, through its own connection."""

    def __init__(self, report_id):
        self.report_id = report_id
        self.engine = db.session.get_bind(mapper=sa.inspect(Report))
        self.written_at = time.monotonic()

    def __call__(self, rows_done):
        moment = time.monotonic()
        if moment - self.written_at >= PROGRESS_SECONDS:
            self.write(rows_done)
            self.written_at = moment

    def write(self, rows_done):
        with self.engine.begin() as connection:
            connection.execute(sa.update(Report).where(Report.id == self.report_id).values(rows_done=rows_done))


def generate_report(report_id):
    """The job: count the rows, stream them into the file, store it; the row says how it went."""
    report = db.session.get(Report, report_id)
    if report is None or report.status in (ReportStatus.DONE, ReportStatus.EXPIRED, ReportStatus.WITHDRAWN):
        return
    # rows read from now on are after any erasure committed before: a mark left by one no longer applies
    report.status, report.rows_done, report.error, report.withdrawn_reason = ReportStatus.RUNNING, 0, None, None
    report.started_at, report.finished_at = utcnow(), None
    db.session.commit()
    try:
        stored, rows_written = _generate(report)
    except ReportFailed as failure:
        _record_failure(report_id, str(failure))
        return
    except Exception as error:
        log.exception("Report %s failed", report_id)
        _record_failure(report_id, "The report could not be made because of an error on our side; try again later.")
        raise error from None
    report = db.session.get(Report, report_id)
    if report.file_key:
        media_storage().delete(report.file_key)  # a retry's earlier file
    finished = utcnow()
    done = db.session.execute(
        sa.update(Report)
        .where(Report.id == report_id, Report.withdrawn_reason.is_(None))  # an erasure during the run: withdrawn
        .values(
            file_key=stored.key,
            file_size=stored.size,
            file_name=download_name(report, finished),
            rows_done=rows_written,
            rows_total=rows_written,
            status=ReportStatus.DONE,
            finished_at=finished,
            expires_at=finished + timedelta(days=keep_days()),
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    if not done:
        _withdraw_after_run(report_id, stored.key, finished)
        return
    db.session.refresh(report)
    emit_after_commit(
        db.session,
        "report.ready",
        report_id=report.id,
        kind=report.kind,
        requested_by_id=report.requested_by_id,
        schedule_id=report.schedule_id,
    )
    db.session.commit()


def _generate(report):
    report_kind = kind_named(report.kind)
    actor = requester_actor(report)
    if actor is None:
        raise ReportFailed("The account or API key that asked for this report is no longer active.")
    if not actor.can(PERMISSION):
        raise ReportFailed("The account or API key that asked for this report may no longer make reports.")
    try:
        params = validate_params(report_kind, stored_params(report), actor)
    except DomainError as error:
        raise ReportFailed(f"The report's parameters are no longer valid: {error.message}") from None
    audience = report_audience_of(actor)
    total = report_kind.count(params, audience)
    report.rows_total = total
    tenant = require_tenant()
    context = {
        "title": report_kind.title,
        "organization": tenant.name,
        "parameters": describe_params(params),  # in words: names, not ids
        "generated_at": utcnow(),
    }
    report_id, format = report.id, report.format
    db.session.commit()
    progress = ProgressWriter(report_id)
    with tempfile.TemporaryFile() as spool:
        written = WRITERS[format](
            spool, report_kind.columns, report_kind.rows(params, audience), progress=progress, **context
        )
        db.session.commit()  # ends the streaming transaction before the row is written again
        size = spool.tell()
        spool.seek(0)
        stored = media_storage().save(tenant.slug, spool, size + 1)
    return stored, written


def _withdraw_after_run(report_id, file_key, finished):
    """A person the report may list was erased while it ran (reports.withdrawal): its file is not offered."""
    db.session.execute(
        sa.update(Report)
        .where(Report.id == report_id)
        .values(status=ReportStatus.WITHDRAWN, file_key=None, finished_at=finished)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    media_storage().delete(file_key)


def _record_failure(report_id, message):
    db.session.rollback()
    report = db.session.get(Report, report_id)
    if report is None:
        return
    report.status, report.error, report.finished_at = ReportStatus.FAILED, message[:500], utcnow()
    db.session.commit()


def download_name(report, moment):
    return f"{report.kind.replace('_', '-')}-{moment:%Y%m%d-%H%M}.{report.format}"


def may_download(report, actor):
    """The requester (the person or the API key), a person the report was mailed to, an org admin; each only while
    they may make reports (a file of other people's records is staff's: not a requester's or recipient's once
    they are a student)."""
    if not actor.is_authenticated or not actor.can(PERMISSION):
        return False
    who = actor_ids(actor.principal)
    if who == NOBODY:
        return False
    if (who.user_id is not None and who.user_id == report.requested_by_id) or (
        who.api_key_id is not None and who.api_key_id == report.requested_by_api_key_id
    ):
        return True
    if who.user_id is not None and who.user_id in (report.recipient_ids or []):
        return True
    return actor.kind == "user" and ORG_ADMIN in actor.roles


def report_for(report_id, actor=current_actor):
    """A report the actor may see (404 otherwise)."""
    report = db.session.get(Report, report_id) if isinstance(report_id, int) else None
    if report is None or not may_download(report, actor):
        raise NotFound("No such report.")
    return report


def report_for_download(report_id, actor=current_actor):
    """A finished report's row, for its file (404 to anyone else, 409 before it is done, 410 once expired or
    withdrawn)."""
    report = report_for(report_id, actor)
    if report.status == ReportStatus.WITHDRAWN:
        raise ReportWithdrawn(
            WITHDRAWN_DOWNLOAD.format(reason=report.withdrawn_reason or "it may name someone erased.")
        )
    if report.status == ReportStatus.EXPIRED or (report.expires_at is not None and report.expires_at <= utcnow()):
        raise ReportExpired("This report has expired; ask for a new one.")
    if report.status != ReportStatus.DONE or not report.file_key:
        raise Conflict("This report is not ready yet.", code="REPORT_NOT_READY")
    return report


def serve_report(report_id, actor=current_actor):
    """The report's file as a download, with its content type and a safe file name."""
    report = report_for_download(report_id, actor)
    # A file of people's records leaves the system: the entry commits on its own, before the file is sent.
    record(
        "report.downloaded",
        target_type="report",
        target_id=report.id,
        target_label=report.file_name or report.kind,
        details={"kind": report.kind, "format": report.format, "params": report.params or {}},
        actor=actor,
        commit=True,
    )
    return media_storage().serve(
        report.file_key, CONTENT_TYPES[report.format], report.file_name, as_attachment=True, max_age=0
    )


def expire_reports(now=None):
    """Delete the files of reports past their expiry and mark them expired; returns how many."""
    return expire_stored_files(Report, ReportStatus.DONE, ReportStatus.EXPIRED, now or utcnow())


REPORT_LIST = ListSpec(
    filters={"kind": Report.kind, "status": Report.status, "format": Report.format, "schedule_id": Report.schedule_id},
    sorts={"id": Report.id, "created_at": Report.created_at},
    default_sort=("-created_at",),
    tiebreaker=Report.id,
)


def list_reports(query, everyone=False, actor=current_actor):
    """The reports the actor asked for (a person's or an API key's), newest first; an org admin may ask for
    every report of the organization (`everyone`)."""
    who = actor_ids(actor.principal if actor.is_authenticated else None)
    stmt = sa.select(Report)
    if everyone:
        if not (actor.kind == "user" and ORG_ADMIN in actor.roles):
            raise BadRequest("Only an org admin may list every report.", {"all": ["Only for org admins."]})
    elif who.user_id is not None:
        stmt = stmt.where(Report.requested_by_id == who.user_id)
    elif who.api_key_id is not None:
        stmt = stmt.where(Report.requested_by_api_key_id == who.api_key_id)
    else:
        stmt = stmt.where(sa.false())
    return run_list_query(db.session, stmt, query, REPORT_LIST)
