"""Bulk imports of people: dry run, then commit; resumable, idempotent, one record per file.

An import is keyed by the file's SHA-256 and its mode. Every batch is committed together with the
import's progress, its counts and its bad rows, so a worker killed mid-way loses nothing: the
retried job skips the batches already committed, and upserts make any repeat harmless.
"""

import csv
import io
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from flask import current_app
from redis.exceptions import LockError
from rq import get_current_job

from app.api.listing import ListSpec, run_list_query
from app.csv_safety import safe_row
from app.errors import Conflict, NotFound, PermissionDenied
from app.events import emit_after_commit
from app.extensions import db
from app.jobs import enqueue, run_is_alive, run_lock
from app.observability.metrics import count_import_rows
from app.security.actor_ids import actor_ids
from app.tenancy.context import require_tenant
from app.tenancy.models import utcnow
from blueprints.audit.models import AuditOutcome
from blueprints.audit.recording import acting_from_ids
from blueprints.audit.recording import record as audit_record  # `record` names an import's row here
from blueprints.auth.services import invite_users
from blueprints.imports import csvfile
from blueprints.imports.engine import Catalog, Validator, apply_batch
from blueprints.imports.models import ImportRowError, ImportStatus, UserImport

DRY_RUN, COMMIT = "dry_run", "commit"

ERROR_LIST = ListSpec(
    filters={"row_number": ImportRowError.row_number, "column": ImportRowError.column},
    sorts={"row_number": ImportRowError.row_number},
    default_sort=("row_number",),
    tiebreaker=ImportRowError.id,
)


def upload_folder():
    return Path(current_app.config["INSTANCE_DIR"]) / "imports" / require_tenant().slug


def owner_of(actor):
    """Whose an import is: a person's or an API key's (their ids live in different tables)."""
    user_id, api_key_id = actor_ids(actor)
    if user_id is not None:
        return f"user:{user_id}"
    if api_key_id is not None:
        return f"key:{api_key_id}"
    raise PermissionDenied("Only a person or an API key of the organization imports people.")


def start_import(stream, filename, mode, send_invitations, actor, scope):
    """Store the file and queue its dry run or commit; the same file again resumes or re-runs.

    `actor`: the principal (a person or an API key), recorded as who started it."""
    upload = csvfile.store_upload(stream, upload_folder(), current_app.config["IMPORT_MAX_BYTES"])
    owner = owner_of(actor)
    record = db.session.scalar(
        sa.select(UserImport).where(
            UserImport.owner == owner, UserImport.file_sha256 == upload.sha256, UserImport.mode == mode
        )
    )
    if record is not None and record.status in (ImportStatus.QUEUED, ImportStatus.RUNNING, ImportStatus.FAILED):
        if record.status != ImportStatus.FAILED and run_is_alive("import", record):
            return record  # already on its way: uploading twice does not run it twice
        # It failed, or its worker died (killed, machine lost): queue it again; it resumes after
        # its last committed batch.
        _queue(record)
        return record
    if record is None:
        record = UserImport(owner=owner, file_sha256=upload.sha256, mode=mode)
        db.session.add(record)
    else:  # a finished import of the same file: run it again (a commit then changes nothing)
        db.session.execute(sa.delete(ImportRowError).where(ImportRowError.import_id == record.id))
        record.created_count = record.updated_count = record.unchanged_count = record.invalid_count = 0
        record.processed_rows, record.error_message, record.started_at, record.finished_at = 0, None, None, None
    record.filename = (filename or "people.csv")[:255]
    record.file_path = str(upload.path)
    record.status = ImportStatus.QUEUED
    record.send_invitations = bool(send_invitations)  # a dry run keeps the choice for its commit
    record.created_by_id, record.created_by_api_key_id = actor_ids(actor)
    record.scope_branch_ids = None if scope.organization_wide else sorted(scope.branch_ids)
    record.total_rows = csvfile.count_rows(upload.path)
    db.session.commit()
    _queue(record)
    return record


