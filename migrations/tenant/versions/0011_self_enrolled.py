"""enrollments remember whether the learner enrolled themselves (only those may leave on their own)

Revision ID: 0011_self_enrolled
Revises: 0010_event_outbox
Create Date: 2026-11-25 13:50:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0011_self_enrolled'
down_revision = '0010_event_outbox'
branch_labels = None
depends_on = None


def upgrade():
    # Enrollments made before this column are counted as their teachers' (nobody can tell): their
    # learners cannot leave them on their own, as before.
    with op.batch_alter_table('enrollments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('self_enrolled', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade():
    with op.batch_alter_table('enrollments', schema=None) as batch_op:
        batch_op.drop_column('self_enrolled')
