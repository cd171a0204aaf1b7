"""The post metrics migration adds its table and takes it away again, on SQLite and PostgreSQL."""

from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from service.extensions import db
from service.settings import REPO_ROOT
from tests.schema import drop_every_table

POST_METRICS = "eddcadabe3da"
MIGRATIONS = str(REPO_ROOT / "migrations")


def tables() -> set[str]:
    with db.engine.connect() as connection:
        return set(inspect(connection).get_table_names())


def test_the_post_metrics_table_comes_and_goes_with_its_migration(app):
    drop_every_table(db.engine)
    upgrade(directory=MIGRATIONS, revision=POST_METRICS)
    assert "post_metrics" in tables()

    downgrade(directory=MIGRATIONS, revision=f"{POST_METRICS}-1")
    assert "post_metrics" not in tables() and "deliveries" in tables()

    upgrade(directory=MIGRATIONS)
    with db.engine.connect() as connection:
        columns = {column["name"] for column in inspect(connection).get_columns("post_metrics")}
        unique = inspect(connection).get_unique_constraints("post_metrics")
    assert {"delivery_id", "likes", "reposts", "replies", "quotes", "impressions", "fetched_at", "gone_at"} <= columns
    assert [constraint["column_names"] for constraint in unique] == [["delivery_id"]]
    # Leave the schema as the fixtures made it, without Alembic's bookkeeping table.
    with db.engine.begin() as connection:
        connection.execute(text("DROP TABLE alembic_version"))
