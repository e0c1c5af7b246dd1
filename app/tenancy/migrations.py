"""The tenant schema's Alembic history, run against one tenant database at a time."""

from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

TENANT_MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations" / "tenant"


@cache
def tenant_alembic_config():
    config = Config()
    config.set_main_option("script_location", str(TENANT_MIGRATIONS))
    return config


def head_revision():
    return ScriptDirectory.from_config(tenant_alembic_config()).get_current_head()


def current_revision(engine):
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade_tenant_database(engine, revision="head"):
    """Migrate one tenant database to `revision`, in one transaction."""
    config = tenant_alembic_config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        try:
            command.upgrade(config, revision)
        finally:
            config.attributes.pop("connection", None)
