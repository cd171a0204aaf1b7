"""Test data built through the domain functions, the way the product builds it."""

import functools
from datetime import UTC, datetime, timedelta

from werkzeug.security import generate_password_hash

from service.articles.store import import_article
from service.campaigns import lifecycle
from service.campaigns.editing import CampaignInput, EditContext, create_campaign
from service.compliance.library import ClaimInput, EvidenceInput, approve_version, propose_claim
from service.extensions import db
from service.models import Campaign, Subscriber, SubscriberTopic, User
from service.subscribers.identity import email_hash
from service.timezones import utc_to_local

TOPICS = ["newsletter", "kap", "events"]
TEST_PASSWORD = "correct-horse-battery"
# The article tests seed the database with (our own words; see tests/articles/samples/).
SEED_ARTICLE_FILENAME = "a-visit-to-the-clinic.txt"


def make_user(email: str, role: str, password: str = TEST_PASSWORD) -> User:
    user = User(email=email, name=email.split("@")[0].title(), role=role)
    user.password_hash = quick_password_hash(password)
    db.session.add(user)
    db.session.commit()
    return user


@functools.cache
def quick_password_hash(password: str) -> str:
    """A test account's password hash: scrypt at a thirty-second of the service's cost, made once per password. At
    the service's cost each hash and each sign-in's check took a seventh of a second here, about a quarter of the
    suite's time. Checking it is the service's own code (the cost is read from the hash); what the service writes
    (`User.set_password`: sign-up, invitations, resets) keeps its cost, and the tests of those paths go through it."""
    return generate_password_hash(password, method="scrypt:1024:8:1")


def edit_context(app, now: datetime | None = None) -> EditContext:
    return EditContext(
        known_topics=app.config["SUBSCRIBER_TOPICS"],
        tz_name=app.config["CLINIC_TIMEZONE"],
        now=now or datetime.now(UTC),
    )


def add_subscriber(app, email: str, *, status: str = "confirmed", topics=("newsletter",), first_name: str = ""):
    subscriber = Subscriber(
        email=email,
        email_hash=email_hash(email, app.config["EMAIL_HASH_KEY"]),
        first_name=first_name,
        status=status,
        consent_source="test",
        consent_at=datetime.now(UTC),
    )
    subscriber.topic_links = [SubscriberTopic(topic=topic) for topic in topics]
    db.session.add(subscriber)
    db.session.commit()
    return subscriber


def import_seed(seed_article_text: str):
    """Store the seed article (the `seed_article_text` fixture) and its snippets."""
    article = import_article(db.session, seed_article_text, filename=SEED_ARTICLE_FILENAME).article
    db.session.commit()
    return article


def draft_campaign(app, author: User, snippet_ids: list[int], send_at_utc: datetime, **overrides) -> Campaign:
    local = utc_to_local(send_at_utc, app.config["CLINIC_TIMEZONE"])
    values = {
        "name": "Test campaign",
        "snippet_ids": snippet_ids,
        "send_email": True,
        "send_post": True,
        "email_subject": "News from the clinic",
        "topics": ["newsletter"],
        "schedule_kind": "once",
        "start_date": local.date(),
        "send_time": local.time().replace(second=0, microsecond=0),
        **overrides,
    }
    now = send_at_utc - timedelta(minutes=5)
    campaign = create_campaign(db.session, CampaignInput(**values), author, edit_context(app, now))
    db.session.commit()
    return campaign


def approve_and_schedule(app, campaign: Campaign, author: User, reviewer: User, now: datetime) -> None:
    lifecycle.submit_for_review(db.session, campaign, author)
    lifecycle.approve(db.session, campaign, reviewer, allow_self_approval=False)
    lifecycle.schedule(db.session, campaign, reviewer, tz_name=app.config["CLINIC_TIMEZONE"], now=now)
    db.session.commit()


def campaign_from_sections(app, author: User, sections, *, name="Sections", **overrides) -> Campaign:
    """A draft campaign of one section per (heading, body) in `sections`, copied from a new article."""
    markdown = f"# {name}\n\n" + "\n\n".join(f"## {heading}\n{body}" for heading, body in sections)
    article = import_article(db.session, markdown, filename=f"{name.lower().replace(' ', '-')}.md", fmt="markdown")
    db.session.commit()
    snippet_ids = [snippet.id for snippet in article.article.snippets]
    return draft_campaign(app, author, snippet_ids, datetime.now(UTC) + timedelta(days=1), name=name, **overrides)


def library_claim(author: User, approver: User, wording: str, *, title: str = "", variants=(), review_days=365):
    """An approved, live claims-library claim (proposed by `author`, approved by `approver`)."""
    evidence = EvidenceInput(
        kind="randomised-trial",
        title="A made-up trial title for tests",
        authors="Tester A, et al",
        journal="J Test",
        year=2020,
        doi="10.0000/test.0001",
    )
    data = ClaimInput(
        title=title or wording[:60],
        wording=wording,
        variants=tuple(variants),
        scope="test scope",
        review_by=(datetime.now(UTC) + timedelta(days=review_days)).date(),
        evidence=(evidence,),
    )
    version = propose_claim(db.session, data, author)
    approve_version(db.session, version, approver)
    db.session.commit()
    return version.claim
