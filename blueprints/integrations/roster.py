"""Reading a OneRoster 1.2 CSV zip (1EdTech): the manifest, each file's header and rows, checked one by one.

Every bad row is reported as (file, row, column, value, reason); a problem with the zip itself (not a zip, no
manifest.csv, too large) is row 0 of the file it concerns. Nothing here writes: `roster_sync.py` maps what
this reads onto branches, classes, people and memberships.

Zip bombs: at most `MAX_MEMBERS` members, each read through a counter that stops at `MAX_MEMBER_BYTES`
uncompressed bytes whatever its header claims, and `MAX_TOTAL_BYTES` for the whole zip.
"""

import csv
import io
import re
import zipfile
from array import array
from dataclasses import dataclass, field
from datetime import date

import numpy as np

MANIFEST = "manifest.csv"
ORGS, SESSIONS, COURSES, CLASSES = "orgs.csv", "academicSessions.csv", "courses.csv", "classes.csv"
USERS, ROLES, ENROLLMENTS = "users.csv", "roles.csv", "enrollments.csv"
# The files the sync reads, in the order it reads them (a file's references point to earlier files).
SYNCED_FILES = (ORGS, SESSIONS, COURSES, CLASSES, USERS, ROLES, ENROLLMENTS)
BULK, DELTA, ABSENT = "bulk", "delta", "absent"

MAX_MEMBERS = 64
MAX_MEMBER_BYTES = 512 << 20
MAX_TOTAL_BYTES = 1 << 30

ACTIVE, TO_BE_DELETED = "active", "tobedeleted"
ORG_TYPES = ("department", "school", "district", "local", "state", "national")
SESSION_TYPES = ("gradingPeriod", "semester", "schoolYear", "term")
CLASS_TYPES = ("homeroom", "scheduled")
# OneRoster 1.2 roles (users' and roles.csv's); which of them become people is roster_sync's `PERSON_ROLES`.
USER_ROLES = (
    "administrator",
    "aide",
    "guardian",
    "parent",
    "proctor",
    "relative",
    "student",
    "teacher",
    "districtAdministrator",
    "principal",
    "siteAdministrator",
    "systemAdministrator",
)
ENROLLMENT_ROLES = ("administrator", "proctor", "student", "teacher")

# Required columns of each file (the header must name them; the rows must fill the `REQUIRED_VALUES`).
HEADERS = {
    ORGS: ("sourcedId", "status", "dateLastModified", "name", "type", "identifier", "parentSourcedId"),
    SESSIONS: ("sourcedId", "status", "dateLastModified", "title", "type", "startDate", "endDate", "parentSourcedId"),
    COURSES: ("sourcedId", "status", "dateLastModified", "title", "orgSourcedId"),
    CLASSES: (
        "sourcedId",
        "status",
        "dateLastModified",
        "title",
        "courseSourcedId",
        "classType",
        "schoolSourcedId",
        "termSourcedIds",
    ),
    USERS: ("sourcedId", "status", "dateLastModified", "enabledUser", "username", "givenName", "familyName"),
    ROLES: ("sourcedId", "status", "dateLastModified", "userSourcedId", "roleType", "role", "orgSourcedId"),
    ENROLLMENTS: (
        "sourcedId",
        "status",
        "dateLastModified",
        "classSourcedId",
        "schoolSourcedId",
        "userSourcedId",
        "role",
    ),
}
REQUIRED_VALUES = {
    ORGS: ("name", "type"),
    SESSIONS: ("title", "type", "startDate", "endDate"),
    COURSES: ("title", "orgSourcedId"),
    CLASSES: ("title", "courseSourcedId", "classType", "schoolSourcedId"),  # a class without terms: no term dates
    USERS: ("enabledUser", "username"),
    ROLES: ("userSourcedId", "roleType", "role", "orgSourcedId"),
    ENROLLMENTS: ("classSourcedId", "schoolSourcedId", "userSourcedId", "role"),
}
MAX_VALUE = 300  # what a cell may hold (a reason quotes at most this much of it)
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$")


@dataclass
class RosterError:
    file: str
    row_number: int  # as a spreadsheet counts: the header is row 1; 0: the file itself
    column: str
    value: str
    reason: str


class BadZip(Exception):
    """The zip cannot be read at all (its `errors` say why, as row 0 errors)."""

    def __init__(self, errors):
        super().__init__("; ".join(error.reason for error in errors))
        self.errors = errors


