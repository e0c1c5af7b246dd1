"""questions: a version's image carries its text alternative (the learner's page gives it as the image's alt)

Revision ID: 0018_assessfix_image_alt
Revises: 0017_credentials
Create Date: 2026-11-25 19:45:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0018_assessfix_image_alt"
down_revision = "0017_credentials"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("question_versions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("image_alt", sa.String(length=300), nullable=False, server_default=""))


def downgrade():
    with op.batch_alter_table("question_versions", schema=None) as batch_op:
        batch_op.drop_column("image_alt")
