"""Helpers for the tests of posting on X: a snippet that makes a 5-part thread, a due campaign that posts it, the X
settings that point the real tweepy client at a fake X, and a stand-in for a worker that dies mid-thread."""

import uuid
from datetime import UTC, datetime, timedelta

from service.channels.social.base import PublishedPost, SocialChannel
from service.extensions import db
from service.models import Campaign, Message
from tests.factories import approve_and_schedule, draft_campaign, import_seed, make_user
from tests.fakes.x_server import FakeX

# Our own words (never the seed article's): with the heading, link and hashtags they make exactly five posts.
AFTERCARE_SENTENCES = (
    "Aftercare starts the moment a session ends.",
    "You rest in a quiet room until you feel steady, and a clinician checks on you.",
    "Someone you trust drives you home, because driving the same day is not safe.",
    "That evening, keep plans light and drink plenty of water.",
    "Write down what stood out while it is still fresh.",
    "The next morning, notice your sleep, mood and appetite without judging them.",
    "Within a few days we meet for an integration session.",
    "Together we connect what came up to the changes you want to make.",
    "Some clients find journaling helps, others prefer walks or music.",
    "There is no right way to feel afterwards, and questions are always welcome.",
    "If something worries you between visits, call the clinic and a nurse will answer.",
    "Your care plan is reviewed after every few sessions and adjusted with you.",
    "Progress is rarely a straight line, and setbacks are part of the work.",
    "We celebrate small steps, like a calmer week or a hard conversation that went well.",
    "Families can join an information evening to learn how to support you.",
    "Aftercare is where much of the lasting change happens.",
)
FIVE_PART_BODY = " ".join(AFTERCARE_SENTENCES)
ONE_POST_BODY = "Aftercare starts the moment a session ends."


def x_settings(fake: FakeX, **overrides) -> dict:
    """Settings for SOCIAL_CHANNEL=x with the real tweepy client routed to `fake`; short waits for tests."""
    credentials = fake.credentials
    return {
        "SOCIAL_CHANNEL": "x",
        "X_CONSUMER_KEY": credentials.consumer_key,
        "X_CONSUMER_SECRET": credentials.consumer_secret,
        "X_ACCESS_TOKEN": credentials.access_token,
        "X_ACCESS_TOKEN_SECRET": credentials.access_token_secret,
        "X_API_BASE": fake.url,
        "X_TIMEOUT_SECONDS": 5,
        "X_MAX_RETRIES": 3,
        "X_BACKOFF_SECONDS": 0.01,
        **overrides,
    }


def due_x_campaign(
    app, seed_article_text: str, body: str = FIVE_PART_BODY, *, send_email: bool = False, **overrides
) -> Campaign:
    """A scheduled one-off campaign posting one snippet (heading "Aftercare", `body`) on X, due ten minutes ago.

    Ten minutes, not a second: a test's clock is often made before this setup runs, and on a loaded machine the setup
    (password hashing, the import) can take seconds, which left the message not yet due by that clock."""
    author = make_user(f"author-{uuid.uuid4().hex[:8]}@example.org", "marketer")
    reviewer = make_user(f"reviewer-{uuid.uuid4().hex[:8]}@example.org", "reviewer")
    snippet = import_seed(seed_article_text).snippets[0]
    snippet.heading, snippet.body = "Aftercare", body
    db.session.commit()
    now = datetime.now(UTC)
    send_at = (now + timedelta(minutes=2)).replace(second=0, microsecond=0)
    values = {"send_email": send_email, "send_post": True, "hashtags": "#KAP", "name": "Aftercare thread", **overrides}
    campaign = draft_campaign(app, author, [snippet.id], send_at, **values)
    approve_and_schedule(app, campaign, author, reviewer, now)
    for message in campaign.messages:
        message.send_at = now - timedelta(minutes=10)
    db.session.commit()
    return campaign


def x_message(campaign: Campaign) -> Message:
    return next(message for message in campaign.messages if message.channel == "x")


class WorkerDied(BaseException):
    """The worker process ended here, as with kill -9: nothing after this point ran, nothing was cleaned up."""


class DyingChannel(SocialChannel):
    """The real channel, except that the worker dies at post number `die_at`: after X made the post
    (`reached_x=True`: the answer never got recorded) or before the request left (`reached_x=False`)."""

    def __init__(self, real: SocialChannel, *, die_at: int, reached_x: bool) -> None:
        self.real = real
        self.die_at = die_at
        self.reached_x = reached_x
        self.posted = 0

    def post(self, text: str, *, in_reply_to: str | None = None) -> str:
        self.posted += 1
        if self.posted == self.die_at:
            if self.reached_x:
                self.real.post(text, in_reply_to=in_reply_to)
            raise WorkerDied
        return self.real.post(text, in_reply_to=in_reply_to)

    def recent_posts(self, limit: int = 100) -> list[PublishedPost]:
        return self.real.recent_posts(limit)
