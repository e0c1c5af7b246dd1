"""A person's data export (GDPR art. 15, FERPA): asked for by an org admin, made by an RQ job, kept for a few
days like reports (media storage, `expires_at`, deleted by `flask privacy sweep`), downloaded by its requester
only.

The job streams each section of `contents.SECTIONS` from the database into a ZIP in a temporary file (a CSV and
a JSON file per section, the profile, the audit entries and a README), writing its progress on the export's row
through a connection of its own about twice a second, so that a person with 10 000 progress rows keeps no
request waiting and the page shows how far it got.
"""

import csv
import io
import json
import logging
import tempfile
import time
import zipfile
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from app.api.types import as_utc
from app.errors import Conflict, DomainError, NotFound, PermissionDenied
from app.extensions import db
from app.jobs import enqueue
from app.security.actor import current_actor
from app.security.actor_ids import NOBODY, actor_ids
from app.security.permissions import denial_message
from app.storage import delete_after_commit, expire_stored_files, media_storage
from app.tenancy.context import require_tenant
from app.tenancy.models import utcnow
from blueprints.audit.recording import record
from blueprints.certificates.verification import verify_url
from blueprints.privacy import contents
from blueprints.privacy.models import DataExport, ExportStatus
from blueprints.users.models import User
from blueprints.users.services import get_user

log = logging.getLogger(__name__)

PERMISSION = "privacy.manage"
DEFAULT_KEEP_DAYS = 7
PROGRESS_SECONDS = 0.5
JOB_TIMEOUT = 3600
MAX_WAITING = 5  # exports one requester may have queued or running at once (each is a job, then a file)
ZIP_LIMIT_BYTES = 2 * 1024**3
BATCH = 1000


class ExportExpired(DomainError):
    status, code = 410, "EXPORT_EXPIRED"


def keep_days():
    return current_app.config.get("PRIVACY_EXPORT_KEEP_DAYS", DEFAULT_KEEP_DAYS)


def require_permission(actor):
    if not actor.is_authenticated or not actor.can(PERMISSION):
        raise PermissionDenied(denial_message(PERMISSION), {"permission": [PERMISSION]})


def request_export(user_id, actor=current_actor):
    """Ask for everything about one person as a ZIP; returns the export (queued) once its job is queued."""
    require_permission(actor)
    person = get_user(user_id, actor.scope)
    requester = actor_ids(actor.principal)
    waiting = db.session.scalar(
        sa.select(sa.func.count(DataExport.id)).where(
            DataExport.status.in_((ExportStatus.QUEUED, ExportStatus.RUNNING)),
            DataExport.requested_by_id == requester.user_id
            if requester.user_id is not None
            else DataExport.requested_by_api_key_id == requester.api_key_id,
            DataExport.created_at > utcnow() - timedelta(seconds=2 * JOB_TIMEOUT),
        )
    )
    if waiting >= MAX_WAITING:
        raise Conflict(
            f"You have {waiting} exports being made; ask for another once one of them is done.",
            code="TOO_MANY_EXPORTS",
        )
    export = DataExport(
        user_id=person.id,
        status=ExportStatus.QUEUED,
        rows_done=0,
        requested_by_id=requester.user_id,
        requested_by_api_key_id=requester.api_key_id,
    )
    db.session.add(export)
    db.session.flush()
    record(
        "person.exported",
        target_type="user",
        target_id=person.id,
        target_label=person.email,
        subject_user_id=person.id,
        details={"export_id": export.id},
    )
    db.session.commit()
    enqueue(require_tenant(), build_export, export.id, retries=1, timeout=JOB_TIMEOUT)
    return export


def _is_requester(export, actor):
    if not actor.is_authenticated or not actor.can(PERMISSION):
        return False
    who = actor_ids(actor.principal)
    if who == NOBODY:
        return False
    if who.user_id is not None:
        return who.user_id == export.requested_by_id
    return who.api_key_id == export.requested_by_api_key_id


def export_for(export_id, actor=current_actor):
    """An export the actor asked for (404 for anyone else, org admins included: it is everything about a person)."""
    export = db.session.get(DataExport, export_id) if isinstance(export_id, int) else None
    if export is None or not _is_requester(export, actor):
        raise NotFound("No such data export.")
    return export


