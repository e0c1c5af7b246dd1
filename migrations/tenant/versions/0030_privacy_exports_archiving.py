"""privacy: a person's data exports, erasures, the archiving policy and its runs (blueprints/privacy, part privacy)

Revision ID: 0030_privacy_exports_archiving
Revises: 0029_audit_events
Create Date: 2026-11-26 08:10:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0030_privacy_exports_archiving"
down_revision = "0029_audit_events"
branch_labels = None
depends_on = None


def _user_fk(table, column, ondelete):
    return sa.ForeignKeyConstraint(
        [column], ["users.id"], name=op.f(f"fk_{table}_{column}_users"), ondelete=ondelete
    )


def _key_fk(table, column):
    return sa.ForeignKeyConstraint(
        [column], ["api_keys.id"], name=op.f(f"fk_{table}_{column}_api_keys"), ondelete="SET NULL"
    )


def upgrade():
    op.create_table(
        "data_exports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("rows_done", sa.Integer(), nullable=False),
        sa.Column("rows_total", sa.Integer(), nullable=True),
        sa.Column("file_key", sa.String(length=300), nullable=True),
        sa.Column("file_name", sa.String(length=200), nullable=True),
        sa.Column("file_size", sa.Integer(), nullable=True),
        sa.Column("error", sa.String(length=500), nullable=True),
        sa.Column("requested_by_id", sa.Integer(), nullable=True),
        sa.Column("requested_by_api_key_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=True),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("expires_at", sa.DateTime(), nullable=True),
        _user_fk("data_exports", "user_id", "CASCADE"),
        _user_fk("data_exports", "requested_by_id", "SET NULL"),
        _key_fk("data_exports", "requested_by_api_key_id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_exports")),
    )
    with op.batch_alter_table("data_exports", schema=None) as batch_op:
        batch_op.create_index("ix_data_exports_user_created", ["user_id", "created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_data_exports_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_data_exports_requested_by_id"), ["requested_by_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_data_exports_expires_at"), ["expires_at"], unique=False)

    op.create_table(
        "person_erasures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("erased_at", sa.DateTime(), nullable=False),
        sa.Column("erased_by_id", sa.Integer(), nullable=True),
        sa.Column("erased_by_api_key_id", sa.Integer(), nullable=True),
        _user_fk("person_erasures", "user_id", "CASCADE"),
        _user_fk("person_erasures", "erased_by_id", "SET NULL"),
        _key_fk("person_erasures", "erased_by_api_key_id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_person_erasures")),
        sa.UniqueConstraint("user_id", name=op.f("uq_person_erasures_user_id")),
    )

    op.create_table(
        "archiving_policies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("course_months", sa.Integer(), nullable=True),
        sa.Column("people_months", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        _user_fk("archiving_policies", "updated_by_id", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_archiving_policies")),
    )

    op.create_table(
        "archiving_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("trigger", sa.String(length=10), nullable=False),
        sa.Column("policy", sa.JSON(), nullable=False),
        sa.Column("courses", sa.JSON(), nullable=False),
        sa.Column("user_ids", sa.JSON(), nullable=False),
        sa.Column("ran_at", sa.DateTime(), nullable=False),
        sa.Column("ran_by_id", sa.Integer(), nullable=True),
        sa.Column("reversed_at", sa.DateTime(), nullable=True),
        sa.Column("reversed_by_id", sa.Integer(), nullable=True),
        sa.Column("restored", sa.JSON(), nullable=True),
        _user_fk("archiving_runs", "ran_by_id", "SET NULL"),
        _user_fk("archiving_runs", "reversed_by_id", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_archiving_runs")),
    )
    with op.batch_alter_table("archiving_runs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_archiving_runs_ran_at"), ["ran_at"], unique=False)


def downgrade():
    op.drop_table("archiving_runs")
    op.drop_table("archiving_policies")
    op.drop_table("person_erasures")
    with op.batch_alter_table("data_exports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_data_exports_expires_at"))
        batch_op.drop_index(batch_op.f("ix_data_exports_requested_by_id"))
        batch_op.drop_index(batch_op.f("ix_data_exports_status"))
        batch_op.drop_index("ix_data_exports_user_created")
    op.drop_table("data_exports")
