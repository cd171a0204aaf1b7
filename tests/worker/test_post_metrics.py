"""The worker's hourly read of the posts' public metrics, with the real tweepy client against the fake X (SQLite and
PostgreSQL): the latest totals per post, 100 ids a request, a week back; a refusal or a deleted post stops nothing."""

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from service.extensions import db
from service.models import Delivery, Message, PostMetrics
from service.worker.context import WorkerContext
from service.worker.dispatch import run_due_messages
from service.worker.post_metrics import fetch_post_metrics
from service.worker.scheduler import build_scheduler
from tests.worker.x_posts import due_x_campaign, x_message, x_settings


@pytest.fixture
def app_config(app_config, fake_x):
    return {**app_config, **x_settings(fake_x)}


@pytest.fixture
def thread(app, fake_x, seed_article_text) -> list[str]:
    """A five-part thread posted by the worker, ten minutes ago: X's post ids, in order."""
    campaign = due_x_campaign(app, seed_article_text)
    run_due_messages(db.session, WorkerContext.from_config(app.config))
    assert x_message(campaign).status == "sent"
    return [post["id"] for post in fake_x.posts]


def stored() -> dict[str, PostMetrics]:
    """The stored totals by X's post id."""
    db.session.expire_all()
    rows = db.session.execute(select(Delivery.provider_id, PostMetrics).join(PostMetrics)).tuples().all()
    return dict(rows)


def totals(row: PostMetrics) -> tuple:
    return (row.impressions, row.likes, row.reposts, row.replies, row.quotes)


def channel(app):
    return WorkerContext.from_config(app.config).social_channel


def worker_at(app, clock: list[datetime], worker_id: str) -> WorkerContext:
    """A worker whose clock reads `clock[0]` (the test moves it on)."""
    return WorkerContext.from_config(app.config, worker_id=worker_id, clock=lambda: clock[0])


def test_the_job_runs_hourly_and_keeps_each_posts_latest_totals(app, fake_x, thread):
    clock = [datetime.now(UTC)]
    job = build_scheduler(app, worker_at(app, clock, "worker-a")).get_job("fetch-post-metrics")
    assert job.trigger.interval == timedelta(hours=1)
    fake_x.set_metrics(thread[0], impression_count=120, like_count=7, retweet_count=2, reply_count=1, quote_count=1)

    job.func()
    first = {post_id: totals(row) for post_id, row in stored().items()}
    fake_x.set_metrics(thread[0], impression_count=300, like_count=9)
    fake_x.set_metrics(thread[4], impression_count=None, reply_count=3)
    clock[0] += timedelta(hours=1)
    job.func()

    assert first[thread[0]] == (120, 7, 2, 1, 1)
    assert first[thread[1]] == (0, 0, 0, 0, 0)
    latest = stored()
    assert set(latest) == set(thread)
    assert totals(latest[thread[0]]) == (300, 9, 2, 1, 1)
    assert totals(latest[thread[4]]) == (None, 0, 0, 3, 0)  # X gave no impressions
    assert fake_x.lookups == [thread, thread]  # one request for the whole thread, each run
    assert fake_x.violations == []


def test_one_worker_reads_for_all_once_an_hour_and_a_restart_does_not_read_again(app, fake_x, thread):
    clock = [datetime.now(UTC)]
    jobs = [
        build_scheduler(app, worker_at(app, clock, worker_id)).get_job("fetch-post-metrics")
        for worker_id in ("worker-a", "worker-b")
    ]

    for job in jobs:  # both start at once, as the jobs do at a worker's start
        job.func()
    assert fake_x.lookups == [thread], "one read for both workers"
    clock[0] += timedelta(minutes=20)
    restarted = build_scheduler(app, worker_at(app, clock, "worker-a-again")).get_job("fetch-post-metrics")
    restarted.func()
    assert fake_x.lookups == [thread], "a restart within the hour reads nothing"

    # Worker B's hourly run comes first after the hour; worker A's, a few minutes later, finds the turn taken.
    clock[0] += timedelta(minutes=59)
    jobs[1].func()
    clock[0] += timedelta(minutes=5)
    jobs[0].func()
    assert fake_x.lookups == [thread, thread]
    assert len(stored()) == len(thread)


