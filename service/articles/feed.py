"""The blog feed check: read the clinic's RSS or Atom feed, import each new item's page, and make it a draft.

Run by the worker every 30 minutes. The posts listed at the first read of a feed are only noted (the blog's back
catalogue is not "new"); each post that appears after that is imported. The GET is conditional (the last check's
ETag and Last-Modified), so an unchanged feed costs one 304 and no page is fetched. An item is known by its page's
URL (FeedEntry) and its article by its text's fingerprint, so neither is ever imported twice. Whatever fails is
recorded in words on the check (FeedCheck) for the feed page and touches nothing imported before; an item whose
page could not be read is tried again at the next checks, up to MAX_ENTRY_ATTEMPTS times.
"""

import io
from collections.abc import Mapping
from datetime import datetime

import feedparser
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.articles.fetch import FEED_TYPES, REFUSED, WRONG_TYPE, FetchError, FetchPolicy, fetch
from service.articles.from_url import import_from_url
from service.articles.parse import ArticleParseError
from service.campaigns.draft_notices import send_new_draft_notices
from service.campaigns.editing import CampaignInputError, EditContext
from service.campaigns.recipes import current_recipe, draft_from_article
from service.channels.email.base import EmailChannel
from service.models import FeedCheck, FeedEntry

MAX_ENTRY_ATTEMPTS = 5
MAX_LINK_CHARS = 1000  # FeedEntry.url and Article.source_url
_OUTCOME_OF_REASON = {REFUSED: "refused", WRONG_TYPE: "not_a_feed"}


def check_blog_feed(session: Session, config: Mapping, now: datetime, email_channel: EmailChannel) -> FeedCheck | None:
    """Check BLOG_FEED_URL once (None when no feed is set), then email the marketers about new drafts. Commits."""
    feed_url = config.get("BLOG_FEED_URL") or ""
    if not feed_url:
        return None
    policy = FetchPolicy.from_config(config)
    check = _new_check(session, feed_url, now)
    try:
        fetched = fetch(feed_url, policy, accept=FEED_TYPES, etag=check.etag, last_modified=check.last_modified)
    except FetchError as error:
        check.outcome, check.message = _OUTCOME_OF_REASON.get(error.reason, "unreachable"), error.message
    else:
        if fetched.not_modified:
            check.outcome, check.message = "not_modified", "The feed has not changed since the last check."
        else:
            first_read = not _read_before(session, feed_url)
            _read_feed(session, check, fetched.body, policy, config, now, first_read=first_read)
            check.etag, check.last_modified = fetched.etag, fetched.last_modified
    if check.outcome in ("ok", "not_modified"):
        _retry_failed(session, check, policy, config, now)
    session.add(check)
    session.commit()
    problems = send_new_draft_notices(session, email_channel, config, now)
    if problems:
        check.message = " ".join(filter(None, [check.message, *problems]))
        session.commit()
    return check


def latest_check(session: Session) -> FeedCheck | None:
    return session.scalar(select(FeedCheck).order_by(FeedCheck.checked_at.desc(), FeedCheck.id.desc()).limit(1))


def _new_check(session: Session, feed_url: str, now: datetime) -> FeedCheck:
    # The validators of the last check that read this feed: after an outage the next GET is still conditional.
    previous = session.scalar(
        select(FeedCheck)
        .where(FeedCheck.feed_url == feed_url, FeedCheck.outcome.in_(("ok", "not_modified")))
        .order_by(FeedCheck.checked_at.desc(), FeedCheck.id.desc())
        .limit(1)
    )
    return FeedCheck(
        checked_at=now,
        feed_url=feed_url,
        outcome="ok",
        message="",
        items_listed=0,
        articles_imported=0,
        items_failed=0,
        etag=previous.etag if previous else None,
        last_modified=previous.last_modified if previous else None,
    )


def _read_before(session: Session, feed_url: str) -> bool:
    return (
        session.scalar(select(FeedCheck.id).where(FeedCheck.feed_url == feed_url, FeedCheck.outcome == "ok").limit(1))
        is not None
    )


