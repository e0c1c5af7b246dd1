"""outbox request id: the request (or job) that emitted an event, under which every delivery of it runs and logs

Revision ID: 0032_outbox_request_id
Revises: 0031_analytics_covering_indexes
Create Date: 2026-11-26 12:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0032_outbox_request_id"
down_revision = "0031_analytics_covering_indexes"
branch_labels = None
depends_on = None


def upgrade():
    # Events already in the outbox were emitted before ids were kept: their deliveries log none, as before.
    with op.batch_alter_table("event_outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("request_id", sa.String(length=64), nullable=True))


def downgrade():
    with op.batch_alter_table("event_outbox", schema=None) as batch_op:
        batch_op.drop_column("request_id")
