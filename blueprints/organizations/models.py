"""What the control plane keeps about each organization besides its registry row."""

import sqlalchemy as sa

from app.extensions import db


class OrganizationFigures(db.Model):
    """An organization's size and activity as of `refreshed_at`, copied from its own database.

    The operators' console lists a thousand organizations from this table in one query, rather than
    opening a thousand tenant databases per page view; `flask organizations refresh-figures` (cron) or
    the console's button brings it up to date.
    """

    __tablename__ = "organization_figures"

    tenant_id = sa.Column(sa.Integer, sa.ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True)
    people = sa.Column(sa.Integer, nullable=False, default=0)  # active accounts
    courses = sa.Column(sa.Integer, nullable=False, default=0)
    storage_bytes = sa.Column(sa.BigInteger, nullable=False, default=0)  # database + uploaded media
    last_activity_at = sa.Column(sa.DateTime)  # the latest sign-in or learning time report
    refreshed_at = sa.Column(sa.DateTime, nullable=False)
    error = sa.Column(sa.String(300))  # why the last refresh could not read the database, if it could not
