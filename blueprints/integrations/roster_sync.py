"""The OneRoster sync job: a zip read by `roster.py`, mapped onto branches, classes, people and memberships.

People go through the people import's engine (`blueprints/imports/engine.py`, `apply_batch`): the same
matching (external id, then e-mail), the same set-based upserts and the same `class.members_added` events, so
the classes' course enrollments follow exactly as they do for an import. The stages:

1. catalog: orgs -> branches, academicSessions -> the classes' terms, classes -> classes (set-based upserts),
   and every row of the other files checked (references, roles, dates); committed with its bad rows and the
   checkpoint `{"stage": "users", "row": 1}`.
2. users: users.csv a batch at a time through the engine, with each person's branches (their orgs) and classes
   (their enrollments); each batch committed with its bad rows and the checkpoint (the last row handled).
3. finish: enrollments of people already here (a delta names only them), `tobedeleted` people deactivated and
   enrollments removed; then done.

A crashed commit runs again from its checkpoint: stage 1 again finds everything it wrote (unchanged), stage 2
skips the rows before the checkpoint, stage 3 is idempotent. A dry run does all of it without writing.
"""

import csv
import hashlib
import io
import re
import sys
import zipfile
from collections import Counter, defaultdict
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
from flask import current_app
from redis.exceptions import LockError
from rq import get_current_job

from app.api.listing import ListSpec, run_list_query
from app.csv_safety import safe_row
from app.emails import check_email
from app.errors import Conflict, NotFound, ValidationFailed
from app.events import emit_after_commit
from app.extensions import db
from app.jobs import enqueue, run_is_alive, run_lock
from app.observability.metrics import count_import_rows
from app.security.actor_ids import actor_ids
from app.security.permissions import BRANCH_MANAGER, ORG_ADMIN, STUDENT, TEACHER
from app.tenancy.context import require_tenant
from app.tenancy.models import utcnow
from blueprints.audit.models import AuditOutcome
from blueprints.audit.recording import acting_from_ids
from blueprints.audit.recording import record as audit_record  # `record` names a sync's row here
from blueprints.branches.models import Branch
from blueprints.classes.models import ClassMembership, SchoolClass
from blueprints.imports.engine import MAX_LENGTHS, Row, apply_batch
from blueprints.imports.services import owner_of
from blueprints.integrations import roster
from blueprints.integrations.models import (
    Integration,
    IntegrationKind,
    RosterSync,
    RosterSyncError,
    RosterSyncStatus,
)
from blueprints.integrations.roster_fetch import fetch_source
from blueprints.notifications.producing import notify
from blueprints.users.models import User

DRY_RUN, COMMIT = "dry_run", "commit"
# People per batch (ROSTER_BATCH_SIZE overrides it): larger than the people import's, for a district's people are
# in many classes each and every batch emits one `class.members_added` per class it touches.
BATCH_SIZE = 10_000
# OneRoster roles that become people, and as what. Administrators of any kind manage their orgs' branches:
# an org admin (who manages integrations, keys and everyone) is made by hand in Tessera, never by a file, and
# the sync never changes an org admin's role. Guardians, parents, relatives, aides and proctors are skipped.
PERSON_ROLES = {
    "student": STUDENT,
    "teacher": TEACHER,
    "administrator": BRANCH_MANAGER,
    "principal": BRANCH_MANAGER,
    "siteAdministrator": BRANCH_MANAGER,
    "districtAdministrator": BRANCH_MANAGER,
}
RANK = {STUDENT: 0, TEACHER: 1, BRANCH_MANAGER: 2, ORG_ADMIN: 3}
CLASS_ROLES = {"teacher": TEACHER, "student": STUDENT}  # enrollments' roles that become class memberships

ERROR_LIST = ListSpec(
    filters={"file": RosterSyncError.file, "row_number": RosterSyncError.row_number},
    sorts={"row_number": RosterSyncError.row_number},
    default_sort=("row_number",),
    tiebreaker=RosterSyncError.id,
)


# --- starting, finding ---------------------------------------------------------------------------------------


def upload_folder():
    return Path(current_app.config["INSTANCE_DIR"]) / "roster" / require_tenant().slug


def store_zip(stream, max_bytes):
    """Copy an upload to `<folder>/<sha256>.zip` in chunks (at most `max_bytes`); (path, sha256)."""
    folder = upload_folder()
    folder.mkdir(parents=True, exist_ok=True)
    partial = folder / f"upload-{id(stream):x}.part"
    digest, size = hashlib.sha256(), 0
    try:
        with open(partial, "wb") as out:
            while chunk := stream.read(1 << 16):
                size += len(chunk)
                if size > max_bytes:
                    message = f"The file is larger than the {max_bytes >> 20} MB limit."
                    raise ValidationFailed(message, {"file": [message]}, code="INVALID_FILE")
                digest.update(chunk)
                out.write(chunk)
        if size == 0:
            raise ValidationFailed("The file is empty.", {"file": ["The file is empty."]}, code="INVALID_FILE")
        sha = digest.hexdigest()
        final = folder / f"{sha}.zip"
        partial.replace(final)
        return final, sha
    finally:
        partial.unlink(missing_ok=True)


