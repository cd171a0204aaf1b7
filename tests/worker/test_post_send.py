"""Posting on X from the worker, with the real tweepy client against the fake X (SQLite and PostgreSQL): threads
chained and recorded part by part, and what each of X's refusals does to the message."""

import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from service.campaigns import lifecycle
from service.campaigns.post_recovery import resend_post
from service.channels.social.base import PublishedPost, SocialChannel
from service.extensions import db
from service.models import AuditEntry, Campaign, Delivery, Message, User
from service.outgoing.posts import thread_parts_for
from service.worker.claims import LEASE
from service.worker.context import WorkerContext
from service.worker.dispatch import run_due_messages
from service.worker.post_send import RECONCILE_AFTER
from tests.fakes.x_server import DUPLICATE_DETAIL
from tests.worker.x_posts import (
    ONE_POST_BODY,
    DyingChannel,
    WorkerDied,
    due_x_campaign,
    x_message,
    x_settings,
)


@pytest.fixture
def app_config(app_config, fake_x):
    return {**app_config, **x_settings(fake_x)}


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def ctx(app, clock) -> WorkerContext:
    return WorkerContext.from_config(app.config, clock=clock)


def parts_of(message: Message, ctx: WorkerContext) -> list[str]:
    return thread_parts_for(message.campaign, message.section, ctx.clinic)


def deliveries(message: Message) -> list[Delivery]:
    db.session.expire_all()
    return list(
        db.session.scalars(select(Delivery).where(Delivery.message_id == message.id).order_by(Delivery.part_index))
    )


def audit_actions(campaign) -> list[str]:
    return list(db.session.scalars(select(AuditEntry.action).where(AuditEntry.campaign_id == campaign.id)))


def fresh(message: Message) -> Message:
    return db.session.get(Message, message.id, populate_existing=True)


def test_a_thread_is_posted_once_chained_and_recorded_part_by_part(app, ctx, fake_x, seed_article_text):
    campaign = due_x_campaign(app, seed_article_text)
    message = x_message(campaign)
    parts = parts_of(message, ctx)
    assert len(parts) == 5

    assert run_due_messages(db.session, ctx) == 1

    root = fake_x.posts[0]["id"]
    assert fake_x.chain_from(root) == parts
    assert [p["text"] for p in fake_x.posts] == parts
    assert [(d.part_index, d.status, d.provider_id) for d in deliveries(message)] == [
        (index, "sent", post["id"]) for index, post in enumerate(fake_x.posts)
    ]
    message = fresh(message)
    assert (message.status, message.sent_count, message.total_count, message.error) == ("sent", 5, 5, None)
    assert "utm_source=x&utm_medium=social&utm_campaign=aftercare-thread" in parts[-1]
    assert fake_x.violations == []

    assert run_due_messages(db.session, ctx) == 0
    assert len(fake_x.posts) == 5, "a sent thread is never posted again"


def test_a_500_then_success_is_retried_once(app, ctx, fake_x, seed_article_text):
    message = x_message(due_x_campaign(app, seed_article_text, ONE_POST_BODY))
    fake_x.respond_next(500)

    run_due_messages(db.session, ctx)

    assert [call.status for call in fake_x.calls] == [500, 201]
    assert [p["text"] for p in fake_x.posts] == parts_of(message, ctx)
    assert fresh(message).status == "sent"


def test_a_429_reschedules_the_message_for_the_reset_time_and_the_worker_serves_other_work(
    app, ctx, clock, fake_x, seed_article_text
):
    campaign = due_x_campaign(app, seed_article_text, send_email=True)
    message = x_message(campaign)
    email = next(m for m in campaign.messages if m.channel == "email")
    fake_x.rate_limit_next(reset_in_seconds=600)
    reset_at = datetime.fromtimestamp(int(time.time() + 600), UTC)

    assert run_due_messages(db.session, ctx) == 2

    message = fresh(message)
    assert message.status == "planned" and message.claimed_by is None
    assert abs((message.send_at - reset_at).total_seconds()) <= 1
    assert "429" in message.error and "trying again at" in message.error
    assert [d.status for d in deliveries(message)] == ["pending"]
    assert fresh(email).status == "sent", "the rate limit held up only the post"
    assert "message:rescheduled" in audit_actions(campaign)
    assert fake_x.posts == []

    clock.now = message.send_at - timedelta(seconds=1)
    assert run_due_messages(db.session, ctx) == 0, "not before the reset"
    clock.now = message.send_at + timedelta(seconds=1)
    assert run_due_messages(db.session, ctx) == 1
    message = fresh(message)
    assert (message.status, message.error) == ("sent", None)
    assert fake_x.chain_from(fake_x.posts[0]["id"]) == parts_of(message, ctx)