def _read_feed(
    session: Session,
    check: FeedCheck,
    body: bytes,
    policy: FetchPolicy,
    config: Mapping,
    now: datetime,
    *,
    first_read: bool,
) -> None:
    """Import the feed's new items. At the first read of a feed its items are only noted: they were published
    before Tidings read it, and making each of a blog's back catalogue a draft (and an email) is not wanted."""
    # A stream, never a string: feedparser fetches a string that looks like a URL itself, past every check here.
    parsed = feedparser.parse(io.BytesIO(body))
    if not parsed.get("version"):
        reason = parsed.get("bozo_exception")
        check.outcome = "not_a_feed"
        check.message = "The address does not hold an RSS or Atom feed" + (f" ({reason})." if reason else ".")
        return
    links = [(entry.get("link") or "").strip() for entry in parsed.entries]
    check.items_listed = len(links)
    titles = [(entry.get("title") or "").strip() for entry in parsed.entries]
    unusable = sum(1 for link in links if not link or len(link) > MAX_LINK_CHARS)
    if unusable:
        check.items_failed += unusable
        _add_message(check, f"{unusable} item(s) in the feed have no usable link to a page, so nothing to import.")
    # Oldest first, so drafts are made in the order the clinic published.
    for link, title in reversed(list(zip(links, titles, strict=True))):
        if (
            link
            and len(link) <= MAX_LINK_CHARS
            and session.scalar(select(FeedEntry.id).where(FeedEntry.url == link)) is None
        ):
            entry = FeedEntry(url=link, title=title[:300], status="failed", attempts=0, first_seen_at=now)
            if first_read:
                entry.status = "earlier"
                session.add(entry)
            else:
                _import_entry(session, check, entry, policy, config, now)
    if first_read and links:
        _add_message(
            check,
            f"First read of this feed: its {len(links)} post(s) were published before, so none was imported; "
            "each new post from now on becomes a draft. Import an earlier one by its address if you want it.",
        )


def _retry_failed(session: Session, check: FeedCheck, policy: FetchPolicy, config: Mapping, now: datetime) -> None:
    failed = session.scalars(
        select(FeedEntry)
        .where(FeedEntry.status == "failed", FeedEntry.attempts < MAX_ENTRY_ATTEMPTS, FeedEntry.last_tried_at < now)
        .order_by(FeedEntry.id)
    ).all()
    for entry in failed:
        _import_entry(session, check, entry, policy, config, now)


def _import_entry(
    session: Session, check: FeedCheck, entry: FeedEntry, policy: FetchPolicy, config: Mapping, now: datetime
) -> None:
    """Import one item's page and make its draft, in a savepoint: one item's failure loses no other's work."""
    entry.attempts += 1
    entry.last_tried_at = now
    session.add(entry)
    try:
        with session.begin_nested():
            result = import_from_url(session, entry.url, policy)
            entry.article, entry.error = result.article, None
            entry.status = "imported" if result.created else "duplicate"
            entry.title = entry.title or result.article.title[:300]
            if result.created:
                check.articles_imported += 1
                _make_draft(session, entry, config, now)
            session.flush()
    except (FetchError, ArticleParseError) as error:
        _record_failure(check, entry, error.message if isinstance(error, FetchError) else str(error))


def _record_failure(check: FeedCheck, entry: FeedEntry, message: str) -> None:
    entry.status, entry.error = "failed", message
    check.items_failed += 1
    tries = "" if entry.attempts < MAX_ENTRY_ATTEMPTS else " Tidings has stopped trying; import it by URL instead."
    _add_message(check, f"The page of “{entry.title or entry.url}” could not be read: {message}{tries}")


def _make_draft(session: Session, entry: FeedEntry, config: Mapping, now: datetime) -> None:
    topics = list(config["SUBSCRIBER_TOPICS"])
    recipe = current_recipe(session, topics)
    ctx = EditContext(known_topics=topics, tz_name=config["CLINIC_TIMEZONE"], now=now)
    try:
        with session.begin_nested():
            entry.campaign = draft_from_article(session, entry.article, recipe, ctx)
    except CampaignInputError as error:
        # The article stays imported; a marketer can still make a campaign of it by hand.
        entry.draft_error = f"No draft was made: {error}"


def _add_message(check: FeedCheck, sentence: str) -> None:
    check.message = " ".join(filter(None, [check.message, sentence]))