def get_integration(integration_id):
    integration = db.session.get(Integration, integration_id)
    if integration is None or integration.kind != IntegrationKind.ONEROSTER:
        raise NotFound("No such OneRoster integration.")
    return integration


def start_sync(integration, stream, filename, mode, actor):
    """Store the zip and queue its dry run or commit; the same zip again resumes a run that died."""
    if integration.status != "active":
        raise Conflict("This integration is paused or disabled: it does not sync.")
    path, sha = store_zip(stream, current_app.config["IMPORT_MAX_BYTES"])
    # A person's or an API key's, as the people import; none: the integration's own (a scheduled fetch, a script)
    owner = owner_of(actor) if actor is not None else f"integration:{integration.id}"
    record = db.session.scalar(
        sa.select(RosterSync)
        .where(RosterSync.integration_id == integration.id, RosterSync.file_sha256 == sha, RosterSync.mode == mode)
        .where(RosterSync.status.in_((RosterSyncStatus.QUEUED, RosterSyncStatus.RUNNING, RosterSyncStatus.FAILED)))
        .order_by(RosterSync.id.desc())
        .limit(1)
    )
    if record is not None:
        if record.status != RosterSyncStatus.FAILED and run_is_alive("roster", record):
            return record  # on its way already: the same upload does not run twice
        _queue(record)  # failed, or its worker died: it resumes from its checkpoint
        return record
    record = RosterSync(integration_id=integration.id, owner=owner, file_sha256=sha, mode=mode)
    record.filename = (filename or "oneroster.zip")[:255]
    record.file_path = str(path)
    record.status = RosterSyncStatus.QUEUED
    record.counts = {}
    record.created_by_id, record.created_by_api_key_id = actor_ids(actor)
    db.session.add(record)
    db.session.commit()
    _queue(record)
    return record


def start_fetched_sync(integration, mode, actor):
    """A sync of the zip at the integration's source URL (fetched now, through the SSRF guard)."""
    if integration.status != "active":
        raise Conflict("This integration is paused or disabled: it does not sync.")
    url = (integration.settings or {}).get("source_url") or ""
    filename = url.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1] or "oneroster.zip"
    return fetch_source(integration, lambda stream: start_sync(integration, stream, filename, mode, actor))


def commit_dry_run(integration, sync_id, actor):
    """Commit the zip a dry run checked (bad rows are skipped, as the people import does)."""
    dry_run = get_sync(integration, sync_id)
    if dry_run.mode != DRY_RUN:
        raise Conflict("Only a dry run can be committed.")
    if dry_run.status != RosterSyncStatus.DONE:
        raise Conflict("The dry run has not finished.")
    with open(dry_run.file_path, "rb") as stream:
        return start_sync(integration, stream, dry_run.filename, COMMIT, actor)


def get_sync(integration, sync_id):
    record = db.session.get(RosterSync, sync_id)
    if record is None or record.integration_id != integration.id:
        raise NotFound("No such sync.")
    return record


def list_syncs(integration, limit=20):
    return db.session.scalars(
        sa.select(RosterSync)
        .where(RosterSync.integration_id == integration.id)
        .order_by(RosterSync.id.desc())
        .limit(limit)
    ).all()


def list_errors(record, query):
    stmt = sa.select(RosterSyncError).where(RosterSyncError.sync_id == record.id)
    return run_list_query(db.session, stmt, query, ERROR_LIST)


def errors_csv(record):
    """The bad rows as CSV (file, row, column, value, reason), formula-safe, streamed."""
    yield "\ufeff"  # a BOM, so that spreadsheet programs read UTF-8
    stmt = (
        sa.select(
            RosterSyncError.file,
            RosterSyncError.row_number,
            RosterSyncError.column,
            RosterSyncError.value,
            RosterSyncError.reason,
        )
        .where(RosterSyncError.sync_id == record.id)
        .order_by(RosterSyncError.file, RosterSyncError.row_number, RosterSyncError.id)
        .execution_options(yield_per=1000)
    )
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["file", "row", "column", "value", "reason"])
    for row in db.session.execute(stmt):
        writer.writerow(safe_row(row))
        if buffer.tell() > 1 << 15:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def progress_percent(record):
    if record.status == RosterSyncStatus.DONE:
        return 100
    total = max(record.total_rows or 0, record.processed_rows, 1)
    return min(99, int(100 * record.processed_rows / total))


def _queue(record):
    job = enqueue(require_tenant(), run_sync, record.id, timeout=3600)
    record.rq_job_id = job.id
    db.session.commit()


# --- the job -------------------------------------------------------------------------------------------------


def run_sync(sync_id):
    """The RQ job: one run of a sync at a time (a Redis lock, extended after each batch)."""
    lock = run_lock("roster", sync_id)
    if not lock.acquire(blocking=False):
        return
    try:
        _run(sync_id, lock)
    finally:
        with suppress(LockError):
            lock.release()


