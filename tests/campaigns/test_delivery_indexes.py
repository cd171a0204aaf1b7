"""The send ledger's uniqueness rules, as the models and the migrations build them (SQLite and PostgreSQL): a post's
part is recorded once; an email's deliveries, which have no part, are not in that index at all."""

from datetime import UTC, datetime

import pytest
from flask_migrate import upgrade
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from service.extensions import db
from service.models import Campaign, Delivery, EmailIssue, Message
from service.settings import REPO_ROOT
from tests.schema import drop_every_table


def a_message(channel: str) -> Message:
    issue = EmailIssue(position=0, subject="Ledger")
    campaign = Campaign(name="Ledger", slug=f"ledger-{channel}", send_email=channel == "email", issues=[issue])
    message = Message(campaign=campaign, issue=issue, channel=channel, send_at=datetime.now(UTC))
    db.session.add(message)
    db.session.flush()
    return message


def test_a_posts_part_is_recorded_once(app):
    message = a_message("x")
    db.session.add(Delivery(message_id=message.id, part_index=0, channel="x", status="sent"))
    db.session.add(Delivery(message_id=message.id, part_index=1, channel="x", status="sent"))
    db.session.commit()
    db.session.add(Delivery(message_id=message.id, part_index=1, channel="x", status="in_flight"))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_an_emails_deliveries_have_no_part_and_any_number_share_a_message(app):
    message = a_message("email")
    db.session.add_all(
        Delivery(message_id=message.id, channel="email", status="in_flight", subscriber_id=None) for _ in range(3)
    )
    db.session.commit()
    assert db.session.query(Delivery).filter_by(message_id=message.id).count() == 3


def test_the_migrations_build_the_parts_index_for_posts_only(app):
    drop_every_table(db.engine)
    upgrade(directory=str(REPO_ROOT / "migrations"))
    with db.engine.connect() as connection:
        index = next(
            index
            for index in inspect(connection).get_indexes("deliveries")
            if index["name"] == "uq_deliveries_message_part"
        )
        where = index["dialect_options"].get(f"{connection.dialect.name}_where")
        assert index["unique"] and index["column_names"] == ["message_id", "part_index"]
        assert "part_index IS NOT NULL" in str(where)
    with db.engine.begin() as connection:
        connection.execute(text("DROP TABLE alembic_version"))
