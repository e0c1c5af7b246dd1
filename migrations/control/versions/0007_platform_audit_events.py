"""platform audit events: what operators and the CLI did to organizations, and operators' sign-ins (app/audit/platform.py)

Revision ID: 0007_platform_audit_events
Revises: 0006_platform_outbox_request_id
Create Date: 2026-11-26 15:45:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0007_platform_audit_events'
down_revision = '0006_platform_outbox_request_id'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('platform_audit_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('occurred_at', sa.DateTime(), nullable=False),
    sa.Column('action', sa.String(length=60), nullable=False),
    sa.Column('outcome', sa.String(length=10), nullable=False),
    sa.Column('actor_kind', sa.String(length=20), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('actor_label', sa.String(length=255), nullable=False),
    sa.Column('target_type', sa.String(length=40), nullable=True),
    sa.Column('target_id', sa.String(length=64), nullable=True),
    sa.Column('target_label', sa.String(length=255), nullable=False),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.Column('ip', sa.String(length=45), nullable=True),
    sa.Column('user_agent', sa.String(length=255), nullable=True),
    sa.Column('request_id', sa.String(length=64), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_platform_audit_events'))
    )
    with op.batch_alter_table('platform_audit_events', schema=None) as batch_op:
        batch_op.create_index('ix_platform_audit_events_action_occurred', ['action', 'occurred_at'], unique=False)
        batch_op.create_index('ix_platform_audit_events_target', ['target_type', 'target_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_platform_audit_events_occurred_at'), ['occurred_at'], unique=False)


def downgrade():
    with op.batch_alter_table('platform_audit_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_platform_audit_events_occurred_at'))
        batch_op.drop_index('ix_platform_audit_events_target')
        batch_op.drop_index('ix_platform_audit_events_action_occurred')

    op.drop_table('platform_audit_events')
