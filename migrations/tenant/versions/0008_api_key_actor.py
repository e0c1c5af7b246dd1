"""api key actor: an API key that acts is recorded as itself, next to the user id it used to overwrite

Revision ID: 0008
Revises: 007c590464f3
Create Date: 2026-11-25 10:49:09.925090
"""

import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '007c590464f3'
branch_labels = None
depends_on = None

# (table, new column): each sits next to the user id column it accompanies
ACTOR_COLUMNS = (
    ('api_keys', 'created_by_api_key_id'),
    ('content_versions', 'author_api_key_id'),
    ('courses', 'created_by_api_key_id'),
    ('media_files', 'uploaded_by_api_key_id'),
    ('user_imports', 'created_by_api_key_id'),
)


def upgrade():
    for table, column in ACTOR_COLUMNS:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column(column, sa.Integer(), nullable=True))
            batch_op.create_foreign_key(
                batch_op.f(f'fk_{table}_{column}_api_keys'), 'api_keys', [column], ['id'], ondelete='SET NULL'
            )


def downgrade():
    for table, column in reversed(ACTOR_COLUMNS):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(batch_op.f(f'fk_{table}_{column}_api_keys'), type_='foreignkey')
            batch_op.drop_column(column)
