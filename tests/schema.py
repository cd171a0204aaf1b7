"""Emptying a test database whatever schema a migration test left in it."""

from sqlalchemy import MetaData
from sqlalchemy.engine import Engine


def drop_every_table(engine: Engine) -> None:
    """Drop every table the database holds, Alembic's own and those of older revisions included.

    `db.drop_all()` knows only today's models: a table an old revision had (and a later one dropped) would stay, and
    on PostgreSQL its foreign keys would then stop the next `drop_all` from dropping the tables it points at.
    """
    tables = MetaData()
    tables.reflect(bind=engine)
    tables.drop_all(bind=engine)
