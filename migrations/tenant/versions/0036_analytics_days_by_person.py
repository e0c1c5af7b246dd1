"""analytics: the day rows' (person, day) index carries every column the figures read, as key columns

Revision ID: 0036_analytics_days_by_person
Revises: 0035_analytics_sign_in_index
Create Date: 2026-11-27 02:30:00

A branch manager's and a teacher's period figures read their people's day rows person by person from
`ix_analytics_days_user_day`. PostgreSQL read them from the index alone since 0031 (`INCLUDE`); SQLite, which has no
`INCLUDE`, looked each row up in the table as well. With the columns as key columns the index is covering on both
databases (docs/analytics.md, "A teacher's period on SQLite"). Nothing to rebuild: the index is built from the
rows already there.
"""

from alembic import op

revision = "0036_analytics_days_by_person"
down_revision = "0035_analytics_sign_in_index"
branch_labels = None
depends_on = None

# written out, not imported: a migration keeps what it did even when the models change later
DAY_COUNTS = [
    "sign_ins",
    "enrollments",
    "completions",
    "items_completed",
    "seconds",
    "attempts",
    "graded_attempts",
    "percent_sum",
    "passed_attempts",
]
NAME = "ix_analytics_days_user_day"


def upgrade():
    with op.batch_alter_table("analytics_days", schema=None) as batch_op:
        batch_op.drop_index(NAME)
        batch_op.create_index(NAME, ["user_id", "day", "course_id", *DAY_COUNTS], unique=False)


def downgrade():
    on_postgresql = op.get_bind().dialect.name == "postgresql"
    with op.batch_alter_table("analytics_days", schema=None) as batch_op:
        batch_op.drop_index(NAME)
        if on_postgresql:  # as 0031 left it
            batch_op.create_index(NAME, ["user_id", "day"], unique=False, postgresql_include=["course_id", *DAY_COUNTS])
        else:
            batch_op.create_index(NAME, ["user_id", "day"], unique=False)
