"""analytics: a partial index of the sign-in day rows (course 0) by person and day, holding the sign-ins

Revision ID: 0035_analytics_sign_in_index
Revises: 0034_erasure_redaction
Create Date: 2026-11-26 22:45:00

A course's analytics (`GET /api/v1/courses/{id}/analytics`) sums the sign-ins of the people enrolled in the course;
on SQLite they are read from this index alone, person by person (docs/analytics.md, "Per branch and per class").
Nothing to rebuild: the index is built from the rows already there.
"""

import sqlalchemy as sa
from alembic import op

revision = "0035_analytics_sign_in_index"
down_revision = "0034_erasure_redaction"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("analytics_days", schema=None) as batch_op:
        batch_op.create_index(
            "ix_analytics_days_sign_ins",
            ["user_id", "day", "sign_ins", "course_id"],
            unique=False,
            postgresql_where=sa.text("course_id = 0"),
            sqlite_where=sa.text("course_id = 0"),
        )


def downgrade():
    with op.batch_alter_table("analytics_days", schema=None) as batch_op:
        batch_op.drop_index("ix_analytics_days_sign_ins")
