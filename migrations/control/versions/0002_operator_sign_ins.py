"""operator sign-ins: signing out ends the session and its tokens everywhere

Revision ID: 0002_operator_sign_ins
Revises: d8928b1432a5
Create Date: 2026-11-25 11:40:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0002_operator_sign_ins'
down_revision = 'd8928b1432a5'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('operator_sign_ins',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('operator_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('user_agent', sa.String(length=200), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('revoked_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['operator_id'], ['platform_operators.id'], name=op.f('fk_operator_sign_ins_operator_id_platform_operators'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_operator_sign_ins'))
    )
    with op.batch_alter_table('operator_sign_ins', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_operator_sign_ins_operator_id'), ['operator_id'], unique=False)


def downgrade():
    with op.batch_alter_table('operator_sign_ins', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_operator_sign_ins_operator_id'))
    op.drop_table('operator_sign_ins')
