"""users archived by run: the archiving run that deactivated a person (blueprints/privacy/archiving.py), so that the
people list can tell "deactivated by the policy" from "deactivated by hand"

No foreign key: archiving runs are never deleted, a key would make users and archiving_runs refer to each other,
and on SQLite adding one means rebuilding `users`, which most tables refer to. People deactivated by a run that
is not reversed get its id (the latest such run), when they are still inactive.

Revision ID: 0033_users_archived_by_run
Revises: 0032_outbox_request_id
Create Date: 2026-11-26 15:40:00
"""

import json

import sqlalchemy as sa
from alembic import op

revision = '0033_users_archived_by_run'
down_revision = '0032_outbox_request_id'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('archived_by_run_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_users_archived_by_run_id'), ['archived_by_run_id'], unique=False)

    conn = op.get_bind()
    runs = conn.execute(sa.text('SELECT id, user_ids FROM archiving_runs WHERE reversed_at IS NULL ORDER BY id'))
    for run_id, user_ids in runs.all():
        ids = json.loads(user_ids) if isinstance(user_ids, str) else user_ids or []
        for start in range(0, len(ids), 500):
            conn.execute(
                sa.text('UPDATE users SET archived_by_run_id = :run WHERE id IN :ids AND is_active = :no').bindparams(
                    sa.bindparam('ids', expanding=True)
                ),
                {'run': run_id, 'ids': ids[start : start + 500], 'no': False},
            )


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_users_archived_by_run_id'))
        batch_op.drop_column('archived_by_run_id')
