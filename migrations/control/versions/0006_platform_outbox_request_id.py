"""platform outbox request id: the request (or job) that emitted a platform event, under which its deliveries log

Revision ID: 0006_platform_outbox_request_id
Revises: 0005_tenant_database_server
Create Date: 2026-11-26 12:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0006_platform_outbox_request_id'
down_revision = '0005_tenant_database_server'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('platform_event_outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('request_id', sa.String(length=64), nullable=True))


def downgrade():
    with op.batch_alter_table('platform_event_outbox', schema=None) as batch_op:
        batch_op.drop_column('request_id')
