"""organization figures: people, courses, storage and last activity, refreshed into the control plane

Revision ID: 0003_organization_figures
Revises: 0002_operator_sign_ins
Create Date: 2026-11-25 14:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0003_organization_figures'
down_revision = '0002_operator_sign_ins'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('organization_figures',
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('people', sa.Integer(), nullable=False),
    sa.Column('courses', sa.Integer(), nullable=False),
    sa.Column('storage_bytes', sa.BigInteger(), nullable=False),
    sa.Column('last_activity_at', sa.DateTime(), nullable=True),
    sa.Column('refreshed_at', sa.DateTime(), nullable=False),
    sa.Column('error', sa.String(length=300), nullable=True),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_organization_figures_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('tenant_id', name=op.f('pk_organization_figures'))
    )


def downgrade():
    op.drop_table('organization_figures')
