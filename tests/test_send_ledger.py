"""The send ledger settles what a dead worker left in flight, and only that."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import event, func, select, text

from service import send_ledger as ledger
from service.extensions import db
from service.models import Delivery, SendBatch
from service.subscribers.audience import audience_batch
from tests.factories import add_subscriber
from tests.worker.processes import due_campaign


def test_a_batch_recorded_sent_while_it_was_being_settled_stays_sent(app, seed_article_text):
    if db.engine.dialect.name == "postgresql":
        pytest.skip("PostgreSQL locks the batches it settles (FOR UPDATE): nobody can record one meanwhile")
    for address in ("ann@example.org", "ben@example.org"):
        add_subscriber(app, address)
    message = due_campaign(app, seed_article_text).messages[0]
    rows = audience_batch(db.session, ["newsletter"], after_id=0, limit=10)
    batch = ledger.start_batch(db.session, message, rows, datetime.now(UTC))
    ledger.record_request_leaving(db.session, batch)
    db.session.commit()
    batch_id = batch.id

    def late_answer_recorded(_conn, _cursor, statement, *_args):
        # A worker that lost the message records SendGrid's late "accepted" after the batch was read in flight and
        # before it is settled (SQLite: nothing locks the row meanwhile).
        if statement.startswith("UPDATE send_batches") and not recorded:
            recorded.append(batch_id)
            with db.engine.begin() as other:
                other.execute(text("UPDATE send_batches SET status = 'sent' WHERE id = :id"), {"id": batch_id})
                other.execute(text("UPDATE deliveries SET status = 'sent' WHERE batch_id = :id"), {"id": batch_id})

    recorded: list[int] = []
    event.listen(db.engine, "before_cursor_execute", late_answer_recorded)
    try:
        requeued, uncertain = ledger.settle_abandoned_batches(db.session, message)
        db.session.commit()
    finally:
        event.remove(db.engine, "before_cursor_execute", late_answer_recorded)

    assert recorded == [batch_id]

    assert (requeued, uncertain) == ([], [])
    assert db.session.scalar(select(SendBatch.status).where(SendBatch.id == batch_id)) == "sent"
    assert set(db.session.scalars(select(Delivery.status).where(Delivery.batch_id == batch_id))) == {"sent"}


def test_a_batch_written_ahead_is_sent_again_by_itself_and_one_whose_request_left_waits_for_a_person(
    app, seed_article_text
):
    for address in ("ann@example.org", "ben@example.org", "cy@example.org", "dee@example.org"):
        add_subscriber(app, address)
    message = due_campaign(app, seed_article_text).messages[0]
    now = datetime.now(UTC)
    left = ledger.start_batch(db.session, message, audience_batch(db.session, ["newsletter"], after_id=0, limit=2), now)
    ledger.record_request_leaving(db.session, left)
    db.session.commit()
    # Written while the first batch's request was out; the worker died before this one's request left.
    rows = audience_batch(db.session, ["newsletter"], after_id=message.audience_cursor, limit=2)
    ahead = ledger.start_batch(db.session, message, rows, now)
    db.session.commit()

    requeued, uncertain = ledger.settle_abandoned_batches(db.session, message)
    db.session.commit()

    assert ([b.id for b in requeued], [b.id for b in uncertain]) == ([ahead.id], [left.id])
    assert (ahead.status, ahead.error, ahead.awaiting_request) == ("resend", ledger.AHEAD_NOTE, False)
    assert left.error == ledger.ABANDONED_NOTE
    statuses = dict(db.session.execute(select(Delivery.batch_id, Delivery.status).distinct()).all())
    assert statuses == {ahead.id: "resend", left.id: "uncertain"}


def test_a_batchs_deliveries_check_their_keys_by_index_even_when_the_batches_looked_empty(app, seed_article_text):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite checks foreign keys by the parent's key, with no plan to keep")
    for address in ("ann@example.org", "ben@example.org", "cy@example.org"):
        add_subscriber(app, address)
    message = due_campaign(app, seed_article_text).messages[0]
    # Statistics of nearly empty tables, as on a new database: a plan made now would scan them for every row.
    db.session.execute(text("ANALYZE send_batches, messages"))
    db.session.commit()
    rows = audience_batch(db.session, ["newsletter"], after_id=0, limit=10)
    batch = ledger.open_batch(db.session, message, rows, datetime.now(UTC))
    scans_before = sequential_scans_in_this_transaction()

    ledger.write_in_flight(db.session, message, batch, rows, datetime.now(UTC))

    assert sequential_scans_in_this_transaction() == scans_before
    assert db.session.scalar(select(func.count()).where(Delivery.batch_id == batch.id)) == 3
    db.session.commit()


def sequential_scans_in_this_transaction() -> dict[str, int]:
    """Read on the session's connection, not through the session: that would first write the message's pending
    changes (an UPDATE, which scans the small table itself)."""
    counts = text(
        "SELECT relname, seq_scan FROM pg_stat_xact_user_tables WHERE relname IN ('send_batches', 'messages')"
    )
    return dict(db.session.connection().execute(counts).all())
