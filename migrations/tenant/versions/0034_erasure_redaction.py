"""erasure redaction: the issuance log's personal data outside the chain, reports withdrawn on an erasure, and what an erasure did

Revision ID: 0034_erasure_redaction
Revises: 0033_users_archived_by_run
Create Date: 2026-11-26 15:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0034_erasure_redaction"
down_revision = "0033_users_archived_by_run"
branch_labels = None
depends_on = None


def upgrade():
    # Entries already written keep their format (the name inside the chained payload): rewriting them would
    # break the heads verifiers hold. Only entries appended from now on commit to their personal data.
    op.create_table(
        "ledger_personal_data",
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("salt", sa.String(length=64), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["ledger_entries.id"],
            name=op.f("fk_ledger_personal_data_entry_id_ledger_entries"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("entry_id", name=op.f("pk_ledger_personal_data")),
    )
    with op.batch_alter_table("ledger_personal_data", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ledger_personal_data_user_id"), ["user_id"], unique=False)
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.add_column(sa.Column("withdrawn_reason", sa.String(length=300), nullable=True))
    # erasures made before: nothing more was done than their rows, so nothing to say
    with op.batch_alter_table("person_erasures", schema=None) as batch_op:
        batch_op.add_column(sa.Column("outcome", sa.JSON(), nullable=False, server_default="{}"))


def downgrade():
    with op.batch_alter_table("person_erasures", schema=None) as batch_op:
        batch_op.drop_column("outcome")
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.drop_column("withdrawn_reason")
    with op.batch_alter_table("ledger_personal_data", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ledger_personal_data_user_id"))
    op.drop_table("ledger_personal_data")
