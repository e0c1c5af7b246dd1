"""notification digests: when their e-mail is (re)tried, and when a job claimed it (part "email" of issue 15);
cadences long enough for "immediately"

A digest's e-mail follows the rules of a notification's (backoff after a 4xx, a dead worker's claim taken
again by the sweep): it needs the same `email_due_at` the notifications table has. The cadence columns of
0024 held 10 characters: "immediately" (11) was refused by PostgreSQL (SQLite does not check lengths).

Revision ID: 0025_notif_email_digest_due
Revises: 0024_notifications
Create Date: 2026-11-26 02:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0025_notif_email_digest_due"
down_revision = "0024_notifications"
branch_labels = None
depends_on = None


def upgrade():
    for table in ("notification_settings", "notification_defaults"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column("cadence", existing_type=sa.String(length=10), type_=sa.String(length=12))
    with op.batch_alter_table("notification_digests", schema=None) as batch_op:
        batch_op.add_column(sa.Column("email_due_at", sa.DateTime(), nullable=True))
        batch_op.create_index("ix_notification_digests_email_status", ["email_status", "email_due_at"], unique=False)


def downgrade():
    with op.batch_alter_table("notification_digests", schema=None) as batch_op:
        batch_op.drop_index("ix_notification_digests_email_status")
        batch_op.drop_column("email_due_at")
    for table in ("notification_settings", "notification_defaults"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column("cadence", existing_type=sa.String(length=12), type_=sa.String(length=10))
