"""Each organization's people, courses, storage and last activity, read from its own database.

Refreshed in bulk into the control plane (`OrganizationFigures`) by `flask organizations refresh-figures`
or the console's button (an RQ job), and for one organization when an operator changes it, so that the
console lists from one table and says "as of" when.
"""

import logging
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from app.extensions import db
from app.tenancy import databases
from app.tenancy.engines import create_tenant_engine
from app.tenancy.models import Tenant, TenantStatus, utcnow
from blueprints.organizations.models import OrganizationFigures

log = logging.getLogger(__name__)

# One round trip per organization. Table names, not another feature's models: the console reads
# figures, it does not reach into people or courses.
FIGURES_SQL = sa.text(
    """
    SELECT
      (SELECT count(*) FROM users WHERE is_active) AS people,
      (SELECT count(*) FROM courses) AS courses,
      (SELECT coalesce(sum(size), 0) FROM media_files) AS media_bytes,
      (SELECT max(created_at) FROM sign_ins) AS last_sign_in,
      (SELECT max(last_reported_at) FROM enrollments) AS last_learning
    """
)
SQLITE_SIZE_SQL = sa.text("SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()")
POSTGRES_SIZE_SQL = sa.text("SELECT pg_database_size(current_database())")


def _as_datetime(value):
    """SQLite hands back max() of a DATETIME column as text."""
    if value is None or not isinstance(value, str):
        return value
    return datetime.fromisoformat(value)


def read_figures(database_url):
    """The figures of one tenant database, on a short-lived connection (never the request's engine pool)."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and not databases.database_exists(database_url):
        raise FileNotFoundError(f"no database file at {url.database}")  # connecting would create an empty one
    engine = create_tenant_engine(database_url, pool_size=1, max_overflow=0)
    try:
        with engine.connect() as connection:
            row = connection.execute(FIGURES_SQL).one()
            size_sql = SQLITE_SIZE_SQL if engine.url.get_backend_name() == "sqlite" else POSTGRES_SIZE_SQL
            database_bytes = connection.execute(size_sql).scalar() or 0
    finally:
        engine.dispose()
    activity = [moment for moment in map(_as_datetime, (row.last_sign_in, row.last_learning)) if moment]
    return {
        "people": row.people,
        "courses": row.courses,
        "storage_bytes": int(row.media_bytes) + int(database_bytes),
        "last_activity_at": max(activity) if activity else None,
    }


def refresh_figures(tenant_ids=None):
    """Bring the figures of every live organization (or of `tenant_ids`) up to date; returns how many
    were read and which failed (a failure is kept on the row, the previous figures stay)."""
    stmt = sa.select(Tenant.id, Tenant.slug, Tenant.database_url).where(
        Tenant.status.in_([TenantStatus.ACTIVE, TenantStatus.SUSPENDED])
    )
    if tenant_ids is not None:
        stmt = stmt.where(Tenant.id.in_(tenant_ids))
    tenants = db.session.execute(stmt.order_by(Tenant.id)).all()
    failed = []
    for tenant in tenants:
        record = db.session.get(OrganizationFigures, tenant.id) or OrganizationFigures(
            tenant_id=tenant.id, people=0, courses=0, storage_bytes=0
        )
        try:  # a failed read keeps the previous figures and says why
            for key, value in read_figures(tenant.database_url).items():
                setattr(record, key, value)
            record.error = None
        except Exception as error:  # one broken database must not stop the others
            log.warning("Could not read the figures of %s: %s", tenant.slug, error)
            record.error = f"{type(error).__name__}: {error}"[:300]
            failed.append(tenant.slug)
        record.refreshed_at = utcnow()
        db.session.add(record)
        db.session.commit()
    return len(tenants) - len(failed), failed
