"""A marketer's draft campaign in the live app's database, made from an article's text (for browser tests)."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from service.articles.store import import_article
from service.extensions import db
from service.models import User
from tests.factories import draft_campaign


def draft_from_article(live_app, author_email: str, article: str, *, filename: str, name: str, **options) -> int:
    """Import `article` and draft a campaign of its first snippet, sending tomorrow; returns the campaign's id."""
    with live_app.app_context():
        author = db.session.scalar(select(User).where(User.email == author_email))
        imported = import_article(db.session, article, filename=filename).article
        db.session.commit()
        when = datetime.now(UTC) + timedelta(days=1)
        return draft_campaign(live_app, author, [imported.snippets[0].id], when, name=name, **options).id
