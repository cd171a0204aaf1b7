"""The article list: search by title and text, archived or not; and archiving an article."""

from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload

from service import audit
from service.models import Article, User
from service.subscribers.search import like_pattern


def find_articles(session: Session, text: str = "", *, archived: bool = False) -> list[Article]:
    """Newest first; with text, those whose title or text contains it (case-insensitive)."""
    query = (
        select(Article)
        .options(selectinload(Article.snippets))
        .where(Article.archived_at.is_not(None) if archived else Article.archived_at.is_(None))
        .order_by(Article.imported_at.desc())
    )
    if text.strip():
        pattern = like_pattern(text.strip())
        query = query.where(
            or_(Article.title.ilike(pattern, escape="\\"), Article.raw_text.ilike(pattern, escape="\\"))
        )
    return list(session.scalars(query))


def set_archived(session: Session, article: Article, actor: User, now: datetime | None) -> None:
    """Archive (now given) or bring back (None). Campaigns made from it keep their snippets either way."""
    article.archived_at = now
    audit.record(session, "archived article" if now else "unarchived article", actor=actor, detail=f"#{article.id}")
