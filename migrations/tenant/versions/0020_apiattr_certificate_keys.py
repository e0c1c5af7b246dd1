"""apiattr: certificates, their archives, badge awards and the issuance log record an API key that acted

Revision ID: 0020_apiattr_certificate_keys
Revises: 0019_credreview_badge_status
Create Date: 2026-11-25 21:15:00

PostgreSQL adds each column and its named foreign key in place. SQLite adds no named foreign key to a table
(an inline REFERENCES is not read back with its name and ON DELETE, so the schema would differ from the
models): there the tables are copied (batch mode), and the copy of `certificates` loses nothing only because
its partial unique index `uq_certificates_current` (one current certificate per learner and course) is made
again here, explicitly, after the copy.
"""

import sqlalchemy as sa
from alembic import op

revision = "0020_apiattr_certificate_keys"
down_revision = "0019_credreview_badge_status"
branch_labels = None
depends_on = None

# table: its new columns, each beside the user id column it accompanies
KEY_COLUMNS = {
    "certificates": ("issued_by_api_key_id", "revoked_by_api_key_id"),
    "certificate_archives": ("requested_by_api_key_id",),
    "badge_awards": ("awarded_by_api_key_id", "revoked_by_api_key_id"),
}
CURRENT_INDEX = "uq_certificates_current"
CURRENT_WHERE = "superseded_at IS NULL AND revoked_at IS NULL"


def _fk_name(table, column):
    return f"fk_{table}_{column}_api_keys"


def _remake_current_index():
    """The batch copy of `certificates` may come back without the partial index (or without its WHERE)."""
    op.execute(f"DROP INDEX IF EXISTS {CURRENT_INDEX}")
    op.create_index(
        CURRENT_INDEX,
        "certificates",
        ["user_id", "course_id"],
        unique=True,
        sqlite_where=sa.text(CURRENT_WHERE),
        postgresql_where=sa.text(CURRENT_WHERE),
    )


def upgrade():
    sqlite = op.get_bind().dialect.name == "sqlite"
    for table, columns in KEY_COLUMNS.items():
        if not sqlite:
            for column in columns:
                op.add_column(table, sa.Column(column, sa.Integer(), nullable=True))
                op.create_foreign_key(_fk_name(table, column), table, "api_keys", [column], ["id"], ondelete="SET NULL")
            continue
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column in columns:
                batch_op.add_column(sa.Column(column, sa.Integer(), nullable=True))
                batch_op.create_foreign_key(_fk_name(table, column), "api_keys", [column], ["id"], ondelete="SET NULL")
        if table == "certificates":
            _remake_current_index()
    op.add_column("ledger_entries", sa.Column("actor_api_key_id", sa.Integer(), nullable=True))  # no FK, as users


def downgrade():
    sqlite = op.get_bind().dialect.name == "sqlite"
    op.drop_column("ledger_entries", "actor_api_key_id")
    for table, columns in reversed(KEY_COLUMNS.items()):
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column in reversed(columns):
                batch_op.drop_constraint(_fk_name(table, column), type_="foreignkey")
                batch_op.drop_column(column)
        if sqlite and table == "certificates":
            _remake_current_index()
