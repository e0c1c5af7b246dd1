"""attempts: an answer a person graded keeps that grade (whoever graded it: a user, an API key, a user since deleted)

Revision ID: 0016_attemptmatrix_manual_grade
Revises: 0015_attempts_quiz_passed_at
Create Date: 2026-11-25 18:15:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0016_attemptmatrix_manual_grade"
down_revision = "0015_attempts_quiz_passed_at"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("attempt_questions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("graded_manually", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.execute("UPDATE attempt_questions SET graded_manually = TRUE WHERE graded_by_id IS NOT NULL")


def downgrade():
    with op.batch_alter_table("attempt_questions", schema=None) as batch_op:
        batch_op.drop_column("graded_manually")
