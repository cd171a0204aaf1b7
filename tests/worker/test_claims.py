"""Claims in the database: one worker per message, leases that run out, hand-backs, and the per-database parts
(SKIP LOCKED on PostgreSQL, the dispatch lease on SQLite)."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from service.extensions import db
from service.models import AuditEntry, Message, WorkerLease
from service.worker.claims import (
    LEASE,
    claim_next_message,
    hand_back,
    hold_dispatch_lease,
    mark_missed_messages,
    release_dispatch_lease,
)
from tests.factories import add_subscriber, approve_and_schedule, draft_campaign, import_seed

GRACE = timedelta(hours=6)


@pytest.fixture
def due_message(app, marketer, reviewer, seed_article_text) -> Message:
    """One email message of a scheduled campaign, due one second ago."""
    article = import_seed(seed_article_text)
    add_subscriber(app, "ana@example.org")
    now = datetime.now(UTC)
    send_at = (now + timedelta(minutes=2)).replace(second=0, microsecond=0)
    campaign = draft_campaign(app, marketer, [article.snippets[0].id], send_at, send_post=False)
    approve_and_schedule(app, campaign, marketer, reviewer, now)
    message = campaign.messages[0]
    message.send_at = now - timedelta(seconds=1)
    db.session.commit()
    return message


def claim(worker_id: str, now: datetime, **kwargs) -> int | None:
    return claim_next_message(db.session, worker_id, now, now - GRACE, **kwargs)


def test_of_two_workers_exactly_one_gets_the_message(due_message):
    now = datetime.now(UTC)

    assert claim("worker-a", now) == due_message.id
    assert claim("worker-b", now) is None

    db.session.refresh(due_message)
    assert (due_message.status, due_message.claimed_by) == ("sending", "worker-a")
    assert due_message.lease_until == now + LEASE


def test_a_message_not_yet_due_is_not_claimed(due_message):
    assert claim("worker-a", due_message.send_at - timedelta(seconds=5)) is None


def test_a_lease_that_ran_out_lets_another_worker_take_over(due_message):
    now = datetime.now(UTC)
    assert claim("worker-a", now) == due_message.id

    assert claim("worker-b", now + LEASE - timedelta(seconds=1)) is None
    assert claim("worker-b", now + LEASE + timedelta(seconds=1)) == due_message.id


def test_a_handed_back_message_is_taken_over_at_once(due_message):
    now = datetime.now(UTC)
    claim("worker-a", now)
    message = db.session.get(Message, due_message.id, populate_existing=True)

    assert hand_back(db.session, message) == "stopped"

    db.session.refresh(message)
    assert (message.status, message.claimed_by, message.lease_until) == ("sending", None, None)
    assert claim("worker-b", now) == due_message.id


def test_excluded_messages_are_not_claimed_again_in_the_same_tick(due_message):
    now = datetime.now(UTC)
    claim("worker-a", now)
    hand_back(db.session, db.session.get(Message, due_message.id))

    assert claim("worker-a", now, exclude=[due_message.id]) is None


def test_a_message_of_a_resumed_campaign_is_claimable_again(due_message):
    db.session.execute(update(Message).where(Message.id == due_message.id).values(status="paused"))
    db.session.commit()

    assert claim("worker-a", datetime.now(UTC)) == due_message.id


def test_a_paused_campaigns_message_is_not_claimed(due_message):
    due_message.campaign.status = "paused"
    db.session.commit()

    assert claim("worker-a", datetime.now(UTC)) is None


def test_a_planned_message_older_than_the_grace_is_never_claimed_but_marked_missed(due_message):
    now = due_message.send_at + GRACE + timedelta(minutes=1)

    assert claim("worker-a", now) is None
    assert mark_missed_messages(db.session, now - GRACE) == [due_message.id]
    assert mark_missed_messages(db.session, now - GRACE) == [], "marked once"

    db.session.refresh(due_message)
    assert due_message.status == "missed"
    assert "send it now or skip it" in due_message.error
    actions = db.session.scalars(select(AuditEntry.action).where(AuditEntry.campaign_id == due_message.campaign_id))
    assert "message:missed" in list(actions)


def test_a_message_within_the_grace_is_not_missed(due_message):
    now = due_message.send_at + GRACE - timedelta(minutes=1)

    assert mark_missed_messages(db.session, now - GRACE) == []
    assert claim("worker-a", now) == due_message.id


def test_postgresql_skips_a_message_another_transaction_is_claiming(app, due_message):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("row locks are PostgreSQL's")
    with Session(db.engine) as other:
        locked = other.scalar(select(Message.id).where(Message.id == due_message.id).with_for_update())
        assert locked == due_message.id
        started = datetime.now(UTC)
        # Without SKIP LOCKED this would wait for `other` to end; with it, the locked row is simply passed over.
        assert claim("worker-b", datetime.now(UTC)) is None
        assert datetime.now(UTC) - started < timedelta(seconds=2)
        other.rollback()
    assert claim("worker-b", datetime.now(UTC)) == due_message.id


def test_on_sqlite_one_worker_holds_the_dispatch_lease_and_another_waits(app):
    now = datetime.now(UTC)
    if db.engine.dialect.name == "postgresql":
        assert hold_dispatch_lease(db.session, "worker-a", now)
        assert hold_dispatch_lease(db.session, "worker-b", now), "on PostgreSQL every worker dispatches"
        assert db.session.get(WorkerLease, "dispatch") is None
        return

    assert hold_dispatch_lease(db.session, "worker-a", now)
    assert not hold_dispatch_lease(db.session, "worker-b", now)
    assert hold_dispatch_lease(db.session, "worker-a", now + timedelta(seconds=30)), "the holder renews it"
    assert not hold_dispatch_lease(db.session, "worker-b", now + LEASE)

    release_dispatch_lease(db.session, "worker-b")
    assert not hold_dispatch_lease(db.session, "worker-b", now + LEASE), "only the holder can hand it back"
    release_dispatch_lease(db.session, "worker-a")
    assert hold_dispatch_lease(db.session, "worker-b", now + LEASE)

    later = now + LEASE + LEASE + timedelta(seconds=1)
    assert hold_dispatch_lease(db.session, "worker-a", later), "a lease that ran out means its worker died"
