"""tenant database server: which configured database server holds each organization's database

Revision ID: 0005_tenant_database_server
Revises: 0004_platform_outbox
Create Date: 2026-11-26 08:15:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0005_tenant_database_server'
down_revision = '0004_platform_outbox'
branch_labels = None
depends_on = None


def upgrade():
    # Every existing organization lives where TENANT_DATABASE_URL_TEMPLATE put it: the server "default".
    with op.batch_alter_table('tenants', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('database_server', sa.String(length=40), nullable=False, server_default='default')
        )
        batch_op.create_index(batch_op.f('ix_tenants_database_server'), ['database_server'], unique=False)


def downgrade():
    with op.batch_alter_table('tenants', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tenants_database_server'))
        batch_op.drop_column('database_server')
