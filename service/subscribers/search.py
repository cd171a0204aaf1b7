"""Find subscribers by part of an address or first name, case-insensitively.

ILIKE '%part%' on PostgreSQL uses the trigram (pg_trgm) GIN indexes on email and first_name, so it stays fast at
a million rows; on SQLite SQLAlchemy's ilike is lower(x) LIKE lower(y), a scan, and still correct.
"""

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload

from service.models import Subscriber

RESULT_LIMIT = 50


def like_pattern(text: str) -> str:
    """'%text%' with LIKE's wildcards in the text matched literally (escape character: backslash)."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def search_subscribers(session: Session, text: str, limit: int = RESULT_LIMIT) -> list[Subscriber]:
    """Newest first, at most `limit`; nothing for blank text."""
    part = text.strip()
    if not part:
        return []
    pattern = like_pattern(part)
    return list(
        session.scalars(
            select(Subscriber)
            .options(selectinload(Subscriber.topic_links))
            .where(or_(Subscriber.email.ilike(pattern, escape="\\"), Subscriber.first_name.ilike(pattern, escape="\\")))
            .order_by(Subscriber.id.desc())
            .limit(limit)
        )
    )