class _Capped(io.RawIOBase):
    """A zip member read through a counter: more than `limit` uncompressed bytes is an error (a bomb)."""

    def __init__(self, raw, limit, name):
        self.raw, self.limit, self.name, self.read_bytes = raw, limit, name, 0

    def readable(self):
        return True

    def readinto(self, buffer):
        data = self.raw.read(len(buffer))
        self.read_bytes += len(data)
        if self.read_bytes > self.limit:
            raise BadZip([RosterError(self.name, 0, "", "", f"Larger than {self.limit >> 20} MB uncompressed.")])
        buffer[: len(data)] = data
        return len(data)


@dataclass
class RosterZip:
    """An opened OneRoster zip: its manifest's processing mode of each file, and its members by name."""

    archive: zipfile.ZipFile
    processing: dict  # file name -> "bulk" | "delta" (absent files are left out)
    members: dict  # file name -> the zip's member name (a folder inside the zip is fine)
    manifest_errors: list = field(default_factory=list)

    @property
    def mode(self):
        """The zip's mode as one word: "delta" when any synced file is a delta, else "bulk"."""
        return DELTA if DELTA in self.processing.values() else BULK

    def has(self, name):
        return name in self.processing and name in self.members

    def rows(self, name):
        """(row number, {column: value}) of every data row of `name`; the header's problems as row-1 errors
        are in `header_errors(name)`."""
        with self._open(name) as text:
            reader = csv.reader(text)
            header = [cell.strip() for cell in next(reader, [])]
            for row_number, cells in enumerate(reader, start=2):
                if not any(cell.strip() for cell in cells):
                    continue
                yield (
                    row_number,
                    {column: (cells[i].strip() if i < len(cells) else "") for i, column in enumerate(header)},
                )

    def header_errors(self, name):
        with self._open(name) as text:
            header = [cell.strip() for cell in next(csv.reader(text), [])]
        missing = [column for column in HEADERS.get(name, ()) if column not in header]
        return [RosterError(name, 1, column, "", "Missing column.") for column in missing]

    def repeated_ids(self, name):
        """The hashes of the sourcedIds `name` has more than once (a superset: `Checker` tells exactly), or None
        when its first column is not sourcedId. A million enrollments' ids held as a dict to find duplicates cost
        ~100 MB; their 64-bit hashes, 8 MB."""
        hashes = array("q")
        with self._open(name) as text:
            header = [cell.strip() for cell in next(csv.reader([text.readline()]), [])]
            if not header or header[0] != "sourcedId":
                return None
            for line in text:
                cell = line.split(",", 1)[0]
                if cell.startswith('"'):
                    cell = next(csv.reader([line]), [""])[0]
                hashes.append(hash(cell.strip()))
        values, counts = np.unique(np.frombuffer(hashes, dtype=np.int64), return_counts=True)
        return set(values[counts > 1].tolist())

    def count_rows(self, name):
        lines = 0
        with self._open(name) as text:
            for _ in text:
                lines += 1
        return max(lines - 1, 0)

    def _open(self, name):
        info = self.archive.getinfo(self.members[name])
        capped = _Capped(self.archive.open(info), MAX_MEMBER_BYTES, name)
        return io.TextIOWrapper(io.BufferedReader(capped, 1 << 16), encoding="utf-8-sig", newline="")


def open_zip(path):
    """The RosterZip at `path`, or BadZip naming why it cannot be read (row 0 errors)."""
    if not zipfile.is_zipfile(path):
        raise BadZip([RosterError("(zip)", 0, "", "", "This is not a zip file.")])
    try:
        archive = zipfile.ZipFile(path)
        infos = [info for info in archive.infolist() if not info.is_dir()]
    except (zipfile.BadZipFile, OSError) as error:
        raise BadZip([RosterError("(zip)", 0, "", "", f"The zip cannot be read: {error}")]) from None
    if len(infos) > MAX_MEMBERS:
        raise BadZip([RosterError("(zip)", 0, "", "", f"More than {MAX_MEMBERS} files in the zip.")])
    if sum(info.file_size for info in infos) > MAX_TOTAL_BYTES:
        raise BadZip([RosterError("(zip)", 0, "", "", f"Larger than {MAX_TOTAL_BYTES >> 20} MB uncompressed.")])
    members = {}
    for info in infos:
        base = info.filename.rsplit("/", 1)[-1]
        if base.startswith(".") or info.filename.startswith("__MACOSX/"):
            continue
        if info.file_size > MAX_MEMBER_BYTES:
            raise BadZip([RosterError(base, 0, "", "", f"Larger than {MAX_MEMBER_BYTES >> 20} MB uncompressed.")])
        members.setdefault(base, info.filename)
    if MANIFEST not in members:
        raise BadZip([RosterError(MANIFEST, 0, "", "", "The zip has no manifest.csv.")])
    roster = RosterZip(archive, {}, members)
    _read_manifest(roster)
    return roster


