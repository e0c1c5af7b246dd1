"""analytics: a partial index of the day rows with graded attempts

Revision ID: 0022_analytics_indexes
Revises: 0021_analytics_reports
Create Date: 2026-11-25 23:05:00.000000

The per-branch and per-class average scores (`/api/v1/analytics/performance`) sum the graded attempts of the
period: a few percent of the day rows. Without this index every day row of the period was read and joined
with the memberships (1.1 s on 50 000 learners, PostgreSQL); with it, the rows with graded attempts only
(docs/analytics.md, "Speed").
"""

import sqlalchemy as sa
from alembic import op

revision = '0022_analytics_indexes'
down_revision = '0021_analytics_reports'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('analytics_days', schema=None) as batch_op:
        batch_op.create_index(
            'ix_analytics_days_graded',
            ['day'],
            unique=False,
            postgresql_where=sa.text('graded_attempts > 0'),
            sqlite_where=sa.text('graded_attempts > 0'),
        )


def downgrade():
    with op.batch_alter_table('analytics_days', schema=None) as batch_op:
        batch_op.drop_index('ix_analytics_days_graded')
