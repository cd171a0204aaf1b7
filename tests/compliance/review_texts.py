"""Sentences with a known claims-check outcome, and campaigns made of them, for the review tests."""

from datetime import UTC, datetime, timedelta

from service.articles.store import import_article
from service.extensions import db
from tests.factories import draft_campaign

WARN_SENTENCE = "Ketamine is generally well tolerated in a monitored setting."
BLOCK_SENTENCE = "Many people notice relief within hours."
CLEAN_SENTENCE = "Our team watches your blood pressure during each session."
REAL_ADDRESS = "7000 E Camelback Rd, Suite 200, Scottsdale, AZ 85251"


def campaign_with_text(app, author, sections, *, name="Review test", subject="News from the clinic", **overrides):
    """A draft campaign with one section per (heading, body) in `sections`, by email and on X (one email, unless
    `schedule_kind="drip"` makes one step of each)."""
    markdown = f"# {name}\n\n" + "\n\n".join(f"## {heading}\n{body}" for heading, body in sections)
    article = import_article(db.session, markdown, filename=f"{name.lower().replace(' ', '-')}.md", fmt="markdown")
    db.session.commit()
    snippet_ids = [snippet.id for snippet in article.article.snippets]
    when = datetime.now(UTC) + timedelta(days=1)
    return draft_campaign(app, author, snippet_ids, when, name=name, email_subject=subject, **overrides)
