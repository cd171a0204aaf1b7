"""A worker whose request to X outlasts its lease: another worker takes the message over (looking for the part among
the account's posts first), and the first worker's late outcome, X's answer or its refusal, leaves the message as
the new owner left it. Each part is posted once, and none is lost."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from service.campaigns.post_recovery import resend_post
from service.channels.social.x import XSocialChannel
from service.extensions import db
from service.models import Delivery, Message, User
from service.worker.dispatch import run_due_messages
from tests.worker import slow_worker
from tests.worker.slow_worker import leases_run_out, worker_b
from tests.worker.x_posts import due_x_campaign, x_message, x_settings


@pytest.fixture
def app_config(app_config, fake_x):
    return {**app_config, **x_settings(fake_x)}


class FirstOutcomeReachesTheWorkerLate(XSocialChannel):
    """The real channel; what its first post request came to reaches the worker only once the test sets `late`: a
    request slow past the worker's lease, told in steps."""

    def post(self, text, *, in_reply_to=None, images=()):
        first = not self.came_back.is_set()
        try:
            return super().post(text, in_reply_to=in_reply_to, images=images)
        finally:
            if first:
                self.came_back.set()
                self.late.wait(30)


class SlowWorker(slow_worker.SlowWorker):
    """Worker A on X."""

    channel_name = "social_channel"

    def __init__(self, app):
        super().__init__(app)
        self.channel.__class__ = FirstOutcomeReachesTheWorkerLate


def message_state(message_id: int) -> tuple:
    db.session.expire_all()
    message = db.session.get(Message, message_id)
    return message.status, message.claimed_by, message.lease_until, message.error, message.sent_count, message.send_at


def part_statuses(message_id: int) -> list[str]:
    db.session.expire_all()
    query = select(Delivery.status).where(Delivery.message_id == message_id).order_by(Delivery.part_index)
    return list(db.session.scalars(query))


def assert_one_chain_each_part_once(fake_x, count: int) -> None:
    posts = fake_x.posts
    assert len(posts) == count and len({post["text"] for post in posts}) == count, "each part posted once"
    assert posts[0]["in_reply_to"] is None
    assert all(post["in_reply_to"] == previous["id"] for previous, post in zip(posts, posts[1:], strict=False))


def test_a_late_answer_from_x_leaves_the_thread_the_new_owner_finished(app, fake_x, seed_article_text):
    campaign = due_x_campaign(app, seed_article_text)
    message_id = x_message(campaign).id
    slow = SlowWorker(app)
    slow.start_and_wait_for_its_request()  # X made part 1; worker A has not heard yet
    leases_run_out(message_id)

    run_due_messages(db.session, worker_b(app))
    finished_by_b = message_state(message_id)
    assert finished_by_b[:2] == ("sent", None) and finished_by_b[4] == 5
    slow.finish()

    assert message_state(message_id) == finished_by_b, "worker A's late answer changed the message B finished"
    assert part_statuses(message_id) == ["sent"] * 5
    assert_one_chain_each_part_once(fake_x, 5)


def test_a_late_refusal_from_x_leaves_the_message_the_new_owner_flagged_and_a_resend_posts_it_once(
    app, fake_x, seed_article_text
):
    campaign = due_x_campaign(app, seed_article_text)
    message_id = x_message(campaign).id
    fake_x.respond_next(403)  # worker A's part 1: refused, but the answer comes after its lease
    slow = SlowWorker(app)
    slow.start_and_wait_for_its_request()
    leases_run_out(message_id)

    run_due_messages(db.session, worker_b(app))
    flagged_by_b = message_state(message_id)
    # Worker B found part 1 in flight and not among the posts: it cannot know, so a person decides.
    assert flagged_by_b[:2] == ("uncertain", None)
    slow.finish()

    assert message_state(message_id) == flagged_by_b, "worker A's late refusal changed the message B flagged"
    assert part_statuses(message_id) == ["uncertain"]
    person = db.session.scalar(select(User).order_by(User.id))
    resend_post(db.session, db.session.get(Message, message_id), person, datetime.now(UTC))
    db.session.commit()
    run_due_messages(db.session, worker_b(app))

    assert message_state(message_id)[:2] == ("sent", None)
    assert part_statuses(message_id) == ["sent"] * 5
    assert_one_chain_each_part_once(fake_x, 5)
