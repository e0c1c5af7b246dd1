"""imports belong to who started them: one record per person (or API key), file and mode

Revision ID: 0012_import_owner
Revises: 0011_self_enrolled
Create Date: 2026-11-25 14:10:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0012_import_owner'
down_revision = '0011_self_enrolled'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('user_imports', schema=None) as batch_op:
        batch_op.add_column(sa.Column('owner', sa.String(length=40), nullable=False, server_default='nobody'))
    # Existing records go to whoever started them last (a shared record kept only that person).
    op.execute("UPDATE user_imports SET owner = 'user:' || created_by_id WHERE created_by_id IS NOT NULL")
    op.execute(
        "UPDATE user_imports SET owner = 'key:' || created_by_api_key_id WHERE created_by_api_key_id IS NOT NULL"
    )
    with op.batch_alter_table('user_imports', schema=None) as batch_op:
        batch_op.alter_column('owner', server_default=None)
        batch_op.drop_constraint('uq_user_imports_file_sha256', type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_user_imports_owner'), ['owner', 'file_sha256', 'mode'])


def downgrade():
    # Back to one record per file and mode: keep the newest of each.
    op.execute(
        "DELETE FROM user_imports WHERE id NOT IN "
        "(SELECT MAX(id) FROM user_imports GROUP BY file_sha256, mode)"
    )
    with op.batch_alter_table('user_imports', schema=None) as batch_op:
        batch_op.drop_constraint('uq_user_imports_owner', type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_user_imports_file_sha256'), ['file_sha256', 'mode'])
        batch_op.drop_column('owner')
