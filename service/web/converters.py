"""URL converters. `<int:...>` in every route is a database id: a number the database's integer cannot hold is
no id of ours, so it is a 404 like any other unknown id, not a 500 from the database."""

from werkzeug.routing import IntegerConverter

# PostgreSQL's integer (our primary keys); SQLite's is wider, so this is the bound both share.
DATABASE_INT_MAX = 2**31 - 1


class DatabaseIdConverter(IntegerConverter):
    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", DATABASE_INT_MAX)
        super().__init__(map, *args, **kwargs)