def exports_of_person(user_id, actor=current_actor):
    """The exports of this person the actor asked for, newest first."""
    require_permission(actor)
    person = get_user(user_id, actor.scope)
    who = actor_ids(actor.principal)
    mine = (
        DataExport.requested_by_id == who.user_id
        if who.user_id is not None
        else DataExport.requested_by_api_key_id == who.api_key_id
    )
    return db.session.scalars(
        sa.select(DataExport).where(DataExport.user_id == person.id, mine).order_by(DataExport.id.desc()).limit(20)
    ).all()


def serve_export(export_id, actor=current_actor):
    """The ZIP (409 before it is done, 410 once expired)."""
    export = export_for(export_id, actor)
    if export.status == ExportStatus.EXPIRED or (export.expires_at is not None and export.expires_at <= utcnow()):
        raise ExportExpired("This export has expired; ask for a new one.")
    if export.status != ExportStatus.DONE or not export.file_key:
        raise Conflict("This export is not ready yet.", code="EXPORT_NOT_READY")
    return media_storage().serve(export.file_key, "application/zip", export.file_name, as_attachment=True, max_age=0)


def expire_exports(now=None):
    """Delete the files of exports past their expiry and mark them expired; returns how many."""
    return expire_stored_files(DataExport, ExportStatus.DONE, ExportStatus.EXPIRED, now or utcnow())


def delete_exports_of(user_id):
    """Erasure: the person's exports go, files and rows (the caller commits)."""
    delete_after_commit(
        db.session.scalars(
            sa.select(DataExport.file_key).where(DataExport.user_id == user_id, DataExport.file_key.is_not(None))
        ).all()
    )
    db.session.execute(sa.delete(DataExport).where(DataExport.user_id == user_id))


# --- the job ---------------------------------------------------------------------------------------


class ProgressWriter:
    """Writes `rows_done` on the export's row at most every PROGRESS_SECONDS, through its own connection (a
    commit in the streaming session would end its cursor)."""

    def __init__(self, export_id):
        self.export_id = export_id
        self.engine = db.session.get_bind(mapper=sa.inspect(DataExport))
        self.written_at = time.monotonic()
        self.done = 0

    def add(self, rows):
        self.done += rows
        moment = time.monotonic()
        if moment - self.written_at >= PROGRESS_SECONDS:
            self.write()
            self.written_at = moment

    def write(self):
        with self.engine.begin() as connection:
            connection.execute(sa.update(DataExport).where(DataExport.id == self.export_id).values(rows_done=self.done))


def _plain(value):
    if isinstance(value, datetime):
        return as_utc(value).isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    return value


def _cell(value):
    value = _plain(value)
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value  # a spreadsheet would run it as a formula
    return "" if value is None else value


class _Sink:
    """One section's rows written to its CSV and its JSON entries of the ZIP at once (two open entries are not
    allowed, so the JSON goes to a temporary file first)."""

    def __init__(self, archive, name, names):
        self.archive, self.name, self.names, self.count = archive, name, names, 0
        self.csv_file = io.TextIOWrapper(archive.open(f"{name}.csv", "w", force_zip64=True), "utf-8", newline="")
        self.writer = csv.writer(self.csv_file)
        self.writer.writerow(names)
        self.json_file = tempfile.TemporaryFile("w+", encoding="utf-8")  # noqa: SIM115 (closed in close())
        self.json_file.write("[")

    def add(self, row):
        self.writer.writerow([_cell(row[name]) for name in self.names])
        self.json_file.write(("," if self.count else "") + "\n  ")
        json.dump({name: _plain(row[name]) for name in self.names}, self.json_file, ensure_ascii=False)
        self.count += 1

    def close(self):
        self.csv_file.close()
        self.json_file.write("\n]\n" if self.count else "]\n")
        self.json_file.seek(0)
        with self.archive.open(f"{self.name}.json", "w", force_zip64=True) as out:
            while chunk := self.json_file.read(64 * 1024):
                out.write(chunk.encode())
        self.json_file.close()


