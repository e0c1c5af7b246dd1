"""analytics: on PostgreSQL, the day rows' (course, day) and (person, day) indexes and the enrollments' (course,
person) index carry the columns the figures read (`INCLUDE`), so that a teacher's overview is index-only scans

Revision ID: 0031_analytics_covering_indexes
Revises: 0030_privacy_exports_archiving
Create Date: 2026-11-26 12:10:00.000000

SQLite has no `INCLUDE`: its indexes stay as they are, and this revision changes nothing there. Nothing to
rebuild: the indexes are built from the rows already there (docs/analytics.md, "A teacher's overview").
"""

from alembic import op

revision = "0031_analytics_covering_indexes"
down_revision = "0030_privacy_exports_archiving"
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
# (table, index, key columns, included columns)
INDEXES = (
    ("analytics_days", "ix_analytics_days_course_day", ["course_id", "day"], ["user_id", *DAY_COUNTS]),
    ("analytics_days", "ix_analytics_days_user_day", ["user_id", "day"], ["course_id", *DAY_COUNTS]),
    (
        "analytics_enrollments",
        "ix_analytics_enrollments_course_user",
        ["course_id", "user_id"],
        ["active", "completed_at", "items_completed", "due_at", "last_activity_at", "seconds_spent"],
    ),
)


def _on_postgresql():
    return op.get_bind().dialect.name == "postgresql"


def upgrade():
    if not _on_postgresql():
        return
    for table, name, keys, included in INDEXES:
        op.drop_index(name, table_name=table)
        op.create_index(name, table, keys, unique=False, postgresql_include=included)


def downgrade():
    if not _on_postgresql():
        return
    for table, name, keys, _included in INDEXES:
        op.drop_index(name, table_name=table)
        op.create_index(name, table, keys, unique=False)