def _queue(record):
    job = enqueue(require_tenant(), run_import, record.id, timeout=3600)
    record.rq_job_id = job.id
    db.session.commit()


def commit_dry_run(import_id, actor, scope):
    """Commit the file a dry run checked."""
    dry_run = get_import(import_id, scope, actor)
    if dry_run.mode != DRY_RUN:
        raise Conflict("Only a dry run can be committed.")
    with open(dry_run.file_path, "rb") as stream:
        # The person chose at upload whether new people get an invitation; committing keeps that choice.
        return start_import(stream, dry_run.filename, COMMIT, dry_run.send_invitations, actor, scope)


def run_import(import_id):
    """The RQ job: validate every row; with a commit, upsert the valid ones, batch by batch."""
    lock = run_lock("import", import_id)
    if not lock.acquire(blocking=False):
        return  # another worker runs this import right now
    try:
        _run_import(import_id, lock)
    finally:
        with suppress(LockError):  # expired meanwhile: nothing to release
            lock.release()


def _run_import(import_id, lock):
    record = db.session.get(UserImport, import_id)
    if record is None or record.status == ImportStatus.DONE:
        return
    record.status = ImportStatus.RUNNING
    record.started_at = record.started_at or utcnow()
    db.session.commit()
    scope = frozenset(record.scope_branch_ids) if record.scope_branch_ids is not None else None
    validator = Validator(Catalog.load(), scope)
    resume_after = record.processed_rows  # rows committed by an earlier, interrupted run
    batch_size = current_app.config["IMPORT_BATCH_SIZE"]
    position, valid, errors = 0, [], []
    try:
        for number, raw in csvfile.iter_records(record.file_path):
            position += 1
            row, row_errors = validator.validate(number, raw)
            if position <= resume_after:
                continue  # validated again only to know what the file said before this point
            if row is not None:
                valid.append(row)
            errors.extend(row_errors)
            if position - record.processed_rows == batch_size:
                _apply_and_checkpoint(record, valid, errors, position)
                lock.extend(current_app.config["IMPORT_LOCK_SECONDS"], replace_ttl=True)
                valid, errors = [], []
        if position > record.processed_rows:
            _apply_and_checkpoint(record, valid, errors, position)
        record.total_rows = position
        record.status = ImportStatus.DONE
        record.finished_at = utcnow()
        _emit_finished(record)
        _record_finished(record)
        db.session.commit()
    except Exception as error:
        db.session.rollback()
        record = db.session.get(UserImport, import_id)
        record.status = ImportStatus.FAILED
        record.error_message = f"{type(error).__name__}: {error}"[:2000]
        job = get_current_job()
        if job is None or not job.retries_left:  # the last try: nothing will run it again by itself
            _emit_finished(record)
            _record_finished(record)
        db.session.commit()
        raise


def _emit_finished(record):
    emit_after_commit(
        db.session,
        "import.finished",
        import_id=record.id,
        created=record.created_count,
        updated=record.updated_count,
        failed=record.invalid_count,
        status=record.status,
    )


def _record_finished(record):
    """One audit entry per committed import (a dry run changes nothing), with its counts, for whoever started it."""
    if record.mode != COMMIT:
        return
    audit_record(
        "import.finished",
        outcome=AuditOutcome.SUCCESS if record.status == ImportStatus.DONE else AuditOutcome.FAILURE,
        target_type="import",
        target_id=record.id,
        target_label=record.filename,
        details={
            "status": record.status,
            "rows": record.total_rows,
            "created": record.created_count,
            "updated": record.updated_count,
            "unchanged": record.unchanged_count,
            "invalid": record.invalid_count,
        },
        actor=acting_from_ids(record.created_by_id, record.created_by_api_key_id),
    )