def _run(sync_id, lock):
    record = db.session.get(RosterSync, sync_id)
    if record is None or record.status == RosterSyncStatus.DONE:
        return
    record.status = RosterSyncStatus.RUNNING
    record.started_at = record.started_at or utcnow()
    db.session.commit()
    try:
        try:
            Sync(record, roster.open_zip(record.file_path), lock).run()
        except (roster.BadZip, zipfile.BadZipFile) as bad:
            # Found before anything was written: counting the rows reads every member to its end first.
            db.session.rollback()
            record = db.session.get(RosterSync, sync_id)
            errors = getattr(bad, "errors", None) or [roster.RosterError("(zip)", 0, "", "", f"Unreadable: {bad}")]
            _write_errors(record, errors)
        _finish(record)
    except Exception as error:
        db.session.rollback()
        record = db.session.get(RosterSync, sync_id)
        record.status = RosterSyncStatus.FAILED
        record.error_message = f"{type(error).__name__}: {error}"[:2000]
        job = get_current_job()
        if job is None or not job.retries_left:
            _emit_finished(record)
        db.session.commit()
        raise


def _finish(record):
    record.status = RosterSyncStatus.DONE
    record.finished_at = utcnow()
    record.processed_rows = max(record.processed_rows, record.total_rows or 0)
    _emit_finished(record)
    db.session.commit()


OUTCOMES = {"failed": "failed", "dry_run": "was checked (dry run)", "done": "has finished"}


def _emit_finished(record):
    """The event, and the notification of the person who started it (an API key is nobody), in its transaction."""
    counts = [c for c in (record.counts or {}).values() if isinstance(c, dict)]
    created, updated = sum(c.get("created", 0) for c in counts), sum(c.get("updated", 0) for c in counts)
    failed = bad_rows(record)
    emit_after_commit(
        db.session,
        "roster.sync_finished",
        sync_id=record.id,
        integration_id=record.integration_id,
        mode=record.mode,
        created=created,
        updated=updated,
        failed=failed,
        status=record.status,
    )
    integration = db.session.get(Integration, record.integration_id) if record.integration_id else None
    dry_run = record.mode == DRY_RUN
    if not dry_run:  # one audit entry per run that changed (or tried to change) people and classes
        audit_record(
            "roster.synced",
            outcome=AuditOutcome.FAILURE if record.status == RosterSyncStatus.FAILED else AuditOutcome.SUCCESS,
            target_type="integration",
            target_id=record.integration_id,
            target_label=integration.name if integration else record.filename,
            details={"sync_id": record.id, "file": record.filename, "status": record.status}
            | {"created": created, "updated": updated, "failed": failed},
            actor=acting_from_ids(record.created_by_id, record.created_by_api_key_id),
        )
    if record.created_by_id is None:
        return
    sync = {
        "file_name": record.filename,
        "integration": integration.name if integration else "",
        "created": created,
        "updated": updated,
        "failed": failed,
        "status": record.status,
        "dry_run": dry_run,
        "outcome": OUTCOMES["failed" if record.status == RosterSyncStatus.FAILED else "dry_run" if dry_run else "done"],
    }
    notify(
        "roster_sync_finished",
        [record.created_by_id],
        source_key=f"roster_sync:{record.id}:{record.status}",
        context={"sync": sync},
        link=f"/integrations/{record.integration_id}/syncs/{record.id}",
    )


def bad_rows(record):
    """How many rows (of every file) were refused."""
    rows = (
        sa.select(RosterSyncError.file, RosterSyncError.row_number)
        .where(RosterSyncError.sync_id == record.id)
        .distinct()
        .subquery()
    )
    return db.session.scalar(sa.select(sa.func.count()).select_from(rows)) or 0


def _write_errors(record, errors):
    if not errors:
        return
    merged = {}
    for error in errors:  # one per cell, as the people import reports them
        key = (error.file, error.row_number, error.column)
        if key in merged:
            merged[key].reason = f"{merged[key].reason} {error.reason}"[:300]
        else:
            merged[key] = error
    db.session.execute(
        sa.insert(RosterSyncError),
        [
            {
                "sync_id": record.id,
                "file": e.file[:40],
                "row_number": e.row_number,
                "column": e.column[:40],
                "value": (e.value or "")[:300],
                "reason": e.reason[:300],
            }
            for e in merged.values()
        ],
    )


@dataclass
class Org:
    sourced_id: str
    name: str
    code: str
    deleted: bool


@dataclass
class Klass:
    sourced_id: str
    title: str
    code: str
    school: str | None
    term_start: object
    term_end: object
    deleted: bool


def _code_of(identifier):
    code = re.sub(r"[^a-z0-9_-]+", "-", (identifier or "").lower()).strip("-_")[:40]
    if not code or not code[0].isalnum():
        code = "org-" + hashlib.sha256((identifier or "").encode()).hexdigest()[:12]
    return code


