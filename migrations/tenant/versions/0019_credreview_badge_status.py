"""badge_credential_statuses: a revocation bit per signed badge credential (its Bitstring Status List index)

Revision ID: 0019_credreview_badge_status
Revises: 0018_assessfix_image_alt
Create Date: 2026-11-25 20:25:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0019_credreview_badge_status"
down_revision = "0018_assessfix_image_alt"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "badge_credential_statuses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("award_id", sa.Integer(), nullable=True),
        sa.Column("revoked", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["award_id"],
            ["badge_awards.id"],
            name=op.f("fk_badge_credential_statuses_award_id_badge_awards"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_badge_credential_statuses")),
    )
    with op.batch_alter_table("badge_credential_statuses", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_badge_credential_statuses_award_id"), ["award_id"], unique=False)


def downgrade():
    with op.batch_alter_table("badge_credential_statuses", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_badge_credential_statuses_award_id"))
    op.drop_table("badge_credential_statuses")