def test_duplicate_content_fails_the_message_with_xs_own_words(app, ctx, fake_x, seed_article_text):
    message = x_message(due_x_campaign(app, seed_article_text, ONE_POST_BODY))
    fake_x.add_existing_post(parts_of(message, ctx)[0])

    run_due_messages(db.session, ctx)

    message = fresh(message)
    assert message.status == "failed"
    assert DUPLICATE_DETAIL in message.error and "403" in message.error
    assert [(d.status, DUPLICATE_DETAIL in d.error) for d in deliveries(message)] == [("failed", True)]
    assert fake_x.posts == []


def test_refused_credentials_fail_the_message_as_a_credentials_problem(app, clock, fake_x, seed_article_text):
    ctx = WorkerContext.from_config({**app.config, "X_CONSUMER_SECRET": "not-the-secret"}, clock=clock)
    message = x_message(due_x_campaign(app, seed_article_text, ONE_POST_BODY))

    run_due_messages(db.session, ctx)

    message = fresh(message)
    assert message.status == "failed"
    assert "X rejected the account's credentials (401): check the X_* settings" in message.error
    assert fake_x.posts == []


def test_a_part_left_in_flight_that_x_made_is_recorded_not_reposted(app, ctx, fake_x, seed_article_text):
    message = x_message(due_x_campaign(app, seed_article_text))
    parts = parts_of(message, ctx)
    # A dead worker's ledger: part 1 was sent to X and X made it, but its id never got recorded.
    seeded = fake_x.add_existing_post(parts[0])
    db.session.add(Delivery(message_id=message.id, part_index=0, channel="x", status="in_flight"))
    db.session.commit()

    run_due_messages(db.session, ctx)

    recorded = deliveries(message)
    assert (recorded[0].status, recorded[0].provider_id) == ("sent", seeded)
    assert [p["text"] for p in fake_x.posts] == parts[1:], "part 1 was not posted again"
    assert fake_x.chain_from(seeded) == parts
    assert fresh(message).status == "sent"
    assert "post:found" in audit_actions(message.campaign)


def test_a_part_left_in_flight_that_x_never_made_flags_the_message_and_posts_nothing(
    app, ctx, fake_x, seed_article_text
):
    message = x_message(due_x_campaign(app, seed_article_text))
    db.session.add(Delivery(message_id=message.id, part_index=0, channel="x", status="in_flight"))
    db.session.commit()

    run_due_messages(db.session, ctx)

    message = fresh(message)
    assert message.status == "uncertain"
    assert "part 1 of 5 may or may not be posted" in message.error
    assert [d.status for d in deliveries(message)] == ["uncertain"]
    assert fake_x.posts == []
    assert [call.path for call in fake_x.calls if call.method == "POST"] == [], "nothing was posted blindly"
    assert "message:uncertain" in audit_actions(message.campaign)
    assert run_due_messages(db.session, ctx) == 0, "an uncertain message waits for a person"


def test_no_answer_from_x_is_looked_up_later_and_recorded_when_found(app, clock, fake_x, seed_article_text):
    # 1 s, not less: the lookup later must not time out unasked on a loaded machine.
    ctx = WorkerContext.from_config({**app.config, "X_TIMEOUT_SECONDS": 1.0}, clock=clock)
    message = x_message(due_x_campaign(app, seed_article_text, ONE_POST_BODY))
    fake_x.hang_next(1.6)

    run_due_messages(db.session, ctx)

    message = fresh(message)
    assert message.status == "planned"
    assert message.send_at == clock.now + RECONCILE_AFTER
    assert [d.status for d in deliveries(message)] == ["in_flight"], "outcome unknown: left in flight"
    deadline = time.monotonic() + 5
    while not fake_x.posts and time.monotonic() < deadline:
        time.sleep(0.02)  # the slow X makes the post after the client gave up

    clock.now = message.send_at + timedelta(seconds=1)
    run_due_messages(db.session, ctx)

    assert len(fake_x.posts) == 1, "found, not posted again"
    assert [(d.status, d.provider_id) for d in deliveries(message)] == [("sent", fake_x.posts[0]["id"])]
    assert fresh(message).status == "sent"


