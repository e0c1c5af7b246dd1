"""platform event outbox: organization created / archived, written with the registry change

Revision ID: 0004_platform_outbox
Revises: 0003_organization_figures
Create Date: 2026-11-25 14:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0004_platform_outbox'
down_revision = '0003_organization_figures'
branch_labels = None
depends_on = None


def create_outbox(outbox, deliveries):
    op.create_table(outbox,
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('occurred_at', sa.DateTime(), nullable=False),
    sa.Column('relayed_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f(f'pk_{outbox}'))
    )
    with op.batch_alter_table(outbox, schema=None) as batch_op:
        batch_op.create_index(batch_op.f(f'ix_{outbox}_relayed_at'), ['relayed_at'], unique=False)
    op.create_table(deliveries,
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.String(length=36), nullable=False),
    sa.Column('subscriber', sa.String(length=200), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('stale_at', sa.DateTime(), nullable=False),
    sa.Column('done_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['event_id'], [f'{outbox}.id'], name=op.f(f'fk_{deliveries}_event_id_{outbox}'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f(f'pk_{deliveries}')),
    sa.UniqueConstraint('event_id', 'subscriber', name=op.f(f'uq_{deliveries}_event_id'))
    )
    with op.batch_alter_table(deliveries, schema=None) as batch_op:
        batch_op.create_index(batch_op.f(f'ix_{deliveries}_status'), ['status'], unique=False)


def drop_outbox(outbox, deliveries):
    op.drop_table(deliveries)
    op.drop_table(outbox)


def upgrade():
    create_outbox('platform_event_outbox', 'platform_event_deliveries')


def downgrade():
    drop_outbox('platform_event_outbox', 'platform_event_deliveries')
