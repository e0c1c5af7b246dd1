"""Reading an uploaded people CSV: encoding, delimiter, header, one record at a time.

    email,first_name,last_name,role,branch,classes,external_id,password

Header names match case-insensitively (spaces count as underscores); UTF-8 with or without a BOM;
comma or semicolon, whichever the header line uses. Several classes are separated by `|`.
"""

import codecs
import csv
import hashlib
from dataclasses import dataclass
from pathlib import Path

from app.errors import ValidationFailed

COLUMNS = ("email", "first_name", "last_name", "role", "branch", "classes", "external_id", "password")
REQUIRED_COLUMNS = ("email", "first_name", "last_name", "role")
CLASS_SEPARATOR = "|"
CHUNK = 1 << 16

SAMPLE = """email,first_name,last_name,role,branch,classes,external_id,password
ada.admin@example.org,Ada,Admin,org_admin,,,HR-0001,
mona.manager@example.org,Mona,Manager,branch_manager,north,,HR-0002,
tom.teacher@example.org,Tom,Teacher,teacher,north,Algebra 1|Physics,HR-0003,
sam.student@example.org,Sam,Student,student,north,Algebra 1,SIS-1001,
lee.learner@example.org,Lee,Learner,student,south,,SIS-1002,a-long-initial-password
"""


@dataclass(frozen=True)
class StoredUpload:
    path: Path
    sha256: str
    size: int


def _bad_file(message):
    return ValidationFailed(message, {"file": [message]}, code="INVALID_FILE")


def store_upload(stream, folder, max_bytes):
    """Copy an upload to `folder/<sha256>.csv` in chunks, checking size, UTF-8 and that it is text."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    partial = folder / f"upload-{hashlib.sha256(str(id(stream)).encode()).hexdigest()[:12]}.part"
    digest, size = hashlib.sha256(), 0
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        with open(partial, "wb") as out:
            while chunk := stream.read(CHUNK):
                size += len(chunk)
                if size > max_bytes:
                    raise _bad_file(f"The file is larger than the {max_bytes // (1024 * 1024)} MB limit.")
                if b"\0" in chunk:
                    raise _bad_file("This is not a CSV file (it contains binary data).")
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError:
                    raise _bad_file("The file is not UTF-8 text. Save it as “CSV UTF-8” and try again.") from None
                digest.update(chunk)
                out.write(chunk)
            try:
                decoder.decode(b"", final=True)
            except UnicodeDecodeError:
                raise _bad_file("The file is not UTF-8 text. Save it as “CSV UTF-8” and try again.") from None
        if size == 0:
            raise _bad_file("The file is empty.")
        sha = digest.hexdigest()
        final = folder / f"{sha}.csv"
        partial.replace(final)
        read_header(final)  # fails early, with a clear message, when there is no usable header
        return StoredUpload(final, sha, size)
    finally:
        partial.unlink(missing_ok=True)


def _normalize_header(name):
    return (name or "").strip().lower().replace(" ", "_").replace("-", "_")


def _open(path):
    handle = open(path, newline="", encoding="utf-8-sig")  # noqa: SIM115 (closed by the caller)
    first_line = handle.readline()
    handle.seek(0)
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    return handle, csv.reader(handle, delimiter=delimiter)


def read_header(path):
    """Column name -> index; ValidationFailed when required columns are missing."""
    handle, reader = _open(path)
    with handle:
        header = next(reader, None)
    if not header or not any(cell.strip() for cell in header):
        raise _bad_file("The file has no header row.")
    positions = {}
    for index, name in enumerate(header):
        key = _normalize_header(name)
        if key in COLUMNS and key not in positions:
            positions[key] = index
    missing = [column for column in REQUIRED_COLUMNS if column not in positions]
    if missing:
        raise _bad_file(
            f"The header lacks {', '.join(missing)}. Expected columns: {', '.join(COLUMNS)} (download the sample file)."
        )
    return positions


def iter_records(path):
    """(row number as a spreadsheet shows it, {column: value}) for every data row, streaming."""
    positions = read_header(path)
    handle, reader = _open(path)
    with handle:
        next(reader)
        for row_number, cells in enumerate(reader, start=2):
            if not any(cell.strip() for cell in cells):
                continue  # blank lines are not rows
            record = {
                column: (cells[index].strip() if index < len(cells) else "") for column, index in positions.items()
            }
            yield row_number, record


def count_rows(path):
    """Data rows, approximately (quoted line breaks count twice): enough for a progress bar."""
    lines = 0
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK * 16):
            lines += chunk.count(b"\n")
    return max(lines, 1) - 1 if lines else 0
