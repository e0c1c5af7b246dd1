"""A ZIP of a course's current certificates, for its managers and org admins: built by an RQ job that reports
its progress on the archive's row (`done` of `total`), stored in the media storage, downloadable by whoever
(the person or the API key) asked for it. Each PDF is named `<holder>-<code>.pdf`, in letters a file system
anywhere accepts."""

import tempfile
import time
import zipfile

import sqlalchemy as sa

from app.errors import NotFound, PermissionDenied
from app.extensions import db
from app.jobs import enqueue
from app.security.actor import current_actor
from app.security.actor_ids import NOBODY, ActorIds, actor_ids
from app.storage import delete_after_commit, media_storage
from app.tenancy.context import require_tenant
from app.tenancy.models import utcnow
from blueprints.certificates.lifecycle import current_certificates, safe_file_name
from blueprints.certificates.models import Certificate, CertificateArchive, CertificateStatus
from blueprints.courses import access

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
WITHDRAWN = "Withdrawn: a holder in it was erased at their request. Make the archive again."
PROGRESS_SECONDS = 0.5  # how often the job writes its progress (the page polls every second)


def archived_certificates(course_id):
    """A select of the certificates a course's archive holds: current (neither revoked nor superseded, expired
    ones included) and rendered, by holder."""
    return (
        current_certificates()
        .where(
            Certificate.course_id == course_id,
            Certificate.render_status == CertificateStatus.READY,
            Certificate.pdf_key.is_not(None),
        )
        .order_by(Certificate.holder_name, Certificate.id)
    )


def request_archive(course_id, actor=current_actor):
    """Start building the ZIP of a course's certificates (its managers and org admins); poll the archive."""
    course = access.course_for(course_id, "manage", actor)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(archived_certificates(course.id).subquery()))
    requester = actor_ids(actor.principal)
    archive = CertificateArchive(
        course_id=course.id,
        requested_by_id=requester.user_id,
        requested_by_api_key_id=requester.api_key_id,
        status=QUEUED,
        total=total,
    )
    db.session.add(archive)
    db.session.commit()
    enqueue(require_tenant(), build_archive, archive.id)
    return archive


def archive_for(archive_id, actor=current_actor):
    """An archive the actor (the person or the API key) asked for and may still ask for (nobody else sees it: it
    holds certificates of the course as it was; a teacher taken off the course since has no more right to it)."""
    archive = db.session.get(CertificateArchive, archive_id)
    requester = actor_ids(actor.principal if actor.is_authenticated else None)
    if archive is None or requester == NOBODY or requester != _requester(archive):
        raise NotFound("No such certificate archive.")
    try:
        access.course_for(archive.course_id, "manage", actor)
    except (NotFound, PermissionDenied):
        raise NotFound("No such certificate archive.") from None
    return archive


def _requester(archive):
    return ActorIds(archive.requested_by_id, archive.requested_by_api_key_id)


def build_archive(archive_id):
    """The job: every certificate's PDF into a ZIP, progress written as it goes, the ZIP stored.

    An erasure of a holder while it runs marks the archive (`WITHDRAWN`, blueprints/privacy/erasure.py): the
    archive is marked running and committed *before* the certificates are read, so a mark made after that read
    is still on the row when the job stores its ZIP, and the job then deletes its own ZIP instead of offering it.
    """
    archive = db.session.get(CertificateArchive, archive_id)
    if archive is None or archive.status == DONE:
        return
    archive.status, archive.done, archive.error = RUNNING, 0, None
    db.session.commit()
    # plain values, read once: the progress commits would expire ORM rows (one SELECT per certificate after
    # each), and each row would hold its signed credential for nothing
    certificates = db.session.execute(
        archived_certificates(archive.course_id).with_only_columns(
            Certificate.holder_name, Certificate.code, Certificate.pdf_key
        )
    ).all()
    archive.total = len(certificates)
    db.session.commit()
    try:
        with tempfile.TemporaryFile() as spool:
            with zipfile.ZipFile(spool, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as bundle:
                written_at = time.monotonic()
                for number, certificate in enumerate(certificates, start=1):
                    with media_storage().open(certificate.pdf_key) as stream:
                        bundle.writestr(safe_file_name(certificate.holder_name, certificate.code), stream.read())
                    if time.monotonic() - written_at >= PROGRESS_SECONDS:
                        archive.done = number
                        db.session.commit()
                        written_at = time.monotonic()
            size = spool.tell()
            spool.seek(0)
            stored = media_storage().save(require_tenant().slug, spool, size + 1)
    except Exception as error:
        db.session.rollback()  # the row is read again: an erasure's mark (a PDF it deleted meanwhile) says why
        withdrawn = archive.error == WITHDRAWN
        archive.status, archive.finished_at = FAILED, utcnow()
        archive.error = WITHDRAWN if withdrawn else str(error)[:500]
        db.session.commit()
        if withdrawn:
            return
        raise
    if archive.file_key:
        media_storage().delete(archive.file_key)  # a retry's earlier ZIP
    archives = CertificateArchive.__table__
    stored_now = db.session.execute(
        sa.update(archives)
        .where(archives.c.id == archive_id, archives.c.status == RUNNING, archives.c.error.is_(None))
        .values(file_key=stored.key, done=len(certificates), status=DONE, finished_at=utcnow())
    ).rowcount
    if not stored_now:  # an erasure marked it while it ran: its ZIP may hold their certificate
        db.session.execute(
            sa.update(archives).where(archives.c.id == archive_id).values(status=FAILED, finished_at=utcnow())
        )
    db.session.commit()
    db.session.expire(archive)
    if not stored_now:
        media_storage().delete(stored.key)


def withdraw_archives_holding(user_id):
    """Withdraw the course archives that may hold this person's certificate, in the caller's transaction: a finished
    one loses its ZIP (deleted once the caller commits), one queued or being built is marked, so that its job
    deletes the ZIP it makes (`build_archive`). Returns how many."""
    archives = CertificateArchive.__table__
    of_their_courses = archives.c.course_id.in_(sa.select(Certificate.course_id).where(Certificate.user_id == user_id))
    # Marked first: a job storing its ZIP meanwhile waits for these row locks, then sees the mark.
    marked = db.session.execute(
        sa.update(archives).where(of_their_courses, archives.c.status.in_((QUEUED, RUNNING))).values(error=WITHDRAWN)
    ).rowcount
    finished = db.session.execute(
        sa.select(archives.c.id, archives.c.file_key).where(of_their_courses, archives.c.file_key.is_not(None))
    ).all()
    if finished:
        db.session.execute(
            sa.update(archives)
            .where(archives.c.id.in_([row.id for row in finished]))
            .values(status=FAILED, file_key=None, error=WITHDRAWN)
        )
    delete_after_commit([row.file_key for row in finished])
    return marked + len(finished)


def download_name(archive):
    return f"certificates-course-{archive.course_id}-{archive.created_at:%Y%m%d-%H%M}.zip"


def serve_archive(archive_id, actor=current_actor):
    """The finished ZIP, to the person who asked for it."""
    archive = archive_for(archive_id, actor)
    if archive.status != DONE or not archive.file_key:
        raise NotFound("This archive is not ready yet.")
    return media_storage().serve(archive.file_key, "application/zip", download_name(archive), as_attachment=True)
