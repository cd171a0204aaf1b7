"""Two transactions changing one subscriber at the same moment, for the tests of the counts PostgreSQL keeps."""

import threading

from service.extensions import db


def race(first, second) -> None:
    """`first` (a statement, or a tuple of them) in a transaction left open while `second` runs in another, then
    `first` commits: two requests changing one subscriber at the same moment."""
    engine, errors = db.engine, []

    def in_other_transaction():
        try:
            with engine.begin() as other:
                other.execute(second)
        except Exception as error:  # shown by the assertion below
            errors.append(error)

    with engine.connect() as connection:
        for statement in first if isinstance(first, tuple) else (first,):
            connection.execute(statement)  # not committed yet
        other = threading.Thread(target=in_other_transaction)
        other.start()
        other.join(timeout=0.5)  # long enough for its triggers to run, had they not waited
        connection.commit()
    other.join(timeout=10)
    assert not other.is_alive() and errors == []
    db.session.expire_all()