@dataclass
class Sync:
    record: RosterSync
    zipped: roster.RosterZip
    lock: object
    errors: list = field(default_factory=list)
    counts: dict = field(default_factory=lambda: defaultdict(Counter))
    branch_ids: dict = field(default_factory=dict)  # org sourcedId -> branch id (negative: one a dry run would add)
    class_ids: dict = field(default_factory=dict)  # class sourcedId -> class id (likewise)
    roles: dict = field(default_factory=dict)  # user sourcedId -> ((role, org, primary), ...)
    enrollments: dict = field(default_factory=lambda: defaultdict(list))  # user sourcedId -> [(class id, role)]
    removed_enrollments: list = field(default_factory=list)  # [(user sourcedId, class id)]
    deleted_users: list = field(default_factory=list)
    user_ids_in_file: set = field(default_factory=set)

    @property
    def commit(self):
        return self.record.mode == COMMIT

    def mode_of(self, name):
        return self.zipped.processing.get(name, roster.BULK)

    def run(self):
        record = self.record
        checkpoint = record.checkpoint or {}
        resuming = checkpoint.get("stage") in ("users", "finish")
        record.processing = self.zipped.mode  # "delta" when any file is one
        if record.total_rows is None:
            record.total_rows = sum(self.zipped.count_rows(name) for name in self.zipped.processing)
        self.errors.extend(self.zipped.manifest_errors)
        for name in self.zipped.processing:
            self.errors.extend(self.zipped.header_errors(name))
        if any(error.row_number <= 1 for error in self.errors):
            # No usable manifest or a file without its columns: nothing of the zip is read further.
            _write_errors(record, self.errors)
            return
        self._catalog()
        if not resuming:
            for file, _number in {(e.file, e.row_number) for e in self.errors}:
                self.counts[file]["invalid"] += 1
            record.counts = _plain(self.counts)
            _write_errors(record, self.errors)
            record.processed_rows = sum(
                self.zipped.count_rows(name) for name in self.zipped.processing if name != roster.USERS
            )
            record.checkpoint = {"stage": "users", "row": 1}
            db.session.commit()
        else:
            self.counts = defaultdict(Counter, {k: Counter(v) for k, v in (record.counts or {}).items()})
        self.lock.extend(current_app.config["IMPORT_LOCK_SECONDS"], replace_ttl=True)
        self.errors = []
        if record.checkpoint.get("stage") == "users":
            self._users(record.checkpoint.get("row", 1))
        self._finish_stage()

    # stage 1 ---------------------------------------------------------------------------------------------

    def _catalog(self):
        orgs = self._read_orgs()
        sessions = self._read_sessions()
        courses = self._read_courses(orgs)
        classes = self._read_classes(orgs, sessions, courses)
        self._write_branches(orgs)
        self._write_classes(classes)
        self.user_ids_in_file = self._read_user_ids()
        known_users = self.user_ids_in_file | set(
            db.session.scalars(sa.select(User.external_id).where(User.external_id.is_not(None)))
        )
        self._read_roles(known_users)
        self._read_enrollments(known_users)

    def _known(self, model, ids):
        return ids | set(db.session.scalars(sa.select(model.external_id).where(model.external_id.is_not(None))))

    def _read_orgs(self):
        orgs = {}
        if not self.zipped.has(roster.ORGS):
            return orgs
        checker = roster.Checker(roster.ORGS, self.mode_of(roster.ORGS), self.errors)
        rows = list(self.zipped.rows(roster.ORGS))
        known = self._known(Branch, {r.get("sourcedId") for _, r in rows if r.get("sourcedId")})
        for number, record in rows:
            before = len(self.errors)
            checker.row(number, record)
            checker.choice(number, record, "type", roster.ORG_TYPES)
            checker.reference(number, record, "parentSourcedId", known, "parent org")
            if len(self.errors) == before:
                deleted = record.get("status") == roster.TO_BE_DELETED
                code = _code_of(record.get("identifier") or record["sourcedId"])
                orgs[record["sourcedId"]] = Org(record["sourcedId"], record.get("name", "")[:200], code, deleted)
        return orgs

    def _read_sessions(self):
        sessions = {}
        if not self.zipped.has(roster.SESSIONS):
            return sessions
        checker = roster.Checker(roster.SESSIONS, self.mode_of(roster.SESSIONS), self.errors)
        rows = list(self.zipped.rows(roster.SESSIONS))
        known = {r.get("sourcedId") for _, r in rows if r.get("sourcedId")}
        for number, record in rows:
            before = len(self.errors)
            checker.row(number, record)
            checker.choice(number, record, "type", roster.SESSION_TYPES)
            start = checker.date(number, record, "startDate")
            end = checker.date(number, record, "endDate")
            if start and end and end < start:
                checker.problem(number, "endDate", record["endDate"], "Before the startDate.")
            checker.reference(number, record, "parentSourcedId", known, "parent academic session")
            if len(self.errors) == before:
                sessions[record["sourcedId"]] = (start, end)
        return sessions

    def _read_courses(self, orgs):
        courses = set()
        if not self.zipped.has(roster.COURSES):
            return courses
        checker = roster.Checker(roster.COURSES, self.mode_of(roster.COURSES), self.errors)
        known_orgs = self._known(Branch, set(orgs))
        for number, record in self.zipped.rows(roster.COURSES):
            before = len(self.errors)
            checker.row(number, record)
            checker.reference(number, record, "orgSourcedId", known_orgs, "org")
            if len(self.errors) == before:
                courses.add(record["sourcedId"])
        return courses

    def _read_classes(self, orgs, sessions, courses):
        classes = {}
        if not self.zipped.has(roster.CLASSES):
            return classes
        checker = roster.Checker(roster.CLASSES, self.mode_of(roster.CLASSES), self.errors)
        known_orgs = self._known(Branch, set(orgs))
        delta = self.mode_of(roster.CLASSES) == roster.DELTA
        for number, record in self.zipped.rows(roster.CLASSES):
            before = len(self.errors)
            checker.row(number, record)
            checker.choice(number, record, "classType", roster.CLASS_TYPES)
            if courses or not delta:
                checker.reference(number, record, "courseSourcedId", courses, "course")
            school = checker.reference(number, record, "schoolSourcedId", known_orgs, "school")
            terms = checker.references(number, record, "termSourcedIds", sessions, "academic session")
            if len(self.errors) > before:
                continue
            starts = [sessions[t][0] for t in terms if sessions[t][0]]
            ends = [sessions[t][1] for t in terms if sessions[t][1]]
            classes[record["sourcedId"]] = Klass(
                record["sourcedId"],
                record.get("title", "")[:200],
                record.get("classCode", ""),
                school,
                min(starts) if starts else None,
                max(ends) if ends else None,
                record.get("status") == roster.TO_BE_DELETED,
            )
        return classes

    def _write_branches(self, orgs):
        counts = self.counts[roster.ORGS]
        existing = {
            b.external_id: b
            for b in db.session.execute(
                sa.select(Branch.id, Branch.code, Branch.name, Branch.external_id, Branch.archived_at)
            )
            if b.external_id
        }
        unlinked = {
            b.code: b
            for b in db.session.execute(
                sa.select(Branch.id, Branch.code, Branch.name, Branch.archived_at).where(Branch.external_id.is_(None))
            )
        }
        taken_codes = {b.code for b in existing.values()} | set(unlinked)
        taken_names = {b.name for b in existing.values()} | {b.name for b in unlinked.values()}
        now = utcnow()
        for sourced_id, branch in existing.items():
            self.branch_ids[sourced_id] = branch.id
        for org in orgs.values():
            have = existing.get(org.sourced_id)
            if org.deleted:
                if have is not None and have.archived_at is None:
                    counts["deactivated"] += 1
                    if self.commit:
                        db.session.execute(sa.update(Branch).where(Branch.id == have.id).values(archived_at=now))
                continue
            linking = have is None and org.code in unlinked and unlinked[org.code].archived_at is None
            if linking:
                have = unlinked.pop(org.code)  # a branch made by hand with this code: linked, not doubled
            if have is not None:
                values = {"external_id": org.sourced_id} if linking else {}
                if have.name != org.name and org.name not in taken_names:
                    values["name"] = org.name
                    taken_names.add(org.name)
                if have.archived_at is not None:
                    values["archived_at"] = None
                counts["updated" if values else "unchanged"] += 1
                if values and self.commit:
                    db.session.execute(sa.update(Branch).where(Branch.id == have.id).values(**values, updated_at=now))
                self.branch_ids[org.sourced_id] = have.id
                continue
            counts["created"] += 1
            self.branch_ids[org.sourced_id] = self._new_branch(org, taken_codes, taken_names, now)

    def _new_branch(self, org, taken_codes, taken_names, now):
        """The new branch's id (a negative stand-in in a dry run); its code and name made unique."""
        code, name = org.code, org.name
        if code in taken_codes:
            code = _code_of(f"{code[:27]}-{hashlib.sha256(org.sourced_id.encode()).hexdigest()[:12]}")
        if name in taken_names:
            name = f"{name} ({code})"[:200]
        taken_codes.add(code)
        taken_names.add(name)
        if not self.commit:
            return -len(taken_codes)
        return db.session.execute(
            sa.insert(Branch)
            .values(code=code, name=name, external_id=org.sourced_id, settings={}, created_at=now, updated_at=now)
            .returning(Branch.id)
        ).scalar_one()

    def _write_classes(self, classes):  # noqa: PLR0912 (one upsert, case by case)
        counts = self.counts[roster.CLASSES]
        rows = db.session.execute(
            sa.select(
                SchoolClass.id,
                SchoolClass.branch_id,
                SchoolClass.name,
                SchoolClass.term_start,
                SchoolClass.term_end,
                SchoolClass.external_id,
                SchoolClass.archived_at,
            )
        ).all()
        existing = {c.external_id: c for c in rows if c.external_id}
        names = defaultdict(dict)  # branch id -> name -> external id (None: a class made by hand)
        for c in rows:
            names[c.branch_id][c.name] = c.external_id
        unlinked = {(c.branch_id, c.name): c for c in rows if not c.external_id and c.archived_at is None}
        for sourced_id, c in existing.items():
            self.class_ids[sourced_id] = c.id
        now = utcnow()
        inserts, placeholder = [], 0
        for klass in classes.values():
            have = existing.get(klass.sourced_id)
            if klass.deleted:
                if have is not None and have.archived_at is None:
                    counts["deactivated"] += 1
                    if self.commit:
                        db.session.execute(
                            sa.update(SchoolClass).where(SchoolClass.id == have.id).values(archived_at=now)
                        )
                continue
            branch_id = self.branch_ids.get(klass.school)
            if branch_id is None:
                continue  # its school was refused (reported in orgs.csv)
            name = klass.title
            owner = names[branch_id].get(name, klass.sourced_id)
            if owner not in (klass.sourced_id, None):
                name = f"{klass.title} ({klass.code or klass.sourced_id})"[:200]
            if have is None and (branch_id, name) in unlinked:
                have = unlinked.pop((branch_id, name))
                if self.commit:
                    db.session.execute(
                        sa.update(SchoolClass).where(SchoolClass.id == have.id).values(external_id=klass.sourced_id)
                    )
            names[branch_id][name] = klass.sourced_id
            if have is not None:
                wanted = {
                    "branch_id": branch_id,
                    "name": name,
                    "term_start": klass.term_start,
                    "term_end": klass.term_end,
                    "archived_at": None,
                }
                values = {k: v for k, v in wanted.items() if getattr(have, k) != v}
                counts["updated" if values or have.external_id is None else "unchanged"] += 1
                if values and self.commit:
                    db.session.execute(
                        sa.update(SchoolClass).where(SchoolClass.id == have.id).values(**values, updated_at=now)
                    )
                self.class_ids[klass.sourced_id] = have.id
                continue
            counts["created"] += 1
            row = {
                "branch_id": branch_id,
                "name": name,
                "term_start": klass.term_start,
                "term_end": klass.term_end,
                "external_id": klass.sourced_id,
                "created_at": now,
                "updated_at": now,
            }
            if self.commit:
                inserts.append(row)
            else:
                placeholder -= 1
                self.class_ids[klass.sourced_id] = placeholder
        if inserts:
            db.session.execute(sa.insert(SchoolClass), inserts)
            made = db.session.execute(
                sa.select(SchoolClass.external_id, SchoolClass.id).where(
                    SchoolClass.external_id.in_([row["external_id"] for row in inserts])
                )
            )
            self.class_ids.update(dict(made.all()))

    def _read_user_ids(self):
        ids = set()
        if self.zipped.has(roster.USERS):
            for _, record in self.zipped.rows(roster.USERS):
                if record.get("sourcedId"):
                    ids.add(sys.intern(record["sourcedId"]))  # one string per person for every file's references
        return ids

    def _read_roles(self, known_users):
        if not self.zipped.has(roster.ROLES):
            return
        checker = roster.Checker(roster.ROLES, self.mode_of(roster.ROLES), self.errors)
        checker.repeated = self.zipped.repeated_ids(roster.ROLES)
        known_orgs = set(self.branch_ids)
        shared = {}  # one (role, org, primary) tuple per distinct value: 100 000 people share a few hundred
        for number, record in self.zipped.rows(roster.ROLES):
            before = len(self.errors)
            checker.row(number, record)
            checker.choice(number, record, "roleType", ("primary", "secondary"))
            role = checker.choice(number, record, "role", roster.USER_ROLES)
            user = checker.reference(number, record, "userSourcedId", known_users, "user")
            org = checker.reference(number, record, "orgSourcedId", known_orgs, "org")
            for column in ("beginDate", "endDate"):
                checker.date(number, record, column)
            if len(self.errors) > before or record.get("status") == roster.TO_BE_DELETED:
                continue
            entry = (role, org, record.get("roleType") == "primary")
            user = sys.intern(user)
            self.roles[user] = (*self.roles.get(user, ()), shared.setdefault(entry, entry))
        self.counts[roster.ROLES]["valid"] = sum(len(v) for v in self.roles.values())

    def _read_enrollments(self, known_users):
        if not self.zipped.has(roster.ENROLLMENTS):
            return
        counts = self.counts[roster.ENROLLMENTS]
        checker = roster.Checker(roster.ENROLLMENTS, self.mode_of(roster.ENROLLMENTS), self.errors)
        checker.repeated = self.zipped.repeated_ids(roster.ENROLLMENTS)
        known_orgs = set(self.branch_ids)
        class_ids = self.class_ids
        shared = {}  # one (class id, role) tuple per class and role: a million enrollments share 8 000 tuples
        for number, record in self.zipped.rows(roster.ENROLLMENTS):
            before = len(self.errors)
            checker.row(number, record)
            role = checker.choice(number, record, "role", roster.ENROLLMENT_ROLES)
            class_sourced_id = checker.reference(number, record, "classSourcedId", class_ids, "class")
            user = checker.reference(number, record, "userSourcedId", known_users, "user")
            checker.reference(number, record, "schoolSourcedId", known_orgs, "school")
            for column in ("beginDate", "endDate"):
                checker.date(number, record, column)
            if len(self.errors) > before:
                continue  # counted with the other files' bad rows
            class_id = class_ids[class_sourced_id]
            if record.get("status") == roster.TO_BE_DELETED:
                self.removed_enrollments.append((user, class_id))
            elif role not in CLASS_ROLES:
                counts["skipped"] += 1
            else:
                key = (class_id, CLASS_ROLES[role])
                self.enrollments[sys.intern(user)].append(shared.setdefault(key, key))

    # stage 2 ---------------------------------------------------------------------------------------------

    def _users(self, resume_after):
        if not self.zipped.has(roster.USERS):
            return
        record = self.record
        batch_size = current_app.config.get("ROSTER_BATCH_SIZE", BATCH_SIZE)
        checker = roster.Checker(roster.USERS, self.mode_of(roster.USERS), self.errors)
        admins = self._org_admin_keys()
        batch, last, handled = [], resume_after, 0
        for number, raw in self.zipped.rows(roster.USERS):
            before = len(self.errors)
            row = self._user_row(checker, number, raw, admins)
            if number <= resume_after:
                del self.errors[before:]  # written by the run that committed this row
                continue
            handled += 1
            last = number
            if row is not None:
                batch.append(row)
            if handled % batch_size == 0:
                self._apply(batch, last, handled)
                batch, handled = [], 0
                self.lock.extend(current_app.config["IMPORT_LOCK_SECONDS"], replace_ttl=True)
        self._apply(batch, last, handled)
        record.checkpoint = {"stage": "finish"}
        db.session.commit()

    def _org_admin_keys(self):
        keys = set()
        for email, external_id in db.session.execute(
            sa.select(User.email, User.external_id).where(User.role == ORG_ADMIN)
        ):
            keys.add(email)
            if external_id:
                keys.add(external_id)
        return keys

    def _user_row(self, checker, number, raw, admins):  # noqa: PLR0912 (one check after another)
        """The engine's Row for a users.csv row, or None (its problems in `errors`, or skipped)."""
        before = len(self.errors)
        checker.row(number, raw)
        sourced_id = raw.get("sourcedId", "")
        if raw.get("status") == roster.TO_BE_DELETED:
            if len(self.errors) == before:
                self.deleted_users.append(sourced_id)
            return None
        enabled = roster.parse_boolean(raw.get("enabledUser"))
        if raw.get("enabledUser") and enabled is None:
            checker.problem(number, "enabledUser", raw["enabledUser"], "Use true or false.")
        email = raw.get("email") or (raw.get("username") if "@" in raw.get("username", "") else "")
        column = "email" if raw.get("email") else "username"
        if not email:
            checker.problem(number, "email", "", "Required: people sign in with their e-mail address.")
        elif len(email) > MAX_LENGTHS["email"]:
            checker.problem(number, column, email, f"Longer than {MAX_LENGTHS['email']} characters.")
        else:
            email, reason = check_email(email)
            if reason:
                checker.problem(number, column, raw.get(column, ""), f"Not a valid e-mail address: {reason}")
        for name in ("givenName", "familyName"):
            if len(raw.get(name, "")) > MAX_LENGTHS["first_name"]:
                checker.problem(number, name, raw[name], "Longer than 100 characters.")
        roles = self._roles_of(checker, number, raw)
        if len(self.errors) > before:
            return None
        people_roles = [(PERSON_ROLES[role], org) for role, org, _primary in roles if role in PERSON_ROLES]
        if not people_roles:
            skipped = ", ".join(sorted({role for role, _, _ in roles})) or "none"
            self.counts[roster.USERS]["skipped"] += 1
            self.counts["skipped_roles"][skipped] += 1
            return None
        role = max((r for r, _ in people_roles), key=RANK.__getitem__)
        if sourced_id in admins or email in admins:
            role = ORG_ADMIN  # never changed by a file (see PERSON_ROLES)
        branch_ids = tuple(dict.fromkeys(self.branch_ids[org] for _, org in people_roles if org in self.branch_ids))
        if not branch_ids and role != ORG_ADMIN:
            checker.problem(number, "orgSourcedIds", "", "No org (school) this person belongs to.")
            return None
        class_roles = {}
        for class_id, class_role in self.enrollments.pop(sourced_id, ()):
            class_roles[class_id] = class_role
        return Row(
            number,
            email,
            raw.get("givenName", ""),
            raw.get("familyName", ""),
            role,
            sourced_id,
            None,
            branch_ids[0] if branch_ids else None,
            tuple(class_roles),
            more_branch_ids=branch_ids[1:],
            class_roles=class_roles,
            is_active=enabled if enabled is not None else True,
        )

    def _roles_of(self, checker, number, raw):
        """[(OneRoster role, org sourcedId, primary)] from roles.csv, else from users.csv's role and orgs."""
        sourced_id = raw.get("sourcedId", "")
        if sourced_id in self.roles:
            return sorted(self.roles[sourced_id], key=lambda r: not r[2])
        role = raw.get("role", "") or raw.get("roles", "")
        if not role:
            if not self.zipped.has(roster.ROLES):
                checker.problem(number, "role", "", "Required (or give the person's roles in roles.csv).")
            return []
        if role not in roster.USER_ROLES:
            checker.problem(number, "role", role, f"Unknown role; use one of {', '.join(roster.USER_ROLES)}.")
            return []
        orgs = checker.references(number, raw, "orgSourcedIds", self.branch_ids, "org")
        primary = raw.get("primaryOrgSourcedId", "")
        if (
            primary
            and primary not in orgs
            and checker.reference(number, raw, "primaryOrgSourcedId", self.branch_ids, "org")
        ):
            orgs.insert(0, primary)
        return [(role, org, True) for org in orgs] or [(role, None, True)]

    def _apply(self, rows, last, handled):
        record = self.record
        result = apply_batch(rows, commit=self.commit, scope_branch_ids=None, send_invitations=False)
        counts = self.counts[roster.USERS]
        counts["created"] += result.created
        counts["updated"] += result.updated
        counts["unchanged"] += result.unchanged
        errors = self.errors + [
            roster.RosterError(roster.USERS, e.row_number, e.column, e.value, e.reason) for e in result.errors
        ]
        counts["invalid"] += len({e.row_number for e in errors})
        _write_errors(record, errors)
        self.errors.clear()
        record.processed_rows += handled
        record.checkpoint = {"stage": "users", "row": last}
        record.counts = _plain(self.counts)
        db.session.commit()
        count_import_rows("roster", handled)

    # stage 3 ---------------------------------------------------------------------------------------------

    def _finish_stage(self):
        """Enrollments of people not in users.csv, deactivations and removals (idempotent)."""
        record = self.record
        leftover = {sid: pairs for sid, pairs in self.enrollments.items() if sid not in self.user_ids_in_file}
        if leftover:
            self._enroll_existing(leftover)
        counts = self.counts
        if self.deleted_users or record.checkpoint.get("stage") == "finish":
            deleted = self.deleted_users or self._deleted_user_ids()
            for start in range(0, len(deleted), 1000):
                named = (
                    User.external_id.in_(deleted[start : start + 1000]),
                    User.role != ORG_ADMIN,  # an org admin is deactivated by hand, never by a file
                )
                where = (*named, User.is_active.is_(True))
                if self.commit:
                    # Archived by the policy already: the roster's removal now keeps them inactive, so reversing
                    # that archiving run must not reactivate them (docs/decisions.md, "Roster sync and archiving").
                    db.session.execute(
                        sa.update(User)
                        .where(*named, User.is_active.is_(False), User.archived_by_run_id.is_not(None))
                        .values(archived_by_run_id=None)
                    )
                    done = db.session.execute(
                        sa.update(User).where(*where).values(is_active=False, archived_by_run_id=None)
                    ).rowcount
                else:
                    done = db.session.scalar(sa.select(sa.func.count(User.id)).where(*where))
                counts[roster.USERS]["deactivated"] += done
        if self.removed_enrollments:
            counts[roster.ENROLLMENTS]["removed"] += self._remove_enrollments()
        record.counts = _plain(counts)
        record.checkpoint = {"stage": "done"}
        db.session.commit()

    def _deleted_user_ids(self):
        ids = []
        checker = roster.Checker(roster.USERS, self.mode_of(roster.USERS), [])
        for number, raw in self.zipped.rows(roster.USERS):
            if raw.get("status") == roster.TO_BE_DELETED and checker.row(number, raw):
                ids.append(raw["sourcedId"])
        return ids

    def _enroll_existing(self, leftover):
        """Memberships for people already here (a delta's enrollments name people its users.csv leaves out),
        through the engine too: their own fields stay as they are."""
        people = db.session.execute(
            sa.select(User.email, User.first_name, User.last_name, User.role, User.external_id).where(
                User.external_id.in_(list(leftover))
            )
        ).all()
        rows = []
        for person in people:
            class_roles = dict(leftover[person.external_id])
            rows.append(
                Row(
                    0,
                    person.email,
                    person.first_name,
                    person.last_name,
                    person.role,
                    person.external_id,
                    None,
                    None,
                    tuple(class_roles),
                    class_roles=class_roles,
                )
            )
        batch_size = current_app.config.get("ROSTER_BATCH_SIZE", BATCH_SIZE)
        for start in range(0, len(rows), batch_size):
            result = apply_batch(
                rows[start : start + batch_size],
                commit=self.commit,
                scope_branch_ids=None,
                send_invitations=False,
            )
            self.counts[roster.ENROLLMENTS]["people_updated"] += result.updated

    def _remove_enrollments(self):
        by_user = defaultdict(list)
        for user, class_id in self.removed_enrollments:
            by_user[user].append(class_id)
        ids = dict(
            db.session.execute(sa.select(User.external_id, User.id).where(User.external_id.in_(list(by_user)))).all()
        )
        removed, removed_from = 0, []
        for user, class_ids in by_user.items():
            if user not in ids:
                continue
            where = (ClassMembership.user_id == ids[user], ClassMembership.class_id.in_(class_ids))
            if self.commit:
                deleted = db.session.execute(sa.delete(ClassMembership).where(*where)).rowcount
                if deleted:
                    removed_from.append(ids[user])
                removed += deleted
            else:
                removed += db.session.scalar(sa.select(sa.func.count(ClassMembership.id)).where(*where))
        if removed_from:  # one event for the removals, committed with them by the finish stage
            emit_after_commit(db.session, "memberships.changed", user_ids=sorted(removed_from))
        return removed


def _plain(counts):
    return {name: dict(counter) for name, counter in counts.items()}
