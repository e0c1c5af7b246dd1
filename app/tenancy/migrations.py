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


@cache
def tenant_scripts():
    """The tenant migrations, read once per process (Alembic reads every version file each time it is asked)."""
    return ScriptDirectory.from_config(tenant_alembic_config())


def head_revision():
    return tenant_scripts().get_current_head()


def current_revision(engine):
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade_tenant_database(engine, revision="head"):
    """Migrate one tenant database to `revision`, in one transaction.

    A database already at head is left alone without starting Alembic, which would load every migration
    to find there is nothing to do: a new tenant copied from a migrated template (the test suite), or a
    tenant that `flask tenants upgrade` reaches twice."""
    if revision == "head" and current_revision(engine) == head_revision():
        return
    if engine.dialect.name == "sqlite":
        return _upgrade_sqlite(engine, revision)
    with engine.begin() as conn:
        _run_upgrade(conn, revision)


def _run_upgrade(conn, revision):
    config = tenant_alembic_config()
    config.attributes["connection"] = conn
    try:
        command.upgrade(config, revision)
    finally:
        config.attributes.pop("connection", None)


def _upgrade_sqlite(engine, revision):
    """SQLite's own recipe for schema changes: foreign keys off, one transaction, check, commit, on.

    A batch operation copies a table and drops the original; with foreign keys on, that drop deletes
    the rows of every table referencing it with ON DELETE CASCADE (all of a course's content when
    `courses` is copied). The pragma is a no-op inside a transaction, hence the order; and the
    driver would begin transactions only before DML, so BEGIN is explicit.
    """
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
        conn.commit()
        try:
            with conn.begin():
                conn.exec_driver_sql("BEGIN")
                _run_upgrade(conn, revision)
                broken = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise RuntimeError(f"Migration left rows with dangling foreign keys: {broken[:5]}")
        finally:
            conn.exec_driver_sql("PRAGMA foreign_keys=ON")
            conn.commit()