class PausingChannel(SocialChannel):
    """The real channel; once `after` posts are made, someone pauses the campaign (in their own transaction)."""

    def __init__(self, real: SocialChannel, campaign_id: int, after: int) -> None:
        self.real, self.campaign_id, self.after, self.posted = real, campaign_id, after, 0

    def post(self, text: str, *, in_reply_to: str | None = None, images=()) -> str:
        post_id = self.real.post(text, in_reply_to=in_reply_to, images=images)
        self.posted += 1
        if self.posted == self.after:
            with db.engine.begin() as connection:
                connection.execute(update(Campaign).where(Campaign.id == self.campaign_id).values(status="paused"))
        return post_id

    def recent_posts(self, limit: int = 100) -> list[PublishedPost]:
        return self.real.recent_posts(limit)


def test_a_paused_campaign_stops_a_thread_between_parts_and_resume_continues_it(
    app, ctx, clock, fake_x, seed_article_text
):
    campaign = due_x_campaign(app, seed_article_text)
    message = x_message(campaign)
    pausing = WorkerContext.from_config(
        app.config, clock=clock, social_channel=PausingChannel(ctx.social_channel, campaign.id, after=2)
    )

    run_due_messages(db.session, pausing)

    assert len(fake_x.posts) == 2
    assert fresh(message).status == "paused"
    db.session.refresh(campaign)
    lifecycle.resume(db.session, campaign, author_of(campaign))
    db.session.commit()
    run_due_messages(db.session, ctx)

    assert fake_x.chain_from(fake_x.posts[0]["id"]) == parts_of(message, ctx)
    assert fresh(message).status == "sent"


def author_of(campaign: Campaign) -> User:
    return db.session.get(User, campaign.created_by_id)


def test_a_worker_that_died_after_x_made_part_4_resumes_without_reposting_it(
    app, ctx, clock, fake_x, seed_article_text
):
    message = x_message(due_x_campaign(app, seed_article_text))
    parts = parts_of(message, ctx)
    dying = WorkerContext.from_config(
        app.config, clock=clock, social_channel=DyingChannel(ctx.social_channel, die_at=4, reached_x=True)
    )
    with pytest.raises(WorkerDied):
        run_due_messages(db.session, dying)
    db.session.rollback()
    assert [p["text"] for p in fake_x.posts] == parts[:4]
    assert [d.status for d in deliveries(message)] == ["sent", "sent", "sent", "in_flight"]

    clock.now += LEASE + timedelta(seconds=1)  # the dead worker's lease runs out
    assert run_due_messages(db.session, ctx) == 1

    assert [p["text"] for p in fake_x.posts] == parts, "exactly 5 posts"
    assert fake_x.chain_from(fake_x.posts[0]["id"]) == parts
    assert [d.status for d in deliveries(message)] == ["sent"] * 5
    assert fresh(message).status == "sent"


def test_a_worker_that_died_before_part_4_reached_x_leaves_it_to_a_person_who_resends_it(
    app, ctx, clock, fake_x, seed_article_text
):
    campaign = due_x_campaign(app, seed_article_text)
    message = x_message(campaign)
    parts = parts_of(message, ctx)
    dying = WorkerContext.from_config(
        app.config, clock=clock, social_channel=DyingChannel(ctx.social_channel, die_at=4, reached_x=False)
    )
    with pytest.raises(WorkerDied):
        run_due_messages(db.session, dying)
    db.session.rollback()

    clock.now += LEASE + timedelta(seconds=1)
    run_due_messages(db.session, ctx)
    message = fresh(message)
    assert message.status == "uncertain" and "part 4 of 5" in message.error
    assert len(fake_x.posts) == 3, "nothing reposted blindly"
    assert db.session.get(Campaign, campaign.id).status == "scheduled", "not sent while half its thread waits"

    resend_post(db.session, message, author_of(campaign), clock.now)
    db.session.commit()
    run_due_messages(db.session, ctx)

    assert [p["text"] for p in fake_x.posts] == parts
    assert fake_x.chain_from(fake_x.posts[0]["id"]) == parts
    assert fresh(message).status == "sent"
    assert db.session.get(Campaign, campaign.id).status == "sent"
    assert "post:resend" in audit_actions(campaign)