def test_a_failing_x_leaves_the_totals_and_the_next_run_reads_them_again(app, fake_x, thread):
    now = datetime.now(UTC)
    fake_x.set_metrics(thread[0], like_count=4)
    fetch_post_metrics(db.session, channel(app), now)
    fake_x.set_metrics(thread[0], like_count=6)

    fake_x.respond_next(503, times=4)  # the first try and the channel's three retries
    assert fetch_post_metrics(db.session, channel(app), now + timedelta(hours=1)) == 0
    assert stored()[thread[0]].likes == 4
    fake_x.rate_limit_next(reset_in_seconds=900)
    assert fetch_post_metrics(db.session, channel(app), now + timedelta(hours=2)) == 0
    assert stored()[thread[0]].likes == 4

    assert fetch_post_metrics(db.session, channel(app), now + timedelta(hours=3)) == len(thread)
    assert stored()[thread[0]].likes == 6
    assert stored()[thread[0]].fetched_at == now + timedelta(hours=3)


def test_a_post_x_no_longer_has_keeps_its_last_totals_marked_gone(app, fake_x, thread):
    now = datetime.now(UTC)
    fake_x.set_metrics(thread[2], like_count=5, impression_count=50)
    fetch_post_metrics(db.session, channel(app), now)
    fake_x.delete_post(thread[2])
    fake_x.set_metrics(thread[3], like_count=1)

    counted = fetch_post_metrics(db.session, channel(app), now + timedelta(hours=1))

    latest = stored()
    assert counted == len(thread) - 1
    assert (latest[thread[2]].likes, latest[thread[2]].impressions) == (5, 50)
    assert latest[thread[2]].gone_at == now + timedelta(hours=1)
    assert latest[thread[3]].likes == 1 and latest[thread[3]].gone_at is None
    assert all(latest[post_id].gone_at is None for post_id in thread if post_id != thread[2])


def test_an_id_x_never_had_is_recorded_as_gone_and_the_rest_still_counted(app, fake_x, thread):
    message_id = db.session.scalar(select(Delivery.message_id).where(Delivery.provider_id == thread[0]))
    db.session.add(Delivery(message_id=message_id, part_index=9, channel="x", status="sent", provider_id="42"))
    db.session.commit()
    fake_x.set_metrics(thread[1], like_count=2)

    fetch_post_metrics(db.session, channel(app), datetime.now(UTC))

    latest = stored()
    assert latest["42"].gone_at is not None and totals(latest["42"]) == (None, 0, 0, 0, 0)
    assert latest[thread[1]].likes == 2


def test_posts_are_asked_for_100_ids_a_request_and_only_for_a_week(app, fake_x, thread):
    message = db.session.scalar(select(Message).where(Message.channel == "x"))
    more = [fake_x.add_existing_post(f"Earlier post {number}.") for number in range(150)]
    db.session.add_all(
        Delivery(message_id=message.id, part_index=10 + number, channel="x", status="sent", provider_id=post_id)
        for number, post_id in enumerate(more)
    )
    db.session.commit()
    now = datetime.now(UTC)

    fetch_post_metrics(db.session, channel(app), now)
    fetch_post_metrics(db.session, channel(app), message.send_at + timedelta(days=7, minutes=1))

    assert [len(ids) for ids in fake_x.lookups] == [100, 55]  # and nothing asked a week after the send
    assert sorted(sum(fake_x.lookups, [])) == sorted(thread + more)


def test_with_the_outbox_channel_nothing_is_read_and_no_post_is_marked_gone(app, fake_x, thread):
    outbox = WorkerContext.from_config({**app.config, "SOCIAL_CHANNEL": "outbox"}).social_channel

    assert fetch_post_metrics(db.session, outbox, datetime.now(UTC)) == 0

    assert stored() == {}
    assert fake_x.lookups == []


def test_a_stopping_worker_asks_x_for_no_more_batches(app, fake_x, thread):
    stopping = threading.Event()
    stopping.set()

    assert fetch_post_metrics(db.session, channel(app), datetime.now(UTC), stopping) == 0

    assert fake_x.lookups == []
