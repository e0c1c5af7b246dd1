"""attempts: the attempt that first brought a learner's quiz grade to the pass mark (assessment.passed sent once)

Revision ID: 0015_attempts_quiz_passed_at
Revises: 0014_quizzes_question_fks
Create Date: 2026-11-25 16:45:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0015_attempts_quiz_passed_at"
down_revision = "0014_quizzes_question_fks"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("quiz_attempts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("passed_quiz_at", sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table("quiz_attempts", schema=None) as batch_op:
        batch_op.drop_column("passed_quiz_at")
