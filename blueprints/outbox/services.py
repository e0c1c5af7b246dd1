"""The development outbox: messages the local SMTP sink kept, newest first."""

from dataclasses import dataclass
from email import message_from_bytes, policy
from pathlib import Path

from flask import current_app

from app.errors import NotFound


@dataclass(frozen=True)
class OutboxMessage:
    name: str
    to: str
    subject: str
    date: str
    text: str


def outbox_dir():
    folder = current_app.config.get("OUTBOX_DIR")
    if not folder:
        raise NotFound("The outbox exists in development only (LMS_OUTBOX_DIR).")
    return Path(folder)


def _read(path):
    message = message_from_bytes(path.read_bytes(), policy=policy.default)
    body = message.get_body(("plain",))
    return OutboxMessage(
        path.name,
        message["To"] or "",
        message["Subject"] or "",
        message["Date"] or path.name[:15],
        body.get_content() if body else "",
    )


def list_messages(limit=100):
    folder = outbox_dir()
    paths = sorted(folder.glob("*.eml"), reverse=True)[:limit] if folder.exists() else []
    return [_read(path) for path in paths]


def get_message(name):
    path = outbox_dir() / Path(name).name  # a bare file name: no way out of the folder
    if path.suffix != ".eml" or not path.is_file():
        raise NotFound("No such message.")
    return _read(path)
