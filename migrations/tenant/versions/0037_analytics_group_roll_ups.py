"""analytics: roll-ups per branch and per class (members, now, per day)

Revision ID: 0037_analytics_group_roll_ups
Revises: 0036_analytics_days_by_person
Create Date: 2026-11-27 02:15:00

`GET /api/v1/analytics/performance` for an org admin reads these instead of every active enrollment summed into
every membership (docs/analytics.md, "Per branch and per class, rolled up"). They start empty: run
`flask analytics rebuild` after upgrading, as for the other read-model tables.
"""

import sqlalchemy as sa
from alembic import op

revision = "0037_analytics_group_roll_ups"
down_revision = "0036_analytics_days_by_person"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "analytics_group_members",
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("kind", "group_id", "user_id"),
    )
    with op.batch_alter_table("analytics_group_members", schema=None) as batch_op:
        batch_op.create_index("ix_analytics_group_members_user", ["user_id"], unique=False)
    op.create_table(
        "analytics_groups",
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("learners", sa.Integer(), nullable=False),
        sa.Column("enrollments", sa.Integer(), nullable=False),
        sa.Column("completed", sa.Integer(), nullable=False),
        sa.Column("progress_sum", sa.Float(), nullable=False),
        sa.Column("progress_count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("kind", "group_id"),
    )
    op.create_table(
        "analytics_group_days",
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("due_open", sa.Integer(), nullable=False),
        sa.Column("risk_open", sa.Integer(), nullable=False),
        sa.Column("graded", sa.Integer(), nullable=False),
        sa.Column("percent_sum", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("kind", "group_id", "day"),
    )


def downgrade():
    op.drop_table("analytics_group_days")
    op.drop_table("analytics_groups")
    with op.batch_alter_table("analytics_group_members", schema=None) as batch_op:
        batch_op.drop_index("ix_analytics_group_members_user")
    op.drop_table("analytics_group_members")
