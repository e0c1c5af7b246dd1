"""Create, drop and back up one tenant database, on SQLite or PostgreSQL."""

import hashlib
import os
import shutil
import sqlite3
import subprocess
import tempfile
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from app.errors import Conflict


class DatabaseExists(Conflict):
    pass


def _is_sqlite(url):
    return url.get_backend_name() == "sqlite"


def _sqlite_path(url):
    return Path(url.database).resolve()


@contextmanager
def _server_connection(url):
    """An AUTOCOMMIT connection to the server's maintenance database (CREATE/DROP DATABASE)."""
    engine = sa.create_engine(url.set(database="postgres"), poolclass=NullPool, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            yield conn
    finally:
        engine.dispose()


def _quoted(conn, name):
    return conn.dialect.identifier_preparer.quote_identifier(name)


def _pg_database_exists(conn, name):
    return bool(conn.scalar(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}))


def database_exists(raw_url):
    url = make_url(raw_url)
    if _is_sqlite(url):
        return _sqlite_path(url).exists()
    with _server_connection(url) as conn:
        return _pg_database_exists(conn, url.database)


def create_database(raw_url, template=None):
    """Create a database; DatabaseExists (409) when one is already there.

    Empty, or with `template` (a database URL of the same kind) a copy of that database: the test
    suite provisions from a migrated template instead of running every migration per tenant.
    """
    url = make_url(raw_url)
    template_url = make_url(template) if template else None
    if template_url is not None and template_url.get_backend_name() != url.get_backend_name():
        raise ValueError(
            f"A {template_url.get_backend_name()} template cannot make a {url.get_backend_name()} database."
        )
    if _is_sqlite(url):
        path = _sqlite_path(url)
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            # O_EXCL: two provisioners racing for one slug cannot both win.
            os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o640))
        except FileExistsError:
            raise DatabaseExists(f"A database already exists at {path}.") from None
        if template_url is not None:
            shutil.copyfile(_sqlite_path(template_url), path)
        return
    with _server_connection(url) as conn:
        if _pg_database_exists(conn, url.database):
            raise DatabaseExists(f"Database {url.database!r} already exists.")
        copy_of = ""
        if template_url is not None:
            copy_of = f" TEMPLATE {_quoted(conn, template_url.database)}"
            if conn.dialect.server_version_info >= (15,):
                # A small database copies in a third of the CPU by files than through the WAL (15's default).
                copy_of += " STRATEGY FILE_COPY"
        conn.execute(sa.text(f"CREATE DATABASE {_quoted(conn, url.database)}{copy_of} ENCODING 'UTF8'"))


def drop_database(raw_url):
    url = make_url(raw_url)
    if _is_sqlite(url):
        path = _sqlite_path(url)
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    with _server_connection(url) as conn:
        conn.execute(sa.text(f"DROP DATABASE IF EXISTS {_quoted(conn, url.database)} WITH (FORCE)"))


def kind_of(raw_url):
    """ "sqlite" or "postgresql"."""
    return make_url(raw_url).get_backend_name()


def dump_database(raw_url, target, snapshot=None):
    """A consistent copy of the database at `target` (SQLite: a database file; PostgreSQL: `pg_dump
    --format=custom`, of an exported `snapshot` when given); returns `target`."""
    url = make_url(raw_url)
    target = Path(target)
    if _is_sqlite(url):
        source = sqlite3.connect(_sqlite_path(url))
        destination = sqlite3.connect(target)
        try:
            source.backup(destination)  # the online backup API: consistent while others write
        finally:
            destination.close()
            source.close()
        return target
    command = [_pg_tool("pg_dump"), "--format=custom", f"--file={target}", "--no-owner", *_pg_connection_args(url)]
    if snapshot:
        command.append(f"--snapshot={snapshot}")
    _run_pg_tool(command, url, "pg_dump", cleanup=target)
    return target


def _pg_tool(name):
    return shutil.which(name) or f"/usr/bin/{name}"


def _pg_connection_args(url):
    args = [f"--dbname={url.database}"]
    if url.host:
        args.append(f"--host={url.host}")
    if url.port:
        args.append(f"--port={url.port}")
    if url.username:
        args.append(f"--username={url.username}")
    return args


def _run_pg_tool(command, url, name, cleanup=None):
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = url.password
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0 or (cleanup is not None and not Path(cleanup).exists()):
        if cleanup is not None:
            Path(cleanup).unlink(missing_ok=True)
        raise RuntimeError(f"{name} failed: {result.stderr.strip()[-2000:]}")


def restore_dump(raw_url, dump):
    """A new database at `raw_url` holding what `dump_database` wrote (SQLite: the file copied; PostgreSQL:
    `pg_restore --no-owner` in one transaction). DatabaseExists when one is there; nothing left on failure."""
    url = make_url(raw_url)
    create_database(raw_url)
    try:
        if _is_sqlite(url):
            shutil.copyfile(dump, _sqlite_path(url))
            return
        command = [
            _pg_tool("pg_restore"),
            "--no-owner",
            "--no-privileges",
            "--exit-on-error",
            "--single-transaction",
            *_pg_connection_args(url),
            str(dump),
        ]
        _run_pg_tool(command, url, "pg_restore")
    except BaseException:
        drop_database(raw_url)
        raise


