"""Alembic environment of the control plane (the tenant registry), run by `flask db …`."""

from alembic import context
from flask import current_app

from app.models import import_all_models

import_all_models()
db = current_app.extensions["migrate"].db
target_metadata = db.metadata  # the default bind only: tenant tables have their own history


def run_offline():
    context.configure(
        url=db.engine.url.render_as_string(hide_password=False), target_metadata=target_metadata, literal_binds=True
    )
    with context.begin_transaction():
        context.run_migrations()


def run_online():
    def skip_empty(context_, revision, directives):
        if getattr(context.config.cmd_opts, "autogenerate", False) and directives[0].upgrade_ops.is_empty():
            directives[:] = []

    with db.engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            process_revision_directives=skip_empty,
            render_as_batch=True,
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
