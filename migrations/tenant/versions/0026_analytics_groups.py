"""analytics: the per-person path (per branch, per class, the drill-down) from an index of the active enrollments
in person order, and the people's roll-up rows with their latest activity and the earliest due date and
activity of their open enrollments

Revision ID: 0026_analytics_groups
Revises: 0025_notif_email_digest_due
Create Date: 2026-11-26 02:00:00.000000

The new columns start empty: `flask analytics rebuild` fills them with the rest of the read model
(docs/analytics.md, "Groups").
"""

import sqlalchemy as sa
from alembic import op

revision = "0026_analytics_groups"
down_revision = "0025_notif_email_digest_due"
branch_labels = None
depends_on = None

ACTIVE_ENROLLMENT = "active = true"
ACTIVE_PERSON_COLUMNS = [
    "user_id",
    "course_id",
    "completed_at",
    "items_completed",
    "due_at",
    "last_activity_at",
    "seconds_spent",
    "active",
]


def upgrade():
    with op.batch_alter_table("analytics_people", schema=None) as batch_op:
        batch_op.add_column(sa.Column("last_activity_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("open_due_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("open_activity_at", sa.DateTime(), nullable=True))
        batch_op.create_index("ix_analytics_people_last_activity", ["last_activity_at", "user_id"], unique=False)
    with op.batch_alter_table("analytics_enrollments", schema=None) as batch_op:
        batch_op.create_index(
            "ix_analytics_enrollments_active_person",
            ACTIVE_PERSON_COLUMNS,
            unique=False,
            postgresql_where=sa.text(ACTIVE_ENROLLMENT),
            sqlite_where=sa.text(ACTIVE_ENROLLMENT),
        )


def downgrade():
    with op.batch_alter_table("analytics_enrollments", schema=None) as batch_op:
        batch_op.drop_index("ix_analytics_enrollments_active_person")
    with op.batch_alter_table("analytics_people", schema=None) as batch_op:
        batch_op.drop_index("ix_analytics_people_last_activity")
        batch_op.drop_column("open_activity_at")
        batch_op.drop_column("open_due_at")
        batch_op.drop_column("last_activity_at")
