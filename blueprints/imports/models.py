"""Bulk imports of people: one record per person and file (by SHA-256), its progress and its bad rows."""

import sqlalchemy as sa

from app.tenancy.base import TenantModel
from app.tenancy.models import utcnow


class ImportStatus:
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class UserImport(TenantModel):
    __tablename__ = "user_imports"
    # Each import belongs to who started it: the same file uploaded by someone else is their own import
    # (a branch manager's dry run once overwrote the org admin's record of the same file).
    __table_args__ = (sa.UniqueConstraint("owner", "file_sha256", "mode"),)

    id = sa.Column(sa.Integer, primary_key=True)
    owner = sa.Column(sa.String(40), nullable=False)  # "user:<id>" or "key:<id>" (see `owner_of`)
    file_sha256 = sa.Column(sa.String(64), nullable=False)
    filename = sa.Column(sa.String(255), nullable=False)
    file_path = sa.Column(sa.String(500), nullable=False)
    mode = sa.Column(sa.String(10), nullable=False)  # "dry_run" or "commit"
    status = sa.Column(sa.String(20), nullable=False, default=ImportStatus.QUEUED)
    send_invitations = sa.Column(sa.Boolean, nullable=False, default=True)
    created_by_id = sa.Column(sa.Integer, sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_by_api_key_id = sa.Column(sa.Integer, sa.ForeignKey("api_keys.id", ondelete="SET NULL"))  # or a key
    scope_branch_ids = sa.Column(sa.JSON)  # a branch manager's import may only touch these branches
    total_rows = sa.Column(sa.Integer)
    processed_rows = sa.Column(sa.Integer, nullable=False, default=0)  # committed with each batch
    created_count = sa.Column(sa.Integer, nullable=False, default=0)
    updated_count = sa.Column(sa.Integer, nullable=False, default=0)
    unchanged_count = sa.Column(sa.Integer, nullable=False, default=0)
    invalid_count = sa.Column(sa.Integer, nullable=False, default=0)
    error_message = sa.Column(sa.Text)
    rq_job_id = sa.Column(sa.String(64))
    created_at = sa.Column(sa.DateTime, nullable=False, default=utcnow)
    started_at = sa.Column(sa.DateTime)
    finished_at = sa.Column(sa.DateTime)


class ImportRowError(TenantModel):
    __tablename__ = "user_import_errors"
    __table_args__ = (sa.UniqueConstraint("import_id", "row_number", "column"),)

    id = sa.Column(sa.Integer, primary_key=True)
    import_id = sa.Column(sa.Integer, sa.ForeignKey("user_imports.id", ondelete="CASCADE"), nullable=False)
    row_number = sa.Column(sa.Integer, nullable=False)  # as a spreadsheet counts: the header is row 1
    column = sa.Column(sa.String(40), nullable=False)
    value = sa.Column(sa.String(300))
    reason = sa.Column(sa.String(300), nullable=False)
