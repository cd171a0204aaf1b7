"""A real worker process posting a 5-part thread on X (the real tweepy client against the fake X) is killed with
SIGKILL after part 3, at the worst moment: X has made part 3 but the worker never recorded its answer. The restarted
worker finds part 3 among the account's posts, records it, and posts parts 4 and 5: exactly 5 posts, one thread."""

import threading
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from service.extensions import db
from service.models import Delivery, Message, WorkerLease
from service.outgoing.posts import thread_parts_for
from service.rendering.clinic import ClinicInfo
from tests.app_config import base_config
from tests.fakes.http_fake import Reply, Request
from tests.fakes.x_server import FakeX
from tests.worker.processes import WorkerPool, app_sharing_its_database, wait_until, worker_env
from tests.worker.x_posts import due_x_campaign, x_message, x_settings


class HoldingX(FakeX):
    """The fake X, which makes post number `hold_at` and then keeps its answer back until `release` is set."""

    def __init__(self, hold_at: int) -> None:
        super().__init__()
        self.hold_at = hold_at
        self.holding = threading.Event()
        self.release = threading.Event()

    def answer(self, request: Request) -> Reply:
        reply = super().answer(request)
        made = request.method == "POST" and request.path == "/2/tweets" and reply.status == 201
        if made and len(self.posts) == self.hold_at and not self.holding.is_set():
            self.holding.set()
            self.release.wait(30)
        return reply


@pytest.fixture
def holding_x():
    fake = HoldingX(hold_at=3)
    with fake:
        try:
            yield fake
        finally:
            fake.release.set()  # let the held handler finish, so stopping the server does not wait on it
    assert not fake.internal_errors, fake.internal_errors


@pytest.fixture
def sqlite_app(tmp_path: Path):
    with app_sharing_its_database(base_config(tmp_path, f"sqlite:///{tmp_path / 'tidings.db'}")) as app:
        yield app


def read(query):
    """One fresh read, its transaction ended at once so the worker's writes never wait on the test."""
    try:
        return db.session.scalars(query).all()
    finally:
        db.session.rollback()


def let_the_dead_workers_leases_run_out(message_id: int) -> None:
    """What 90 seconds of waiting would do: the killed worker's claim on the message and its dispatch lease expire."""
    past = datetime.now(UTC) - timedelta(seconds=1)
    db.session.execute(update(Message).where(Message.id == message_id).values(lease_until=past))
    db.session.execute(update(WorkerLease).values(until=past))
    db.session.commit()


@pytest.mark.slow
def test_a_five_part_thread_killed_after_part_3_and_restarted_is_posted_exactly_once(
    sqlite_app, seed_article_text, holding_x, tmp_path
):
    campaign = due_x_campaign(sqlite_app, seed_article_text)
    message_id = x_message(campaign).id
    parts = thread_parts_for(campaign, x_message(campaign).section, ClinicInfo.from_config(sqlite_app.config))
    assert len(parts) == 5
    env = worker_env(sqlite_app.config, **x_settings(holding_x))
    part_statuses = lambda: read(  # noqa: E731
        select(Delivery.status).where(Delivery.message_id == message_id).order_by(Delivery.part_index)
    )
    message_status = lambda: read(select(Message.status).where(Message.id == message_id))[0]  # noqa: E731

    with WorkerPool(tmp_path) as pool:
        first = pool.start(env)
        wait_until(holding_x.holding.is_set, timeout=30, what="X to make part 3", workers=pool)
        first.kill()
        assert first.wait(10) == -9
        holding_x.release.set()
        assert [p["text"] for p in holding_x.posts] == parts[:3]
        assert part_statuses() == ["sent", "sent", "in_flight"], "part 3 was made by X but never recorded"

        let_the_dead_workers_leases_run_out(message_id)
        second = pool.start(env)
        wait_until(lambda: message_status() == "sent", timeout=30, what="the restarted worker to finish", workers=pool)
        assert second.stop() == 0, second.output()

    texts = [post["text"] for post in holding_x.posts]
    assert len(texts) == 5 and Counter(texts) == Counter(parts), "exactly 5 posts, none twice"
    assert holding_x.chain_from(holding_x.posts[0]["id"]) == parts, "one thread, chained in order"
    assert part_statuses() == ["sent"] * 5
    recorded = read(select(Delivery.provider_id).where(Delivery.message_id == message_id).order_by(Delivery.part_index))
    assert recorded == [post["id"] for post in holding_x.posts]
    looked_up = [call for call in holding_x.calls if call.method == "GET" and call.path.endswith("/tweets")]
    assert looked_up, "the restarted worker looked for part 3 among the account's posts"
    assert holding_x.violations == []
