"""The read model's SQL building blocks, shared by its refreshes (`readmodel.py`) and its roll-ups per branch and
per class (`group_rollups.py`): functions whose SQL differs per database (the UTC day of a timestamp, the later or
earlier of two values, a day plus some days), the tenant's database kind, Core statements run in the tenant, and
the upserts that add to or overwrite a roll-up's row."""

from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from app.tenancy.base import execute_in_tenant
from app.tenancy.context import require_tenant
from app.tenancy.engines import engine_for


class utc_day(FunctionElement):
    """The UTC day of a naive UTC timestamp column, as a SQL date."""

    type = sa.Date()
    name = "utc_day"
    inherit_cache = True


@compiles(utc_day)
def _utc_day(element, compiler, **kw):
    return f"CAST({compiler.process(element.clauses, **kw)} AS DATE)"


@compiles(utc_day, "sqlite")
def _utc_day_sqlite(element, compiler, **kw):
    return f"date({compiler.process(element.clauses, **kw)})"


class latest_of(FunctionElement):
    """The latest of several timestamps, none of them null (`coalesce` them first)."""

    type = sa.DateTime()
    name = "latest_of"
    inherit_cache = True


@compiles(latest_of)
def _latest_of(element, compiler, **kw):
    return f"GREATEST({compiler.process(element.clauses, **kw)})"


@compiles(latest_of, "sqlite")
def _latest_of_sqlite(element, compiler, **kw):
    return f"max({compiler.process(element.clauses, **kw)})"  # SQLite's max() of several arguments is scalar


class earliest_of(FunctionElement):
    """The earliest of several values, none of them null (`coalesce` them first)."""

    type = sa.Date()
    name = "earliest_of"
    inherit_cache = True


@compiles(earliest_of)
def _earliest_of(element, compiler, **kw):
    return f"LEAST({compiler.process(element.clauses, **kw)})"


@compiles(earliest_of, "sqlite")
def _earliest_of_sqlite(element, compiler, **kw):
    return f"min({compiler.process(element.clauses, **kw)})"


class days_after(FunctionElement):
    """A SQL date `days` (a whole number, not a parameter) after another."""

    type = sa.Date()
    name = "days_after"
    inherit_cache = False  # the number is written into the SQL

    def __init__(self, day, days):
        self.days = int(days)
        super().__init__(day)


@compiles(days_after)
def _days_after(element, compiler, **kw):
    return f"({compiler.process(element.clauses, **kw)} + {element.days})"


@compiles(days_after, "sqlite")
def _days_after_sqlite(element, compiler, **kw):
    return f"date({compiler.process(element.clauses, **kw)}, '+{element.days} days')"


def dialect_name():
    """The kind of the tenant's database ("sqlite", "postgresql"): some statements are written per kind."""
    return engine_for(require_tenant()).dialect.name


def execute(statement, params):
    """Core statements over the tables (no ORM): built once, bound to the tenant's database."""
    return execute_in_tenant(statement, params)


def adding_upsert_of(table, keys, dialect, latest=(), recounted=()):
    """Insert the row or, when its key exists, add its values to the row's (the columns in `latest`: keep the
    later of both, none counting as earlier): the roll-ups' change, commutative between concurrent deliveries.
    The columns in `recounted` are neither inserted nor changed here (another statement recomputes them)."""
    insert = sqlite_insert if dialect == "sqlite" else postgresql_insert
    columns = [column for column in table.c if column.name not in recounted]
    stmt = insert(table).values({column.name: sa.bindparam(column.name) for column in columns})

    def combined(column):
        new = stmt.excluded[column.name]
        if column.name in latest:
            return latest_of(sa.func.coalesce(column, new), sa.func.coalesce(new, column))
        return column + new

    return stmt.on_conflict_do_update(
        index_elements=keys, set_={column.name: combined(column) for column in columns if column.name not in keys}
    )


def upsert_of(table, keys, dialect):
    """Insert the row or, when its key exists, overwrite it: one statement, safe against a concurrent twin."""
    insert = sqlite_insert if dialect == "sqlite" else postgresql_insert
    stmt = insert(table).values({column.name: sa.bindparam(column.name) for column in table.c})
    return stmt.on_conflict_do_update(
        index_elements=keys,
        set_={column.name: stmt.excluded[column.name] for column in table.c if column.name not in keys},
    )


def day_of(moment):
    """The UTC day of a naive UTC timestamp."""
    return moment.date()


def days_around(moment, margin=timedelta(minutes=1)):
    """The day of an event's time, and the neighbouring day when the time is within `margin` of midnight: the
    source row's own timestamp was taken a moment before or after the event's."""
    return sorted({day_of(moment - margin), day_of(moment), day_of(moment + margin)})
