"""Every row of every table of one database, read through SQLAlchemy's reflection (not the code under test), to
compare two databases table by table."""

import sqlalchemy as sa


def rows_of_every_table(database_url):
    """{table: (column names, [row, ...] ordered by primary key)}."""
    engine = sa.create_engine(sa.engine.make_url(database_url), poolclass=sa.pool.NullPool)
    try:
        metadata = sa.MetaData()
        metadata.reflect(engine)
        with engine.connect() as conn:
            return {
                name: (
                    [c.name for c in table.columns],
                    conn.execute(sa.select(table).order_by(*(table.primary_key.columns or table.columns))).all(),
                )
                for name, table in metadata.tables.items()
            }
    finally:
        engine.dispose()
