"""analytics: roll-ups without the person (per course and day, per course, per person) and partial indexes of
the open enrollments

Revision ID: 0023_analytics_rollups
Revises: 0022_analytics_indexes
Create Date: 2026-11-25 23:45:00.000000

The organization-wide dashboards read these instead of every row of the read model (docs/analytics.md,
"Speed"). They start empty: `flask analytics rebuild` fills them with the rest of the read model.
"""

import sqlalchemy as sa
from alembic import op

revision = "0023_analytics_rollups"
down_revision = "0022_analytics_indexes"
branch_labels = None
depends_on = None

OPEN_ENROLLMENT = "active = true AND completed_at IS NULL"
COUNTS = ("sign_ins", "enrollments", "completions", "items_completed", "seconds", "attempts", "graded_attempts")


def upgrade():
    op.create_table(
        "analytics_course_days",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        *(sa.Column(name, sa.Integer(), nullable=False) for name in COUNTS),
        sa.Column("percent_sum", sa.Float(), nullable=False),
        sa.Column("passed_attempts", sa.Integer(), nullable=False),
        sa.Column("active_learners", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day", "course_id", name=op.f("pk_analytics_course_days")),
    )
    op.create_table(
        "analytics_courses",
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("enrollments", sa.Integer(), nullable=False),
        sa.Column("completed", sa.Integer(), nullable=False),
        sa.Column("progress_items", sa.Integer(), nullable=False),
        sa.Column("seconds", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("course_id", name=op.f("pk_analytics_courses")),
    )
    op.create_table(
        "analytics_people",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("active_enrollments", sa.Integer(), nullable=False),
        sa.Column("last_active_day", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_analytics_people")),
    )
    with op.batch_alter_table("analytics_people", schema=None) as batch_op:
        batch_op.create_index("ix_analytics_people_active_enrollments", ["active_enrollments"], unique=False)
        batch_op.create_index("ix_analytics_people_last_active_day", ["last_active_day"], unique=False)
    with op.batch_alter_table("analytics_enrollments", schema=None) as batch_op:
        for name, columns in (
            ("ix_analytics_enrollments_open_due", ["due_at", "course_id", "active", "completed_at"]),
            ("ix_analytics_enrollments_open_activity", ["last_activity_at", "due_at", "active", "completed_at"]),
            ("ix_analytics_enrollments_open_items", ["course_id", "items_completed"]),
        ):
            batch_op.create_index(
                name,
                columns,
                unique=False,
                postgresql_where=sa.text(OPEN_ENROLLMENT),
                sqlite_where=sa.text(OPEN_ENROLLMENT),
            )


def downgrade():
    with op.batch_alter_table("analytics_enrollments", schema=None) as batch_op:
        batch_op.drop_index("ix_analytics_enrollments_open_items")
        batch_op.drop_index("ix_analytics_enrollments_open_activity")
        batch_op.drop_index("ix_analytics_enrollments_open_due")
    with op.batch_alter_table("analytics_people", schema=None) as batch_op:
        batch_op.drop_index("ix_analytics_people_last_active_day")
        batch_op.drop_index("ix_analytics_people_active_enrollments")
    op.drop_table("analytics_people")
    op.drop_table("analytics_courses")
    op.drop_table("analytics_course_days")
