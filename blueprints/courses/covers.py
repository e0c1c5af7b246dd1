"""Course cover images: any common image in, a bounded, metadata-free JPEG out.

Covers come from phones and image searches, so the upload is decoded and re-encoded with Pillow: EXIF
(location included) is dropped, the orientation applied, the size bounded, and anything that is not an
image (or an image bomb) refused. The JPEG lives in the media storage like any other file.
"""

import io

import sqlalchemy as sa

from app.errors import NotFound, ValidationFailed
from app.extensions import db
from app.images import normalise_image
from app.storage import media_storage
from app.tenancy.context import require_tenant
from app.tenancy.locks import locked
from app.tenancy.models import utcnow
from blueprints.courses.models import Course

COVER_MAX_BYTES = 8 * 1024 * 1024
COVER_MAX_PIXELS = 40_000_000  # decoded size; a small file can claim a huge canvas
COVER_BOX = (1600, 900)
ACCEPTED = ("PNG", "JPEG", "GIF", "WEBP")


def _refuse(message):
    raise ValidationFailed(message, {"file": [message]})


def set_cover(course, stream):
    data = stream.read(COVER_MAX_BYTES + 1)
    if not data:
        _refuse("The file is empty.")
    if len(data) > COVER_MAX_BYTES:
        _refuse(f"A cover may be at most {COVER_MAX_BYTES // (1024 * 1024)} MB.")
    jpeg = normalise_image(
        data, accepted=ACCEPTED, box=COVER_BOX, max_pixels=COVER_MAX_PIXELS, output="JPEG", purpose="a cover"
    )
    storage = media_storage()
    stored = storage.save(require_tenant().slug, io.BytesIO(jpeg), len(jpeg))
    _lock(course)
    previous = course.cover_key
    course.cover_key, course.cover_updated_at = stored.key, utcnow()
    try:
        db.session.commit()
    except BaseException:
        storage.delete(stored.key)
        raise
    if previous:
        storage.delete(previous)
    return course


def _lock(course):
    """Two cover changes at once take turns, so that each deletes the file the other replaced (and none is
    left behind in the storage); `locked` reloads the course."""
    locked(sa.select(Course).where(Course.id == course.id))


def remove_cover(course):
    _lock(course)
    previous = course.cover_key
    course.cover_key, course.cover_updated_at = None, None
    db.session.commit()
    if previous:
        media_storage().delete(previous)
    return course


def serve(course):
    """The cover for anyone who may see the course (checked by the caller); its URL changes with it."""
    if not course.cover_key:
        raise NotFound("This course has no cover.")
    return media_storage().serve(course.cover_key, "image/jpeg", f"{course.slug}.jpg", max_age=7 * 24 * 3600)


def cover_path(course_id, cover_key, prefix="/courses"):
    """The cover's address; it changes with the cover (each upload has a new key), so browsers cache it long."""
    return f"{prefix}/{course_id}/cover?v={cover_key.rsplit('/', 1)[-1][:12]}" if cover_key else None