def sibling_url(raw_url, stamp=None):
    """A URL for another database next to this one on its server (a restore's or a move's new copy)."""
    url = make_url(raw_url)
    stamp = stamp or f"{int(datetime.now(UTC).timestamp() * 1000):x}"
    if _is_sqlite(url):
        path = Path(url.database)
        return url.set(database=str(path.with_name(f"{path.stem}.r{stamp}{path.suffix}"))).render_as_string(
            hide_password=False
        )
    base = url.database.split("__r", 1)[0][: 63 - 3 - len(stamp)]  # PostgreSQL names are at most 63 bytes
    return url.set(database=f"{base}__r{stamp}").render_as_string(hide_password=False)


@contextmanager
def scratch_directory(parent=None):
    """A private directory for dumps on their way, removed afterwards."""
    if parent is not None:
        Path(parent).mkdir(parents=True, exist_ok=True)
    path = tempfile.mkdtemp(prefix=".tessera-scratch-", dir=parent)
    try:
        yield Path(path)
    finally:
        shutil.rmtree(path, ignore_errors=True)


# --- what a database holds: rows and a checksum per table ----------------------------------------------------


def _table_names(conn):
    return sorted(sa.inspect(conn).get_table_names())


def table_figures(conn):
    """{table: {"rows": n, "checksum": sha256 of its rows in primary-key order}} of every table on `conn`.

    Rows as the driver returns them: two databases of one kind holding the same data give the same figures."""
    inspector = sa.inspect(conn)
    figures = {}
    for table in _table_names(conn):
        order = inspector.get_pk_constraint(table).get("constrained_columns") or [
            column["name"] for column in inspector.get_columns(table)
        ]
        every_row = sa.select(sa.text("*")).select_from(sa.table(table)).order_by(*map(sa.column, order))
        digest, rows = hashlib.sha256(), 0
        result = conn.execution_options(yield_per=2000).execute(every_row)
        for row in result:
            digest.update(repr(tuple(row)).encode())
            digest.update(b"\n")
            rows += 1
        figures[table] = {"rows": rows, "checksum": digest.hexdigest()}
    return figures


def figures_of(raw_url):
    """`table_figures` of the database at `raw_url`, in one read transaction."""
    engine = sa.create_engine(make_url(raw_url), poolclass=NullPool)
    try:
        with engine.connect() as conn:
            return table_figures(conn)
    finally:
        engine.dispose()


def _figures_and_revision(conn):
    figures = table_figures(conn)
    revision = None
    if "alembic_version" in figures:
        revision = conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
    return figures, revision


def dump_with_figures(raw_url, target):
    """`dump_database`, the figures of exactly what it holds and its Alembic revision, even while others write:
    SQLite's are read from the copy; PostgreSQL's in the transaction whose snapshot pg_dump is given. Returns
    (path, figures, revision)."""
    url = make_url(raw_url)
    copy_url = f"sqlite:///{Path(target).resolve()}" if _is_sqlite(url) else url
    engine = sa.create_engine(
        copy_url, poolclass=NullPool, **({} if _is_sqlite(url) else {"isolation_level": "REPEATABLE READ"})
    )
    try:
        if _is_sqlite(url):
            dump_database(raw_url, target)
            with engine.connect() as conn:
                return Path(target), *_figures_and_revision(conn)
        with engine.connect() as conn:
            conn.exec_driver_sql("SET TRANSACTION READ ONLY")
            snapshot = conn.exec_driver_sql("SELECT pg_export_snapshot()").scalar()
            dump_database(raw_url, target, snapshot=snapshot)
            figures, revision = _figures_and_revision(conn)
            conn.rollback()
            return Path(target), figures, revision
    finally:
        engine.dispose()


class VerificationFailed(Conflict):
    pass


def differing_tables(expected, found):
    """The tables whose rows or checksum differ, each with what was expected and found."""
    names = sorted(set(expected) | set(found))
    return {name: (expected.get(name), found.get(name)) for name in names if expected.get(name) != found.get(name)}


def verify_figures(raw_url, expected, what="the database", checksums=True):
    """VerificationFailed unless the database holds the tables, row counts (and checksums) `expected`."""
    found = figures_of(raw_url)
    if not checksums:
        found = {name: {"rows": table["rows"]} for name, table in found.items()}
        expected = {name: {"rows": table["rows"]} for name, table in expected.items()}
    differing = differing_tables(expected, found)
    if differing:
        listed = "; ".join(
            f"{name}: expected {(want or {}).get('rows', 'no table')} rows, found {(got or {}).get('rows', 'no table')}"
            + ("" if (want or {}).get("rows") != (got or {}).get("rows") else " (other content)")
            for name, (want, got) in list(differing.items())[:10]
        )
        raise VerificationFailed(f"{what} does not match: {listed}")
    return found
