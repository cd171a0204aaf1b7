"""The delivery counts migration gives every email message the count of its deliveries (posts keep 0), and goes back
again, on SQLite and PostgreSQL."""

from datetime import datetime

from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from service.extensions import db
from service.settings import REPO_ROOT
from tests.schema import drop_every_table

DELIVERY_COUNTS = "e4c8a1d2b6f0"
MIGRATIONS = str(REPO_ROOT / "migrations")
NOW = datetime(2026, 12, 1, 12, 0)


def _message_with_deliveries(connection, message_id: int, channel: str, deliveries: int) -> None:
    connection.execute(
        text(
            "INSERT INTO messages (id, campaign_id, issue_id, channel, send_at, status, audience_cursor, sent_count)"
            " VALUES (:id, 1, 1, :channel, :now, 'sent', 0, :n)"
        ),
        {"id": message_id, "channel": channel, "now": NOW, "n": deliveries},
    )
    for _ in range(deliveries):
        connection.execute(
            text(
                "INSERT INTO deliveries (message_id, channel, status, created_at, updated_at)"
                " VALUES (:m, :channel, 'sent', :now, :now)"
            ),
            {"m": message_id, "channel": channel, "now": NOW},
        )


def message_columns() -> set[str]:
    with db.engine.connect() as connection:
        return {column["name"] for column in inspect(connection).get_columns("messages")}


def test_each_email_message_gets_the_count_of_its_deliveries(app):
    drop_every_table(db.engine)
    upgrade(directory=MIGRATIONS, revision=f"{DELIVERY_COUNTS}-1")
    with db.engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO campaigns (id, name, slug, status, send_email, send_post, email_subject, topics, hashtags,"
                " link_url, post_template, schedule_kind, created_at, updated_at) VALUES (1, 'Old', 'old', 'sent',"
                " true, true, 'Subject', '[\"newsletter\"]', '', '', 'post.txt', 'one_off', :now, :now)"
            ),
            {"now": NOW},
        )
        connection.execute(
            text(
                "INSERT INTO email_issues (id, campaign_id, position, subject, preheader, intro, cta_label, cta_url,"
                " sign_off) VALUES (1, 1, 0, '', '', '', '', '', '')"
            )
        )
        _message_with_deliveries(connection, 1, "email", 3)
        _message_with_deliveries(connection, 2, "email", 0)
        _message_with_deliveries(connection, 3, "x", 2)

    upgrade(directory=MIGRATIONS, revision=DELIVERY_COUNTS)
    with db.engine.connect() as connection:
        counts = dict(connection.execute(text("SELECT id, delivery_count FROM messages ORDER BY id")).all())
    assert counts == {1: 3, 2: 0, 3: 0}
    assert "stopped_at_batch" not in message_columns()

    downgrade(directory=MIGRATIONS, revision=f"{DELIVERY_COUNTS}-1")
    assert "delivery_count" not in message_columns() and "stopped_at_batch" in message_columns()
    upgrade(directory=MIGRATIONS)
    # Leave the schema as the fixtures made it, without Alembic's bookkeeping table.
    with db.engine.begin() as connection:
        connection.execute(text("DROP TABLE alembic_version"))
