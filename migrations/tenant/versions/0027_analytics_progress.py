"""analytics: each person's completed active enrollments and the sum and count of their progress, so that per
branch and per class figures are a join of the members to one row per person

Revision ID: 0027_analytics_progress
Revises: 0026_analytics_groups
Create Date: 2026-11-26 03:15:00.000000

The new columns start at 0: `flask analytics rebuild` fills them with the rest of the read model
(docs/analytics.md, "Progress per person").
"""

import sqlalchemy as sa
from alembic import op

revision = "0027_analytics_progress"
down_revision = "0026_analytics_groups"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("analytics_people", schema=None) as batch_op:
        batch_op.add_column(sa.Column("completed", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("progress_sum", sa.Float(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("progress_count", sa.Integer(), nullable=False, server_default="0"))


def downgrade():
    with op.batch_alter_table("analytics_people", schema=None) as batch_op:
        batch_op.drop_column("progress_count")
        batch_op.drop_column("progress_sum")
        batch_op.drop_column("completed")