def _apply_and_checkpoint(record, valid, errors, handled):
    result = apply_batch(
        valid,
        commit=record.mode == COMMIT,
        scope_branch_ids=frozenset(record.scope_branch_ids) if record.scope_branch_ids is not None else None,
        send_invitations=record.send_invitations,
    )
    errors = errors + result.errors
    if errors:
        db.session.execute(
            sa.insert(ImportRowError),
            [
                {
                    "import_id": record.id,
                    "row_number": e.row_number,
                    "column": e.column,
                    "value": e.value,
                    "reason": e.reason,
                }
                for e in _one_per_cell(errors)
            ],
        )
    invalid_rows = len({error.row_number for error in errors})
    rows_in_batch = handled - record.processed_rows
    record.created_count += result.created
    record.updated_count += result.updated
    record.unchanged_count += result.unchanged
    record.invalid_count += invalid_rows
    record.processed_rows = handled
    if result.invite_emails:
        # Queued before the commit on purpose: if the commit fails the job finds no such users yet,
        # and the retried batch queues them again; `invited_at` keeps anyone from getting two mails.

        enqueue(require_tenant(), invite_users, result.invite_emails)
    db.session.commit()
    count_import_rows("import", rows_in_batch)


def _one_per_cell(errors):
    seen = {}
    for error in errors:
        key = (error.row_number, error.column)
        if key in seen:
            seen[key].reason = f"{seen[key].reason} {error.reason}"[:300]
        else:
            seen[key] = error
    return list(seen.values())


def get_import(import_id, scope, actor):
    """An import in sight: org admins see every import, anyone else the imports they started."""
    record = db.session.get(UserImport, import_id)
    if record is None or not _visible(record, scope, actor):
        raise NotFound("No such import.")
    return record


def list_imports(scope, actor, limit=20):
    """The latest imports in sight: everyone's for org admins, one's own otherwise."""
    stmt = sa.select(UserImport).order_by(UserImport.created_at.desc(), UserImport.id.desc()).limit(limit)
    if not scope.organization_wide:
        stmt = stmt.where(UserImport.owner == owner_of(actor))
    return [record for record in db.session.scalars(stmt) if _visible(record, scope, actor)]


def _visible(record, scope, actor):
    if scope.organization_wide:
        return True
    # Their own, and only while it stays inside the branches they manage now.
    return (
        record.owner == owner_of(actor)
        and record.scope_branch_ids is not None
        and set(record.scope_branch_ids) <= scope.branch_ids
    )


def list_errors(record, query):
    stmt = sa.select(ImportRowError).where(ImportRowError.import_id == record.id)
    return run_list_query(db.session, stmt, query, ERROR_LIST)


def errors_csv(record):
    """The invalid rows as CSV (row, column, value, reason), formula-safe, streamed."""
    yield "\ufeff"  # a BOM, so that spreadsheet programs read UTF-8
    stmt = (
        sa.select(ImportRowError.row_number, ImportRowError.column, ImportRowError.value, ImportRowError.reason)
        .where(ImportRowError.import_id == record.id)
        .order_by(ImportRowError.row_number, ImportRowError.column)
        .execution_options(yield_per=1000)
    )
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["row", "column", "value", "reason"])
    for row in db.session.execute(stmt):
        writer.writerow(safe_row(row))
        if buffer.tell() > 1 << 15:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


@dataclass(frozen=True)
class Progress:
    percent: int
    rate: float | None  # rows per second
    eta_seconds: int | None


def progress_of(record):
    total = max(record.total_rows or 0, record.processed_rows, 1)
    percent = 100 if record.status == ImportStatus.DONE else min(99, int(100 * record.processed_rows / total))
    if not record.started_at or not record.processed_rows:
        return Progress(percent, None, None)
    elapsed = max(((record.finished_at or utcnow()) - record.started_at).total_seconds(), 0.001)
    rate = record.processed_rows / elapsed
    remaining = max(total - record.processed_rows, 0)
    eta = None if record.status == ImportStatus.DONE else int(remaining / rate) if rate else None
    return Progress(percent, round(rate, 1), eta)