def _read_manifest(roster):
    errors = roster.manifest_errors
    values = {}
    try:
        with roster._open(MANIFEST) as text:
            reader = csv.reader(text)
            header = [cell.strip() for cell in next(reader, [])]
            if header[:2] != ["propertyName", "value"]:
                errors.append(
                    RosterError(
                        MANIFEST,
                        1,
                        "propertyName",
                        ",".join(header)[:MAX_VALUE],
                        "Expected the header propertyName,value.",
                    )
                )
            for row_number, cells in enumerate(reader, start=2):
                if len(cells) >= 2 and cells[0].strip():
                    values[cells[0].strip()] = (row_number, cells[1].strip())
    except UnicodeDecodeError:
        raise BadZip([RosterError(MANIFEST, 0, "", "", "manifest.csv is not UTF-8 text.")]) from None
    row_number, version = values.get("oneroster.version", (0, ""))
    if version != "1.2":
        errors.append(RosterError(MANIFEST, row_number, "oneroster.version", version, "Only OneRoster 1.2 is read."))
    for name in SYNCED_FILES:
        key = f"file.{name.removesuffix('.csv')}"
        row_number, mode = values.get(key, (0, ABSENT))
        if mode not in (BULK, DELTA, ABSENT):
            errors.append(RosterError(MANIFEST, row_number, key, mode, "Use bulk, delta or absent."))
        elif mode != ABSENT:
            if name not in roster.members:
                errors.append(RosterError(name, 0, "", "", f"The manifest names it ({mode}) but the zip lacks it."))
            else:
                roster.processing[name] = mode


@dataclass
class Checker:
    """Checks the columns every OneRoster row shares, and a file's own required values and duplicates."""

    file: str
    mode: str  # "bulk" or "delta"
    errors: list
    seen: dict = field(default_factory=dict)  # sourcedId -> first row number
    repeated: set | None = None  # RosterZip.repeated_ids: only these hashes can be duplicates (None: any)

    def row(self, number, record):
        """The row's own problems appended to `errors`; True when it has none."""
        before = len(self.errors)
        self._sourced_id(number, record.get("sourcedId", ""))
        status = record.get("status", "")
        if status not in ("", ACTIVE, TO_BE_DELETED):
            self.problem(number, "status", status, "Use active or tobedeleted.")
        elif self.mode == DELTA and not status:
            self.problem(number, "status", "", "Required in delta mode.")
        modified = record.get("dateLastModified", "")
        if modified and not _DATETIME.match(modified):
            self.problem(number, "dateLastModified", modified, "Not a date and time (ISO 8601).")
        elif self.mode == DELTA and not modified:
            self.problem(number, "dateLastModified", "", "Required in delta mode.")
        for column, value in record.items():
            if len(value) > MAX_VALUE and column not in ("termSourcedIds", "orgSourcedIds", "userIds", "grades"):
                self.problem(number, column, value, f"Longer than {MAX_VALUE} characters.")
        if status != TO_BE_DELETED:  # a deletion names only what it deletes
            for column in REQUIRED_VALUES.get(self.file, ()):
                if not record.get(column):
                    self.problem(number, column, "", "Required.")
        return len(self.errors) == before

    def _sourced_id(self, number, sourced_id):
        if not sourced_id:
            self.problem(number, "sourcedId", "", "Required.")
        elif self.repeated is not None and hash(sourced_id) not in self.repeated:
            pass  # once in the file
        elif sourced_id in self.seen:
            self.problem(number, "sourcedId", sourced_id, f"Duplicate of row {self.seen[sourced_id]}.")
        else:
            self.seen[sourced_id] = number

    def problem(self, number, column, value, reason):
        self.errors.append(RosterError(self.file, number, column, (value or "")[:MAX_VALUE], reason))

    def choice(self, number, record, column, choices):
        value = record.get(column, "")
        if value and value not in choices:
            self.problem(number, column, value, f"Unknown value; use one of {', '.join(choices)}.")
            return None
        return value or None

    def date(self, number, record, column):
        value = record.get(column, "")
        if not value:
            return None
        try:
            return date.fromisoformat(value)
        except ValueError:
            self.problem(number, column, value, "Not a date (YYYY-MM-DD).")
            return None

    def reference(self, number, record, column, known, what):
        """The sourcedId in `column` when `known` has it (a file's ids or the database's); else an error."""
        value = record.get(column, "")
        if value and value not in known:
            self.problem(number, column, value, f"Unknown {what}.")
            return None
        return value or None

    def references(self, number, record, column, known, what):
        values = [part.strip() for part in record.get(column, "").split(",") if part.strip()]
        for value in values:
            if value not in known:
                self.problem(number, column, value, f"Unknown {what}.")
        return [value for value in values if value in known]


def parse_boolean(value):
    return {"true": True, "false": False}.get((value or "").strip().lower())
