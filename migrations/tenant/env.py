"""Alembic environment of the tenant schema: always run on a connection given by the caller."""

from alembic import context

from app.extensions import db
from app.models import import_all_models
from app.tenancy.session import TENANT_BIND_KEY

import_all_models()
target_metadata = db.metadatas[TENANT_BIND_KEY]
connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("Run tenant migrations with `flask tenants upgrade`, not plain alembic.")

context.configure(
    connection=connection,
    target_metadata=target_metadata,
    render_as_batch=True,  # SQLite alters tables by copying them
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
