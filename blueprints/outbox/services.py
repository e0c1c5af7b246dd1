"""The development outbox: messages the local SMTP sink kept, newest first, searchable and paged."""

from dataclasses import dataclass
from email import message_from_bytes, policy
from email.parser import BytesHeaderParser
from pathlib import Path

import sqlalchemy as sa
from flask import current_app

from app.errors import NotFound
from app.extensions import db
from app.mail import ORGANIZATION_HEADER
from app.tenancy.models import Tenant

PAGE_SIZE = 50
HEADER_BYTES = 16 * 1024  # enough for any header block we write; bodies are never read for the list
_headers_cache = {}  # file name -> OutboxEntry: the sink never rewrites a file
CACHE_LIMIT = 50_000


@dataclass(frozen=True)
class OutboxEntry:
    name: str
    to: str
    subject: str
    date: str
    organization: str  # the sending organization's slug, "" for the platform's own mail


@dataclass(frozen=True)
class OutboxMessage:
    name: str
    to: str
    subject: str
    date: str
    text: str
    organization: str = ""


@dataclass
class OutboxPage:
    items: list
    total: int
    page: int
    last_page: int


def outbox_dir():
    folder = current_app.config.get("OUTBOX_DIR")
    if not folder:
        raise NotFound("The outbox exists in development only (LMS_OUTBOX_DIR).")
    return Path(folder)


def _kept_at(name):
    """When the sink kept a message without a Date header, from its file name (20261125T120002-…)."""
    stamp = name[:15]
    if len(stamp) == 15 and stamp[8] == "T" and (stamp[:8] + stamp[9:]).isdigit():
        return f"{stamp[:4]}-{stamp[4:6]}-{stamp[6:8]} {stamp[9:11]}:{stamp[11:13]}:{stamp[13:15]}"
    return stamp


def _entry(path):
    cached = _headers_cache.get(path.name)
    if cached is None:
        with path.open("rb") as handle:
            headers = BytesHeaderParser(policy=policy.default).parsebytes(handle.read(HEADER_BYTES))
        cached = OutboxEntry(
            path.name,
            str(headers["To"] or ""),
            str(headers["Subject"] or ""),
            str(headers["Date"] or _kept_at(path.name)),
            str(headers[ORGANIZATION_HEADER] or ""),
        )
        if len(_headers_cache) >= CACHE_LIMIT:
            _headers_cache.clear()
        _headers_cache[path.name] = cached
    return cached


def list_messages(search="", organization="", page=1):
    """One page of messages, newest first; `search` matches recipient or subject, `organization` a slug."""
    folder = outbox_dir()
    paths = sorted(folder.glob("*.eml"), reverse=True) if folder.exists() else []
    search, organization = (search or "").strip().casefold(), (organization or "").strip()
    if search or organization:
        entries = [
            entry
            for entry in map(_entry, paths)
            if (not search or search in entry.to.casefold() or search in entry.subject.casefold())
            and (not organization or entry.organization == organization)
        ]
        total = len(entries)
    else:  # no filter: read only the page shown
        entries, total = paths, len(paths)
    last_page = max(1, -(-total // PAGE_SIZE))
    page = min(max(1, page), last_page)
    shown = entries[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    items = [item if isinstance(item, OutboxEntry) else _entry(item) for item in shown]
    return OutboxPage(items, total, page, last_page)


def organization_choices():
    """(slug, name) of every organization, for the filter."""
    return db.session.execute(sa.select(Tenant.slug, Tenant.name).order_by(Tenant.name)).all()


def get_message(name):
    path = outbox_dir() / Path(name).name  # a bare file name: no way out of the folder
    if path.suffix != ".eml" or not path.is_file():
        raise NotFound("No such message.")
    message = message_from_bytes(path.read_bytes(), policy=policy.default)
    body = message.get_body(("plain",))
    return OutboxMessage(
        path.name,
        message["To"] or "",
        message["Subject"] or "",
        message["Date"] or _kept_at(path.name),
        body.get_content() if body else "",
        message[ORGANIZATION_HEADER] or "",
    )
