"""Certificate templates, the courses' certificate settings, issued certificates and bulk downloads
(docs/credentials.md)."""

import sqlalchemy as sa

from app.tenancy.base import TenantModel
from app.tenancy.models import utcnow


class CertificateTemplate(TenantModel):
    """HTML and CSS with placeholders, rendered in a sandboxed Jinja environment, then by xhtml2pdf."""

    __tablename__ = "certificate_templates"

    id = sa.Column(sa.Integer, primary_key=True)
    name = sa.Column(sa.String(120), nullable=False)
    html = sa.Column(sa.Text, nullable=False)
    css = sa.Column(sa.Text, nullable=False, default="")
    page_size = sa.Column(sa.String(10), nullable=False, default="A4")  # A4, Letter
    orientation = sa.Column(sa.String(10), nullable=False, default="landscape")  # landscape, portrait
    background_key = sa.Column(sa.String(300))  # an image in the media storage
    signatures = sa.Column(sa.JSON, nullable=False, default=list)  # [{"name", "title", "image_key"}]
    is_default = sa.Column(sa.Boolean, nullable=False, default=False)  # for courses that pick none
    archived_at = sa.Column(sa.DateTime)
    created_by_id = sa.Column(sa.Integer, sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at = sa.Column(sa.DateTime, nullable=False, default=utcnow)
    updated_at = sa.Column(sa.DateTime, nullable=False, default=utcnow, onupdate=utcnow)


class CourseCertificateSettings(TenantModel):
    """Whether a course gives a certificate, with which template and for how long. No row: it gives one
    with the default template and no expiry."""

    __tablename__ = "course_certificate_settings"

    course_id = sa.Column(sa.Integer, sa.ForeignKey("courses.id", ondelete="CASCADE"), primary_key=True)
    enabled = sa.Column(sa.Boolean, nullable=False, default=True)
    template_id = sa.Column(sa.Integer, sa.ForeignKey("certificate_templates.id", ondelete="SET NULL"))
    valid_months = sa.Column(sa.Integer)  # NULL: never expires


class CertificateStatus:
    """What a certificate's row says; `valid` and `expired` also depend on today (see verification)."""

    PENDING, READY, FAILED = "pending", "ready", "failed"  # the PDF's rendering


class Certificate(TenantModel):
    """An issued certificate. The holder's name and the course's title are copied at issue: a certificate
    says what was true that day. A re-issue supersedes the old row (both stay, both in the log)."""

    __tablename__ = "certificates"
    __table_args__ = (
        # one current certificate per learner and course (a concurrent second issue fails, as if it came second)
        sa.Index(
            "uq_certificates_current",
            "user_id",
            "course_id",
            unique=True,
            sqlite_where=sa.text("superseded_at IS NULL AND revoked_at IS NULL"),
            postgresql_where=sa.text("superseded_at IS NULL AND revoked_at IS NULL"),
        ),
    )

    id = sa.Column(sa.Integer, primary_key=True)
    code = sa.Column(sa.String(20), nullable=False, unique=True)  # short, human-readable, e.g. 7KQ2-M9XD-4TPA
    user_id = sa.Column(sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)
    course_id = sa.Column(sa.Integer, sa.ForeignKey("courses.id", ondelete="CASCADE"), nullable=False, index=True)
    template_id = sa.Column(sa.Integer, sa.ForeignKey("certificate_templates.id", ondelete="SET NULL"))
    holder_name = sa.Column(sa.String(200), nullable=False)
    course_title = sa.Column(sa.String(200), nullable=False)
    completed_at = sa.Column(sa.DateTime, nullable=False)
    issued_at = sa.Column(sa.DateTime, nullable=False, default=utcnow)
    expires_at = sa.Column(sa.DateTime)
    # both NULL: issued on completion; else the person or the API key that issued it
    issued_by_id = sa.Column(sa.Integer, sa.ForeignKey("users.id", ondelete="SET NULL"))
    issued_by_api_key_id = sa.Column(sa.Integer, sa.ForeignKey("api_keys.id", ondelete="SET NULL"))
    credential_jwt = sa.Column(sa.Text)  # the signed credential (VC-JWT), also embedded in the PDF
    render_status = sa.Column(sa.String(10), nullable=False, default=CertificateStatus.PENDING)
    render_error = sa.Column(sa.String(500))
    pdf_key = sa.Column(sa.String(300))  # in the media storage
    pdf_sha256 = sa.Column(sa.String(64))
    is_public = sa.Column(sa.Boolean, nullable=False, default=False)  # the holder's choice
    revoked_at = sa.Column(sa.DateTime)
    revoked_by_id = sa.Column(sa.Integer, sa.ForeignKey("users.id", ondelete="SET NULL"))
    revoked_by_api_key_id = sa.Column(sa.Integer, sa.ForeignKey("api_keys.id", ondelete="SET NULL"))
    revocation_reason = sa.Column(sa.String(500))
    superseded_at = sa.Column(sa.DateTime)
    superseded_by_id = sa.Column(sa.Integer, sa.ForeignKey("certificates.id", ondelete="SET NULL"))
    created_at = sa.Column(sa.DateTime, nullable=False, default=utcnow)


class CertificateArchive(TenantModel):
    """A ZIP of a course's certificates, built by a job for the person or API key that asked for it."""

    __tablename__ = "certificate_archives"

    id = sa.Column(sa.Integer, primary_key=True)
    course_id = sa.Column(sa.Integer, sa.ForeignKey("courses.id", ondelete="CASCADE"), nullable=False, index=True)
    requested_by_id = sa.Column(sa.Integer, sa.ForeignKey("users.id", ondelete="SET NULL"))
    requested_by_api_key_id = sa.Column(sa.Integer, sa.ForeignKey("api_keys.id", ondelete="SET NULL"))
    status = sa.Column(sa.String(10), nullable=False, default="queued")  # queued, running, done, failed
    done = sa.Column(sa.Integer, nullable=False, default=0)
    total = sa.Column(sa.Integer, nullable=False, default=0)
    file_key = sa.Column(sa.String(300))
    error = sa.Column(sa.String(500))
    created_at = sa.Column(sa.DateTime, nullable=False, default=utcnow)
    finished_at = sa.Column(sa.DateTime)
