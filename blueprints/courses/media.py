"""Media of content items: uploads checked by their real type, served only to who may see the course."""

import logging

import sqlalchemy as sa
from flask import current_app

from app.errors import NotFound, ValidationFailed
from app.extensions import db
from app.security.actor_ids import actor_ids
from app.storage import media_storage
from app.tenancy.context import require_tenant
from app.tenancy.locks import locked
from blueprints.courses.models import ContentItem, ContentKind, MediaFile

log = logging.getLogger(__name__)

OFFICE = {
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
}
ALLOWED = {
    ContentKind.VIDEO: {"video/mp4", "video/webm"},
    ContentKind.FILE: {
        "application/pdf",
        "image/png",
        "image/jpeg",
        "image/gif",
        "audio/mpeg",
        "application/zip",
        *OFFICE.values(),
    },
    ContentKind.TEXT: {"image/png", "image/jpeg", "image/gif"},
}
INLINE = {"video/mp4", "video/webm", "image/png", "image/jpeg", "image/gif", "audio/mpeg", "application/pdf"}


SIGNATURES = (  # (test on the first bytes, content type)
    (lambda head: head.startswith(b"%PDF-"), "application/pdf"),
    (lambda head: head.startswith(b"\x89PNG\r\n\x1a\n"), "image/png"),
    (lambda head: head.startswith(b"\xff\xd8\xff"), "image/jpeg"),
    (lambda head: head.startswith((b"GIF87a", b"GIF89a")), "image/gif"),
    (lambda head: head[4:8] == b"ftyp", "video/mp4"),
    (lambda head: head.startswith(b"\x1a\x45\xdf\xa3"), "video/webm"),
    (lambda head: head.startswith(b"ID3") or head[:2] in (b"\xff\xfb", b"\xff\xf3"), "audio/mpeg"),
)


def sniff(head, filename):
    """The content type the bytes say; the name only picks among zip-based office formats."""
    for test, content_type in SIGNATURES:
        if test(head):
            return content_type
    if head.startswith(b"PK\x03\x04"):
        suffix = "." + filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
        return OFFICE.get(suffix, "application/zip")
    return None


def upload(item, file_storage, actor):
    """Store a file for an item, recorded as uploaded by `actor` (the principal: a person or an API key)."""
    allowed = ALLOWED.get(item.kind)
    if not allowed:
        raise ValidationFailed(f"A {item.kind} item takes no files.", {"file": ["Not for this kind of item."]})
    storage = media_storage()
    stored = storage.save(require_tenant().slug, file_storage.stream, current_app.config["MEDIA_MAX_BYTES"])
    filename = (file_storage.filename or "file").replace("/", "_")[:255]
    content_type = sniff(stored.head, filename)
    if stored.size == 0 or content_type not in allowed:
        storage.delete(stored.key)
        found = content_type or "an unknown type"
        message = f"This file is {found}; a {item.kind} item takes {', '.join(sorted(allowed))}."
        raise ValidationFailed(message, {"file": [message]})
    if not locked(sa.select(ContentItem).where(ContentItem.id == item.id)):  # removed during the upload
        storage.delete(stored.key)
        raise NotFound("No such content.")
    user_id, api_key_id = actor_ids(actor)
    media = MediaFile(
        item_id=item.id,
        filename=filename,
        content_type=content_type,
        size=stored.size,
        sha256=stored.sha256,
        storage_key=stored.key,
        uploaded_by_id=user_id,
        uploaded_by_api_key_id=api_key_id,
    )
    db.session.add(media)
    db.session.commit()
    return media


def delete(media):
    """Remove a file: the row first, so that nobody is served a file whose bytes are going away. Of two
    removals at once, the second finds nothing to remove (404)."""
    key = media.storage_key
    if not db.session.execute(sa.delete(MediaFile).where(MediaFile.id == media.id)).rowcount:
        raise NotFound("No such file.")
    db.session.commit()
    media_storage().delete(key)


def file_keys(item_ids):
    """The storage keys of these items' files (a list or a select of ids), read before their rows go."""
    return list(db.session.scalars(sa.select(MediaFile.storage_key).where(MediaFile.item_id.in_(item_ids))))


def discard_files(keys):
    """Delete the bytes of files whose rows are gone (committed). A failure leaves an unreachable file,
    not a failed request: the removal the person asked for has happened."""
    storage = media_storage()
    for key in keys:
        try:
            storage.delete(key)
        except Exception:
            log.warning("Could not delete media file %s from storage", key, exc_info=True)


def media_of(item_ids):
    if not item_ids:
        return []
    return db.session.scalars(sa.select(MediaFile).where(MediaFile.item_id.in_(item_ids)).order_by(MediaFile.id)).all()


def get_media(media_id):
    media = db.session.get(MediaFile, media_id)
    if media is None:
        raise NotFound("No such file.")
    return media


def serve(media):
    """The file's bytes (or, with an object store, a short-lived link to them); access is checked before."""
    return media_storage().serve(
        media.storage_key, media.content_type, media.filename, as_attachment=media.content_type not in INLINE
    )
