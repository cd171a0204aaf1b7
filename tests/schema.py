"""Emptying a test database whatever schema a migration test left in it."""

from sqlalchemy import MetaData, text
from sqlalchemy.engine import Engine


def drop_every_table(engine: Engine) -> None:
    """Drop every table the database holds, Alembic's own and those of older revisions included.

    `db.drop_all()` knows only today's models: a table an old revision had (and a later one dropped) would stay, and
    on PostgreSQL its foreign keys would then stop the next `drop_all` from dropping the tables it points at.
    """
    tables = MetaData()
    tables.reflect(bind=engine)
    tables.drop_all(bind=engine)


def trigger_functions(engine: Engine, prefix: str) -> dict[str, str]:
    """PostgreSQL's definition of each function whose name starts with `prefix`, by name."""
    rows = text("SELECT proname, pg_get_functiondef(oid) FROM pg_proc WHERE proname LIKE :pattern")
    with engine.connect() as connection:
        return dict(connection.execute(rows, {"pattern": f"{prefix}%"}).all())


def drop_every_table_and_function(engine: Engine, functions) -> None:
    """drop_every_table, and these functions: dropping the tables leaves them, and the migrations must make them."""
    drop_every_table(engine)
    with engine.begin() as connection:
        for name in functions:
            connection.execute(text(f"DROP FUNCTION {name}()"))