def _write_section(archive, name, stmt, extra, progress):
    result = db.session.execute(stmt.execution_options(yield_per=BATCH))
    names = list(result.keys()) + list(extra)
    sink = _Sink(archive, name, names)
    context = {"verify_url": verify_url}
    for partition in result.mappings().partitions():
        for row in partition:
            sink.add({**row, **{key: compute(row, context) for key, compute in extra.items()}})
        progress.add(len(partition))
    sink.close()
    return sink.count


def _count(stmt):
    return db.session.scalar(sa.select(sa.func.count()).select_from(stmt.order_by(None).subquery()))


def readme(person, counts, organization, made_at):
    lines = [
        f"Everything {organization} holds about person #{person.id}, exported {made_at:%Y-%m-%d %H:%M} UTC.",
        "",
        "Each kind of record is in two files with the same rows: NAME.csv (opens in a spreadsheet) and",
        "NAME.json (for programs). Times are UTC. Ids refer to courses, quizzes and classes of the organization.",
        "",
        "profile.json: the person's account: names, addresses, role, status, dates (never the password).",
    ]
    for section in contents.SECTIONS:
        lines.append(f"{section.name}.csv/.json ({counts[section.name]} rows): {section.description}")
    lines.append(
        f"audit_entries.csv/.json ({counts['audit_entries']} rows): the organization's audit trail entries where "
        "the person acted or was acted on."
    )
    lines += [
        "",
        "Not included: secrets (password, sign-in tokens), and work the person did for the organization as staff",
        "(courses, questions, reports on others), which is the organization's and lists other people.",
    ]
    return "\n".join(lines) + "\n"


def _profile(person):
    users = contents.table("users")
    row = db.session.execute(sa.select(*contents.columns_of("users")).where(users.c.id == person.id)).mappings().one()
    return {name: _plain(value) for name, value in row.items()}


def build_export(export_id):
    """The job: write every section into a ZIP, store it, keep it `PRIVACY_EXPORT_KEEP_DAYS` days."""
    export = db.session.get(DataExport, export_id)
    if export is None or export.status in (ExportStatus.DONE, ExportStatus.EXPIRED):
        return
    export.status, export.rows_done, export.error = ExportStatus.RUNNING, 0, None
    export.started_at, export.finished_at = utcnow(), None
    db.session.commit()
    try:
        stored, total = _build(export)
    except Exception as error:
        log.exception("Data export %s failed", export_id)
        db.session.rollback()
        export = db.session.get(DataExport, export_id)
        if export is not None:
            export.status, export.finished_at = ExportStatus.FAILED, utcnow()
            export.error = "The export could not be made because of an error on our side; try again later."
            db.session.commit()
        raise error from None
    export = db.session.get(DataExport, export_id)
    if export.file_key:
        media_storage().delete(export.file_key)  # a retry's earlier file
    finished = utcnow()
    export.file_key, export.file_size = stored.key, stored.size
    export.file_name = f"person-{export.user_id}-data-{finished:%Y%m%d-%H%M}.zip"
    export.rows_done = export.rows_total = total
    export.status, export.finished_at = ExportStatus.DONE, finished
    export.expires_at = finished + timedelta(days=keep_days())
    db.session.commit()


def _build(export):
    person = db.session.get(User, export.user_id)
    queries = [
        (section.name, contents.section_query(section, person.id), section.extra) for section in contents.SECTIONS
    ]
    queries.append(("audit_entries", contents.audit_query(person.id), {}))
    export.rows_total = sum(_count(stmt) for _name, stmt, _extra in queries)
    export_id, tenant = export.id, require_tenant()
    db.session.commit()
    progress = ProgressWriter(export_id)
    counts = {}
    with tempfile.TemporaryFile() as spool:
        with zipfile.ZipFile(spool, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("profile.json", json.dumps(_profile(person), ensure_ascii=False, indent=2) + "\n")
            for name, stmt, extra in queries:
                counts[name] = _write_section(archive, name, stmt, extra, progress)
            archive.writestr("README.txt", readme(person, counts, tenant.name, utcnow()))
        db.session.commit()  # ends the streaming transaction before the row is written again
        size = spool.tell()
        spool.seek(0)
        stored = media_storage().save(tenant.slug, spool, max(size + 1, ZIP_LIMIT_BYTES))
    return stored, sum(counts.values())
