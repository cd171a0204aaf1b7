"""The Alembic migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade
from sqlalchemy import inspect, text

from service.extensions import db, render_migration_type
from service.settings import REPO_ROOT
from tests.schema import drop_every_table


def test_migrations_match_the_models(app):
    drop_every_table(db.engine)
    upgrade(directory=str(REPO_ROOT / "migrations"))
    with db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "render_item": render_migration_type}
        )
        differences = compare_metadata(context, db.metadata)
    assert differences == [], "run `flask --app wsgi db migrate` and commit the new migration"
    # Autogenerate does not compare CHECK constraints: the statuses' are checked here.
    with db.engine.connect() as connection:
        inspector = inspect(connection)
        for table in ("campaigns", "messages", "send_batches", "deliveries"):
            assert f"ck_{table}_status" in {check["name"] for check in inspector.get_check_constraints(table)}, table
    # Leave the schema as the fixtures made it (the same, as just proven), without Alembic's bookkeeping table.
    with db.engine.begin() as connection:
        connection.execute(text("DROP TABLE alembic_version"))
